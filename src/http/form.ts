import type { FastifyInstance } from 'fastify';
import { AppError } from '../core/errors.js';

/**
 * application/x-www-form-urlencoded into an object without a prototype. A repeated parameter becomes an
 * array, so OAuth endpoints can refuse it (RFC 6749 §3.1: parameters must not be included more than once).
 */
export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_request, body, done) => {
      const out: Record<string, string | string[]> = Object.create(null);
      try {
        for (const [name, value] of new URLSearchParams(body as string)) {
          const existing = out[name];
          if (existing === undefined) out[name] = value;
          else out[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
        }
      } catch {
        done(new AppError('validation_failed', 'the form body is not valid'), undefined);
        return;
      }
      done(null, out);
    },
  );
}
