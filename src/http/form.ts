import { parse } from 'fast-querystring';
import type { FastifyInstance, FastifyRequest, preValidationHookHandler } from 'fastify';
import { type TSchema, Type } from 'typebox';

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

/**
 * application/json as Fastify parses it (prototype poisoning refused), but an empty body is no body: curl
 * users and the documented examples send `Content-Type: application/json` on every call, and a POST without a
 * body (suspend, resume, a token for testing) should not fail for it. Routes that need a body say so in their
 * schema (400).
 */
export function registerJsonParser(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).length === 0) done(null, undefined);
    else json(request, body as string, done);
  });
}

/** A request without a body is checked as an empty object. */
function noBodyIsEmpty(request: FastifyRequest, _reply: unknown, done: () => void): void {
  request.body ??= {};
  done();
}

/**
 * A route whose whole body is optional (`body: Type.Optional(…)`: a regeneration's options, a dry run's draft) takes a
 * request without one as `{}`. A body schema cannot take `undefined`, so Fastify would refuse it (400 "body must be
 * object"). Set up when routes register, on those routes alone: no other request pays for it.
 */
export function registerOptionalBodies(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const body = route.schema?.body;
    if (body === undefined || !Type.IsOptional(body as TSchema)) return;
    const given = route.preValidation;
    route.preValidation = [
      noBodyIsEmpty as preValidationHookHandler,
      ...(given === undefined ? [] : Array.isArray(given) ? given : [given]),
    ];
  });
}
