import { parse } from 'fast-querystring';
import type { FastifyInstance } from 'fastify';

/**
 * application/x-www-form-urlencoded into an object without a prototype. A repeated parameter becomes an
 * array, so OAuth endpoints can refuse it (RFC 6749 §3.1: parameters must not be included more than once).
 */
export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_request, body, done) => {
      // Malformed percent-escapes are kept as written, never thrown: the value then simply fails to match.
      done(null, parse(body as string) as Record<string, string | string[]>);
    },
  );
}
