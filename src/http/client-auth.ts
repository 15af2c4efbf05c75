import type { FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import { Type } from 'typebox';
import { type PresentedClient, parseBasicAuthorization } from '../core/auth/basic.js';
import { DpopNonceRequired, DpopRefused } from '../core/auth/dpop.js';
import { invalidClient, OAuthError } from '../core/auth/oauth-errors.js';
import type { Scope } from '../core/auth/scopes.js';
import { then } from '../core/maybe-promise.js';
import type { ClientRecord } from '../ports/credential-store.js';
import { AssertionRefused, type CertificateMatch, CLIENT_ASSERTION_TYPE } from '../services/client-keys.js';
import type { PresentedAssertion, PresentedCertificate } from '../services/clients.js';
import type { AuthServices } from '../services/services.js';
import type { IssuedToken, IssuedVia, TokenBinding } from '../services/tokens.js';
import { accountLimits, proofUrls, requestCertificate } from './auth.js';

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
 * An authenticated client, how (RFC 8414's name of the method), and the certificate it authenticated with (RFC
 * 8705), if it did.
 */
export interface AuthenticatedClient {
  client: ClientRecord;
  method: Exclude<IssuedVia, 'test_token'>;
  certificate: CertificateMatch | null;
}

/**
 * Client authentication by `client_secret_basic`, `client_secret_post`, `private_key_jwt` or
 * `self_signed_tls_client_auth`, one of them only (RFC 6749 §2.3.1). Failures are rate-limited per client id and per
 * source address; unknown id and wrong secret look alike. Answers (or throws) at once when the rate limits and the
 * client are in this node's memory.
 */
export function authenticateClient(
  request: FastifyRequest,
  params: Record<string, string>,
  services: AuthServices,
  basicFormDecode = true,
): AuthenticatedClient | Promise<AuthenticatedClient> {
  const presented = presentedClient(request, params, basicFormDecode, services);
  return then(services.clientGuard.check(presented.clientId, request.ip), () =>
    then(services.clients.authenticate(presented), (result) => {
      if (result.ok) {
        const client = result.client;
        return then(accountLimits(services, client.accountId, request), (refused) => {
          // An address the account does not accept: said as RFC 6749 says a client may not use this grant.
          if (refused?.code === 'forbidden') throw new OAuthError('unauthorized_client', refused.message);
          if (refused) throw refused;
          const certificate = result.certificate ?? null;
          return { client, method: methodOf(presented, certificate, request), certificate };
        });
      }
      // The right id and secret: no failure to count, and the caller may know why it is refused.
      if (result.suspended) throw new OAuthError('unauthorized_client', 'the account is suspended');
      return services.clientGuard.failed(presented.clientId, request.ip).then(() => {
        throw invalidClient(result.reason);
      });
    }),
  );
}

/** RFC 8414's name of how the client presented itself (a secret in the header when the body has none). */
function methodOf(
  presented: PresentedClient | PresentedAssertion | PresentedCertificate,
  certificate: CertificateMatch | null,
  request: FastifyRequest,
): AuthenticatedClient['method'] {
  if ('assertion' in presented) return 'private_key_jwt';
  if ('certificate' in presented)
    return certificate?.subject ? 'tls_client_auth' : 'self_signed_tls_client_auth';
  return request.headers.authorization !== undefined ? 'client_secret_basic' : 'client_secret_post';
}

/**
 * The client's credentials as the request presents them: HTTP Basic (`client_secret_basic`), `client_id` and
 * `client_secret` in the body (`client_secret_post`), a signed JWT in `client_assertion` (`private_key_jwt`, RFC
 * 7523 §2.2), whose `aud` may be the issuer, the token endpoint or the endpoint called (under ISSUER or MTLS_BASE_URL), or `client_id` alone with
 * the client's certificate in TLS (`self_signed_tls_client_auth`, RFC 8705 §2.2). Only one.
 */
function presentedClient(
  request: FastifyRequest,
  params: Record<string, string>,
  formDecode: boolean,
  services: AuthServices,
): PresentedClient | PresentedAssertion | PresentedCertificate {
  const issuer = services.ctx.settings.issuer;
  const header = request.headers.authorization;
  if (params.client_assertion !== undefined || params.client_assertion_type !== undefined) {
    if (header !== undefined || params.client_secret !== undefined)
      throw new OAuthError('invalid_request', 'use one client authentication method, not two');
    if (params.client_assertion_type !== CLIENT_ASSERTION_TYPE)
      throw new OAuthError('invalid_request', `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
    const assertion = params.client_assertion;
    if (!assertion || assertion.length > 16_384)
      throw invalidClient('client_assertion is missing or too long');
    let subject: unknown;
    try {
      subject = decodeJwt(assertion).sub;
    } catch {
      throw invalidClient('client_assertion is not a signed JWT');
    }
    if (typeof subject !== 'string' || subject === '')
      throw invalidClient('the assertion names no client (sub)');
    if (params.client_id !== undefined && params.client_id !== subject)
      throw invalidClient("client_id is not the assertion's sub");
    const route = request.routeOptions.url ?? '';
    const alias = services.ctx.settings.mtlsBaseUrl;
    // RFC 8705 §5: a client of the endpoints' aliases may name the one it called there.
    const audiences = [issuer, `${issuer}/oauth/token`, `${issuer}${route}`];
    if (alias) audiences.push(`${alias}/oauth/token`, `${alias}${route}`);
    return { clientId: subject, assertion, audiences: [...new Set(audiences)] };
  }
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
  if (params.client_id !== undefined && services.certificates !== null) {
    const certificate = requestCertificate(request, services);
    if (certificate === null)
      throw invalidClient(
        'no client_secret, client_assertion or client certificate (mutual TLS) came with client_id',
      );
    return { clientId: params.client_id, certificate };
  }
  throw invalidClient();
}

/**
 * What the token to be issued is bound to: the client certificate of the connection when it is one of the account's
 * (RFC 8705 §3, `x5t`), and the key the request's DPoP proof proves (RFC 9449 §5, `jkt`), null without a proof. An
 * account whose tokens must be bound to a key refuses a request without a proof, and one whose tokens must be bound
 * to a certificate a request without one of its certificates (400 invalid_request), before a proof is looked at; a
 * proof that does not hold, or was used before, is 400 invalid_dpop_proof.
 */
export function tokenBinding(
  request: FastifyRequest,
  reply: FastifyReply,
  authenticated: AuthenticatedClient,
  services: AuthServices,
): TokenBinding | Promise<TokenBinding> {
  const { accountId } = authenticated.client;
  return then(certificateBinding(request, authenticated, services), (certificate) =>
    then(services.clients.stateOf(accountId), ({ dpopRequired, certificateRequired }) => {
      if (dpopRequired && request.headers.dpop === undefined)
        throw new OAuthError(
          'invalid_request',
          "this account's tokens are bound to a key: send a DPoP proof (RFC 9449) in the DPoP header",
        );
      if (certificateRequired && certificate === null)
        throw new OAuthError(
          'invalid_request',
          "this account's tokens are bound to a client certificate: call over mutual TLS with one of the account's certificates (RFC 8705)",
        );
      return keyBinding(request, reply, certificate, services);
    }),
  );
}

/** A new token for an authenticated client, bound as `binding` says, and counted by how (GET /metrics). */
export function issueToken(
  services: AuthServices,
  { client, method }: AuthenticatedClient,
  scopes: Scope[],
  binding: TokenBinding,
): Promise<IssuedToken> {
  return services.tokens
    .issue(client.accountId, client.clientId, client.version, scopes, 'client', binding)
    .then((issued) => {
      services.tokens.issuedCounts.count(method, binding);
      return issued;
    });
}

/**
 * RFC 8705 §3: the certificate a new token is bound to — the one the client authenticated with, or else the one the
 * connection presents when it is the account's (a client with a secret or an assertion over mutual TLS); null for
 * none (a certificate that is not one of the account's keys, nor has one of its subjects, binds nothing).
 */
function certificateBinding(
  request: FastifyRequest,
  { client, certificate }: AuthenticatedClient,
  services: AuthServices,
): CertificateMatch | null | Promise<CertificateMatch | null> {
  if (certificate !== null) return certificate;
  const presented = requestCertificate(request, services);
  if (presented === null) return null;
  return services.clients.keys
    .matchCertificate(client.accountId, presented, 'bind')
    .catch((error: unknown) => {
      if (error instanceof AssertionRefused) return null;
      throw error;
    });
}

function keyBinding(
  request: FastifyRequest,
  reply: FastifyReply,
  certificate: CertificateMatch | null,
  services: AuthServices,
): TokenBinding | Promise<TokenBinding> {
  const x5t = certificate?.thumbprint ?? null;
  const subject = certificate?.subject ?? null;
  const proof = request.headers.dpop;
  if (proof === undefined) return { jkt: null, x5t, subject };
  if (typeof proof !== 'string') throw new OAuthError('invalid_dpop_proof', 'send one DPoP header');
  const nonce = services.dpop.nonce();
  return services.dpop
    .check(proof, { method: request.method, ...proofUrls(request, services.ctx.settings) })
    .then(
      (jkt) => {
        // RFC 9449 §8: the nonce for the next proofs comes with every answer to a proof.
        if (nonce !== null) reply.header('dpop-nonce', nonce);
        return { jkt, x5t, subject };
      },
      (error: unknown) => {
        if (error instanceof DpopNonceRequired)
          throw new OAuthError('use_dpop_nonce', error.message, { 'dpop-nonce': nonce as string });
        if (error instanceof DpopRefused) throw new OAuthError('invalid_dpop_proof', error.message);
        throw error;
      },
    );
}
