import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../core/auth/oauth-errors.js';
import { AppError, ERROR_CATALOGUE, type ErrorCode, StoreUnavailableError } from '../core/errors.js';
import type { LogThrottle } from '../core/log-throttle.js';

const PROBLEM_BASE = 'https://conversation-orchestrator.dev/problems/';

/** The pattern of text fields that take anything but the NUL character (its refusal is said in words). */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';

/** Fastify's own 4xx errors (bad JSON, wrong content type, body too large...) mapped into the catalogue. */
function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    default:
      return 'validation_failed';
  }
}

interface Normalised {
  status: number;
  code: ErrorCode;
  detail: string;
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
  unexpected: boolean;
}

function normalise(error: unknown): Normalised {
  if (error instanceof AppError) {
    return {
      status: error.status,
      code: error.code,
      detail: error.detail ?? ERROR_CATALOGUE[error.code].title,
      ...(error.extra ? { extra: error.extra } : {}),
      ...(error.headers ? { headers: error.headers } : {}),
      unexpected: false,
    };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    const errors = fastifyError.validation.map((v) => ({
      field: `${fastifyError.validationContext ?? 'request'}${v.instancePath.replace(/\//g, '.')}`,
      message:
        v.keyword === 'pattern' && v.params?.pattern === NO_NUL_PATTERN
          ? 'must not contain the NUL character (U+0000)'
          : (v.message ?? 'is not valid'),
    }));
    return {
      status: 400,
      code: 'validation_failed',
      detail: errors.map((e) => `${e.field} ${e.message}`).join('; '),
      extra: { errors },
      unexpected: false,
    };
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return {
      status,
      code: codeForStatus(status),
      detail: fastifyError.message ?? 'bad request',
      unexpected: false,
    };
  }
  return {
    status: 500,
    code: 'internal',
    detail: 'an unexpected error occurred; quote the request id',
    unexpected: true,
  };
}

/**
 * RFC 9457 problem details for resource and admin APIs; RFC 6749 §5.2 JSON for OAuth endpoints. A store that
 * could not answer is logged at most once per `outages` interval, with how many 503s the line stands for.
 */
export function handleError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  outages: LogThrottle,
): FastifyReply {
  if (error instanceof StoreUnavailableError) {
    const heldBack = outages.admit();
    if (heldBack !== null) {
      request.log.warn(
        { err: error.cause, heldBack },
        'the store could not answer; answered 503 (logged at most once a second; heldBack: the others since)',
      );
    }
  }
  if (request.routeOptions.config.oauth) return oauthReply(error, request, reply);
  const problem = normalise(error);
  if (problem.unexpected) request.log.error({ err: error }, 'request failed');
  if (problem.headers) reply.headers(problem.headers);
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .send({
      type: `${PROBLEM_BASE}${problem.code}`,
      title: ERROR_CATALOGUE[problem.code].title,
      status: problem.status,
      detail: problem.detail,
      code: problem.code,
      requestId: request.id,
      ...problem.extra,
    });
}

function oauthReply(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let oauth: OAuthError;
  if (error instanceof OAuthError) oauth = error;
  else {
    const problem = normalise(error);
    if (problem.unexpected) {
      request.log.error({ err: error }, 'request failed');
      oauth = new OAuthError('server_error', 'an unexpected error occurred');
    } else if (problem.code === 'rate_limited') {
      oauth = new OAuthError('invalid_request', problem.detail, problem.headers, 429);
    } else if (problem.code === 'unavailable') {
      oauth = new OAuthError('temporarily_unavailable', problem.detail, problem.headers);
    } else {
      oauth = new OAuthError('invalid_request', problem.detail);
    }
  }
  return reply
    .code(oauth.status)
    .headers({ 'cache-control': 'no-store', pragma: 'no-cache', ...oauth.headers })
    .type('application/json')
    .send({ error: oauth.error, error_description: oauth.description });
}
