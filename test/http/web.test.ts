import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { CLIENT_ROUTES, WEB_CSP, webRoutesFrom } from '../../src/http/routes/web.js';
import type { App, RouteDeps } from '../../src/http/types.js';

async function serve(root: string) {
  const app = Fastify();
  await webRoutesFrom(root)(app as unknown as App, {} as RouteDeps);
  await app.ready();
  return app;
}

describe('web app route', () => {
  let built: string;
  let empty: string;
  before(() => {
    built = mkdtempSync(join(tmpdir(), 'web-built-'));
    mkdirSync(join(built, 'assets'));
    writeFileSync(
      join(built, 'index.html'),
      '<!doctype html><title>app</title><script type="module" src="/assets/app-1.js"></script>',
    );
    writeFileSync(join(built, 'assets', 'app-1.js'), 'console.log(1)');
    writeFileSync(join(built, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    empty = mkdtempSync(join(tmpdir(), 'web-empty-'));
  });
  after(() => {
    rmSync(built, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });

  test('every client-side route answers index.html with the strict CSP and no caching', async () => {
    const app = await serve(built);
    for (const url of [
      '/',
      '/sign-in',
      '/accounts',
      '/accounts/le1/api-authorization',
      '/accounts/le1/policies/new',
      '/audit',
      '/operator-tokens',
      '/operators',
    ]) {
      const response = await app.inject({ url });
      assert.equal(response.statusCode, 200, url);
      assert.match(response.body, /<title>app<\/title>/);
      assert.equal(response.headers['content-security-policy'], WEB_CSP);
      assert.equal(response.headers['cache-control'], 'no-cache');
      assert.equal(response.headers['x-frame-options'], 'DENY');
    }
    await app.close();
  });

  test('the policy allows no inline script or style and no framing', () => {
    assert.doesNotMatch(WEB_CSP, /unsafe-inline|unsafe-eval|\*/);
    assert.match(WEB_CSP, /script-src 'self'/);
    assert.match(WEB_CSP, /style-src 'self'/);
    assert.match(WEB_CSP, /frame-ancestors 'none'/);
  });

  test('hashed assets are cached for good; unknown paths are not served the app', async () => {
    const app = await serve(built);
    const asset = await app.inject({ url: '/assets/app-1.js' });
    assert.equal(asset.statusCode, 200);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal((await app.inject({ url: '/favicon.svg' })).statusCode, 200);
    assert.equal((await app.inject({ url: '/assets/missing.js' })).statusCode, 404);
    assert.equal((await app.inject({ url: '/elsewhere' })).statusCode, 404);
    assert.equal((await app.inject({ url: '/../package.json' })).statusCode, 404);
    await app.close();
  });

  test('without a build: a 503 page that says to run npm run build, not a crash', async () => {
    const app = await serve(empty);
    for (const url of CLIENT_ROUTES.map((r) => r.replace('*', 'le1/api-authorization'))) {
      const response = await app.inject({ url });
      assert.equal(response.statusCode, 503, url);
      assert.match(response.headers['content-type'] as string, /^text\/html/);
      assert.match(response.body, /npm run build/);
      assert.equal(response.headers['content-security-policy'], WEB_CSP);
    }
    await app.close();
  });
});
