import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * Routes anyone may call: health, discovery, the sign-in (single sign-on's too: its callback checks the provider's
 * answer, its back-channel logout the provider's signature) and token endpoints (they authenticate the client).
 */
const PUBLIC = new Set([
  'GET /healthz',
  'GET /readyz',
  'GET /.well-known/oauth-authorization-server',
  'GET /.well-known/jwks.json',
  'GET /.well-known/oauth-protected-resource',
  'GET /.well-known/oauth-protected-resource/{*}',
  'POST /api/admin/login',
  'POST /api/admin/login/passkey/options',
  'POST /api/admin/login/passkey',
  'GET /api/admin/sso',
  'GET /api/admin/sso/start',
  'GET /api/admin/sso/callback',
  'POST /api/admin/sso/back-channel-logout',
]);
/** Endpoints that authenticate the client themselves and answer 401 invalid_client without it. */
const CLIENT_AUTH = new Set([
  'POST /oauth/token',
  'POST /oauth/revoke',
  'POST /oauth/introspect',
  'GET /v2/authenticate/login',
  'POST /v2/authenticate/login',
]);

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => t.close());

test('every documented route refuses a request without a credential (fails closed)', async () => {
  const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<string, Record<string, unknown>>;
  };
  let checked = 0;
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const method of Object.keys(methods)) {
      const verb = method.toUpperCase();
      const key = `${verb} ${path}`;
      if (PUBLIC.has(key)) continue;
      const url = path.replace(/\{[^}]+\}/g, 'x1');
      const response = await t.app.inject({
        method: verb as 'GET',
        url,
        ...(verb === 'GET' || verb === 'HEAD'
          ? {}
          : { headers: { 'content-type': 'application/json' }, payload: '{}' }),
      });
      assert.equal(response.statusCode, 401, `${key} answered ${response.statusCode} without a credential`);
      if (CLIENT_AUTH.has(key)) assert.equal(response.json().error, 'invalid_client', key);
      checked++;
    }
  }
  assert.ok(checked > 60, `only ${checked} routes checked`);
});
