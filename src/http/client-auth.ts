import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { type PresentedClient, parseBasicAuthorization } from '../core/auth/basic.js';
import { invalidClient, OAuthError } from '../core/auth/oauth-errors.js';
import { then } from '../core/maybe-promise.js';
import type { ClientRecord } from '../ports/credential-store.js';
import type { AuthServices } from '../services/services.js';
import { accountLimits } from './auth.js';

export type FormBody = Record<string, string | string[]>;

/** An RFC 6749 §5.2 error body, as OAuth endpoints (and the single sign-on back-channel logout) answer. */
export const OAUTH_ERROR = Type.Object({ error: Type.String(), error_description: Type.String() });

/** RFC 6749 §5.1: a response that carries a token or credentials is never cached. */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** The form body as single-valued parameters; a repeated one is refused (RFC 6749 §3.1, §3.2). */
export function singleValued(body: unknown): Record<string, string> {
  if (typeof body !== 'object' || body === null) {
    throw new OAuthError('invalid_request', 'the body must be application/x-www-form-urlencoded');
  }
  const out: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(body as FormBody)) {
    if (Array.isArray(value)) throw new OAuthError('invalid_request', `the parameter ${name} is repeated`);
    out[name] = value;
  }
  return out;
}

/**
 * Client authentication by `client_secret_basic` or `client_secret_post`, never both (RFC 6749 §2.3.1).
 * Failures are rate-limited per client id and per source address; unknown id and wrong secret look alike.
 * Answers (or throws) at once when the rate limits and the client are in this node's memory.
 */
export function authenticateClient(
  request: FastifyRequest,
  params: Record<string, string>,
  services: AuthServices,
  basicFormDecode = true,
): ClientRecord | Promise<ClientRecord> {
  const presented = presentedClient(request, params, basicFormDecode);
  return then(services.clientGuard.check(presented.clientId, request.ip), () =>
    then(services.clients.authenticate(presented), (result) => {
      if (result.ok) {
        const client = result.client;
        return then(accountLimits(services, client.accountId, request), (refused) => {
          // An address the account does not accept: said as RFC 6749 says a client may not use this grant.
          if (refused?.code === 'forbidden') throw new OAuthError('unauthorized_client', refused.message);
          if (refused) throw refused;
          return client;
        });
      }
      // The right id and secret: no failure to count, and the caller may know why it is refused.
      if (result.suspended) throw new OAuthError('unauthorized_client', 'the account is suspended');
      return services.clientGuard.failed(presented.clientId, request.ip).then(() => {
        throw invalidClient();
      });
    }),
  );
}

function presentedClient(
  request: FastifyRequest,
  params: Record<string, string>,
  formDecode: boolean,
): PresentedClient {
  const header = request.headers.authorization;
  const inBody = params.client_id !== undefined || params.client_secret !== undefined;
  if (header !== undefined && inBody) {
    throw new OAuthError('invalid_request', 'use one client authentication method, not two');
  }
  if (header !== undefined) {
    const parsed = parseBasicAuthorization(header, formDecode);
    if (!parsed.ok) throw invalidClient();
    return parsed.value;
  }
  if (params.client_id !== undefined && params.client_secret !== undefined) {
    return { clientId: params.client_id, clientSecret: params.client_secret };
  }
  throw invalidClient();
}
