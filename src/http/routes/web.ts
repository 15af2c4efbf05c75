import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import type { App, RouteDeps } from '../types.js';

/**
 * The web app's policy: its own scripts and styles only (nothing inline), no framing, no form posts or
 * fetches elsewhere. Vite builds the app into separate hashed files, so nothing needs 'unsafe-inline'.
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** Paths the app routes in the browser: each answers index.html, and the app picks the page. */
export const CLIENT_ROUTES = [
  '/',
  '/sign-in',
  '/accounts',
  '/accounts/*',
  '/audit',
  '/operator-tokens',
  '/operators',
  '/backups',
];

/** `dist/web` of the package, whether this file runs from `src/` (tsx) or `dist/` (built). */
export function defaultWebRoot(): string {
  return fileURLToPath(new URL('../../../dist/web/', import.meta.url));
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Web app not built</title></head>
<body><main>
<h1>The web app has not been built</h1>
<p>This server found no <code>dist/web/index.html</code>. Run <code>npm run build</code>
(<code>npm install</code> and <code>npm ci</code> run it for you), then restart the server.</p>
<p>The APIs under <code>/v1</code>, <code>/v2</code>, <code>/oauth</code> and <code>/api/admin</code> work without it.</p>
</main></body>
</html>
`;

function secureHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', WEB_CSP);
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('x-frame-options', 'DENY');
}

/** Serves the built web app from `root`, or a 503 page that says how to build it when `root` has no app. */
export function webRoutesFrom(root: string) {
  return async function webRoutes(app: App, _deps: RouteDeps): Promise<void> {
    await app.register(async (scope) => {
      scope.addHook('onRequest', async (_request, reply) => secureHeaders(reply));
      const schema = { hide: true };

      if (!existsSync(join(root, 'index.html'))) {
        for (const path of CLIENT_ROUTES) {
          scope.get(path, { schema }, async (_request, reply) =>
            reply
              .code(503)
              .header('cache-control', 'no-store')
              .type('text/html; charset=utf-8')
              .send(NOT_BUILT_PAGE),
          );
        }
        return;
      }

      await scope.register(fastifyStatic, {
        root,
        prefix: '/',
        wildcard: false,
        index: false,
        serveDotFiles: false,
        schemaHide: true,
        setHeaders: (reply, path) => {
          // Vite names every asset by its content hash, so it can be cached for good; the rest may change.
          const immutable = path.includes(`${join(root, 'assets')}`);
          reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
        },
      });
      for (const path of CLIENT_ROUTES) {
        scope.get(path, { schema }, async (_request, reply) =>
          reply.header('cache-control', 'no-cache').sendFile('index.html', root),
        );
      }
    });
  };
}

/** The web app at `/`, from `dist/web` (built by `npm run build`). */
export async function webRoutes(app: App, deps: RouteDeps): Promise<void> {
  await webRoutesFrom(defaultWebRoot())(app, deps);
}
