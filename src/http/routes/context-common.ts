import { Type } from 'typebox';
import { AppError } from '../../core/errors.js';
import { jsonOf } from '../../core/frozen.js';
import type { App } from '../types.js';

/**
 * Request bodies of the context APIs may be this large: an 800,000-character document can take up to 3 bytes
 * a character in UTF-8, and the size rule, not the transport, should decide (413 `document too large`).
 */
export const CONTEXT_BODY_LIMIT = 4 * 1024 * 1024;

/** `^[A-Za-z0-9_]{1,64}$`; the reserved names are refused by the service with their own error. */
export const NamespaceName = Type.String({
  pattern: '^[A-Za-z0-9_]{1,64}$',
  description: 'Letters, digits, _',
});
export const SessionId = Type.String({
  minLength: 1,
  maxLength: 128,
  description:
    '1-128 characters, no "/" or control characters, not ".", ".." or "properties"; `__default__` is the namespace level',
});
export const PropertyName = Type.String({
  minLength: 1,
  maxLength: 256,
  description: '1-256 characters, no "/" or control characters, not "." or ".."',
});
export const Properties = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Property name → any JSON value',
});

/** RFC 9457 problem details, as every error of these APIs is answered. */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    requestId: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true },
);
export const ERROR_RESPONSES = { '4xx': Problem, '5xx': Problem };

const iso = (ms: number): string => new Date(ms).toISOString();

export { iso };

/**
 * Replies with `value` serialized here rather than by the response schema: the shape is any JSON, and
 * `JSON.stringify` writes keys such as `__proto__` as the data they are. A value that cannot change (a
 * document from the context cache) is serialized once.
 */
export function sendJson<R extends { type(contentType: string): R }>(reply: R, value: unknown): R {
  return sendText(reply, jsonOf(value));
}

/** Replies with JSON text already serialized. */
export function sendText<R extends { type(contentType: string): R }>(reply: R, json: string): R {
  const typed = reply.type('application/json; charset=utf-8') as unknown as {
    send(payload: string): unknown;
  };
  typed.send(json);
  return reply;
}

/**
 * Context data is arbitrary JSON, so `__proto__` and `constructor` are ordinary property names here: this
 * parser (in the context routes' scope only) keeps them as own data properties, which `JSON.parse` does,
 * instead of refusing them as Fastify's default parser does. Nothing downstream assigns them onto objects.
 */
export function registerContextJsonParser(scope: App): void {
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    // The documented examples send `Content-Type: application/json` on every call, DELETE and GET included:
    // an empty body is no body, and routes that need one say so.
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(
        new AppError('validation_failed', `the body is not valid JSON: ${(error as Error).message}`),
        undefined,
      );
    }
  });
}
