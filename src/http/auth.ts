import { parse as parseCookie, serialize as serializeCookie } from 'cookie';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { ClientCertificate } from '../core/auth/certificate.js';
import { DPOP_ALGORITHMS, DpopNonceRequired, DpopRefused } from '../core/auth/dpop.js';
import type { VerifiedToken } from '../core/auth/jwt.js';
import type { Scope } from '../core/auth/scopes.js';
import { constantTimeEqual } from '../core/auth/secrets.js';
import { AppError } from '../core/errors.js';
import { LogThrottle } from '../core/log-throttle.js';
import { then } from '../core/maybe-promise.js';
import type { OperatorRole } from '../ports/operator-store.js';
import type { KeyCheck } from '../services/api-keys.js';
import type { PeerCertificateSocket } from '../services/client-certificates.js';
import type { OperatorIdentity } from '../services/operators.js';
import type { AuthServices } from '../services/services.js';
import type { TokenCheck } from '../services/tokens.js';

export const SESSION_COOKIE = 'orch_session';

/**
 * A cookie of the web app's, read and written here only (no cookie plugin: API routes never pay for parsing cookies
 * they do not use): HttpOnly and SameSite=Strict always; Secure behind an https issuer; sent to `path` alone.
 */
function strictCookie(name: string, path: string) {
  return {
    read(request: FastifyRequest): string | undefined {
      const header = request.headers.cookie;
      return header ? parseCookie(header)[name] : undefined;
    },
    set(reply: FastifyReply, value: string, maxAgeSeconds: number, secure: boolean): void {
      reply.header(
        'set-cookie',
        serializeCookie(name, value, {
          httpOnly: true,
          sameSite: 'strict',
          secure,
          path,
          maxAge: maxAgeSeconds,
        }),
      );
    },
    clear(reply: FastifyReply): void {
      reply.header(
        'set-cookie',
        serializeCookie(name, '', { httpOnly: true, sameSite: 'strict', path, expires: new Date(0) }),
      );
    },
  };
}

/** The operator session cookie. */
const session = strictCookie(SESSION_COOKIE, '/');
export const sessionCookie = session.read;
export const setSessionCookie = session.set;
export const clearSessionCookie = session.clear;

/**
 * The ID token of a single sign-on session, sealed, kept by the browser for the provider's sign-out
 * (OPERATOR_SSO_SIGN_OUT=provider): sent to the sign-out alone.
 */
const idToken = strictCookie('orch_sso_id', '/api/admin/logout');
export const idTokenCookie = idToken.read;
export const setIdTokenCookie = idToken.set;
export const clearIdTokenCookie = idToken.clear;

const REALM = 'conversation-orchestrator';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** How a v2 request presents its access token: as a bearer token (RFC 6750), or bound to a key (RFC 9449). */
type Scheme = 'Bearer' | 'DPoP';

/**
 * RFC 6750 §3 and RFC 9449 §7.1: the challenge that goes with a refused token, in the scheme it was presented in
 * (`description` and `scope` are constants of this file: no quote in them).
 */
function challenge(
  scheme: Scheme,
  error?:
    | 'invalid_token'
    | 'invalid_request'
    | 'insufficient_scope'
    | 'invalid_dpop_proof'
    | 'use_dpop_nonce',
  description?: string,
  scope?: string,
): string {
  let value = `${scheme} realm="${REALM}"`;
  if (error) value += `, error="${error}"`;
  if (description) value += `, error_description="${description}"`;
  if (scope) value += `, scope="${scope}"`;
  if (scheme === 'DPoP') value += `, algs="${DPOP_ALGORITHMS.join(' ')}"`;
  return value;
}

const bearerChallenge = (
  error?: 'invalid_token' | 'invalid_request' | 'insufficient_scope',
  description?: string,
) => challenge('Bearer', error, description);

/** Where a resource describes itself (RFC 9728 §3.1): this path, then the resource's own path. */
export const PROTECTED_RESOURCE_METADATA = '/.well-known/oauth-protected-resource';

/** The metadata URL of the resource at `url` (RFC 9728 §3.1): the well-known path between its origin and its path. */
function resourceMetadataUrl(url: string): string {
  const { origin, pathname } = new URL(url);
  return `${origin}${PROTECTED_RESOURCE_METADATA}${pathname === '/' ? '' : pathname}`;
}

/**
 * A request without a token is told both schemes it may use (RFC 9449 §7.2), and where the metadata of the resource
 * it called says how to get one (RFC 9728 §5.1: a document whose `resource` is that very URL, §3.3).
 */
function noTokenChallenge(request: FastifyRequest, issuer: string): string {
  const metadata = `resource_metadata="${resourceMetadataUrl(publicUrl(request, issuer))}"`;
  return `${challenge('Bearer')}, ${metadata}, ${challenge('DPoP')}, ${metadata}`;
}

/**
 * The request's URL as its client sees it (the issuer's scheme, host and base path), without the query: its path
 * alone, even from a request target in absolute form (`GET http://host/path`).
 */
export function publicUrl(request: FastifyRequest, issuer: string): string {
  return issuer + new URL(request.url, 'http://path.invalid').pathname;
}

/**
 * What a DPoP proof's `htu` may name (RFC 9449 §4.3): the request's URL under ISSUER, or under MTLS_BASE_URL when
 * the server has that second public address (RFC 8705 §5) — a client that presents its certificate there proves
 * its key for the URL it called.
 */
export function proofUrls(
  request: FastifyRequest,
  settings: { issuer: string; mtlsBaseUrl?: string | null },
): { url: string; aliasUrl?: string } {
  const path = new URL(request.url, 'http://path.invalid').pathname;
  const alias = settings.mtlsBaseUrl;
  return alias ? { url: settings.issuer + path, aliasUrl: alias + path } : { url: settings.issuer + path };
}

/**
 * The client certificate of the request (mutual TLS, RFC 8705), as a proxy in CLIENT_CERT_PROXIES forwarded it or as
 * the client presented it to this server's own TLS; null without one.
 */
export function requestCertificate(
  request: FastifyRequest,
  services: AuthServices,
): ClientCertificate | null {
  const source = services.certificates;
  if (source === null) return null;
  const name = source.header;
  const value = name === null ? undefined : request.headers[name];
  const times = value === undefined || name === null ? 0 : timesSent(request.raw.rawHeaders, name);
  // A TLS socket when this server serves HTTPS itself; a plain one has no certificate to give.
  return source.of(request.socket.remoteAddress, request.socket as PeerCertificateSocket, value, times);
}

/** How many times the request carries the header `name` (lower case); Node joins repeated ones into one value. */
function timesSent(rawHeaders: string[], name: string): number {
  let times = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]?.toLowerCase() === name) times++;
  return times;
}

/**
 * RFC 8705 §3: a token bound to a client certificate is taken only with that certificate (a bearer token otherwise);
 * undefined when the request presents it, else the refusal.
 */
function certificateRefusal(
  request: FastifyRequest,
  x5t: string,
  services: AuthServices,
  scheme: Scheme,
): AppError | undefined {
  const presented = requestCertificate(request, services);
  if (presented === null)
    return unauthorized(
      'this access token is bound to a client certificate (mutual TLS, RFC 8705): call with that certificate',
      challenge(scheme, 'invalid_token', 'no client certificate'),
    );
  if (presented.thumbprint !== x5t)
    return unauthorized(
      'this access token is bound to another client certificate than the one presented',
      challenge(scheme, 'invalid_token', 'another client certificate'),
    );
  return undefined;
}

/**
 * RFC 9728 §5.1: a refusal's challenge names the metadata of the resource called (a refused token's, a missing
 * scope's), for a client to find how to get a token it takes; a refusal without a challenge stays as it is.
 */
function withResourceMetadata(error: Error, request: FastifyRequest, issuer: string): Error {
  const value = error instanceof AppError ? error.headers?.['www-authenticate'] : undefined;
  if (!(error instanceof AppError) || value === undefined || value.includes('resource_metadata='))
    return error;
  return new AppError(error.code, error.detail, error.extra, {
    ...error.headers,
    'www-authenticate': `${value}, resource_metadata="${resourceMetadataUrl(publicUrl(request, issuer))}"`,
  });
}

function unauthorized(detail: string, challenge: string): AppError {
  return new AppError('unauthorized', detail, undefined, { 'www-authenticate': challenge });
}

/** Anything but an expected refusal while checking a credential means the store or bus failed: refuse. */
async function failClosed<T>(request: FastifyRequest, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof AppError) throw error;
    request.log.error({ err: error }, 'credential check failed; refusing');
    throw new AppError('unavailable', 'credentials cannot be checked right now; retry shortly');
  }
}

function pathAccount(request: FastifyRequest): string | undefined {
  const params = request.params as Record<string, unknown> | undefined;
  const value = params?.accountId;
  return typeof value === 'string' ? value : undefined;
}

/** A refusal when the path names an account other than the credential's, else undefined. */
function checkPathAccount(request: FastifyRequest): AppError | undefined {
  const target = pathAccount(request);
  if (target === undefined || request.principal?.accountId === target) return undefined;
  return new AppError('forbidden', 'the credential does not belong to this account');
}

/**
 * Runs a check that answers at once or later; either way `finish` gets the answer. A check that throws or
 * rejects means the store or the bus failed: the request is refused (503), never let through.
 */
function settle<T>(
  request: FastifyRequest,
  check: () => T | Promise<T>,
  finish: (value: T) => void,
  done: (error?: Error) => void,
): void {
  const refuse = (error: unknown) => {
    // An expected refusal, or a store that said it could not answer (503 with Retry-After, logged at the edge).
    if (error instanceof AppError) return done(error);
    request.log.error({ err: error }, 'credential check failed; refusing');
    done(new AppError('unavailable', 'credentials cannot be checked right now; retry shortly'));
  };
  let result: T | Promise<T>;
  try {
    result = check();
  } catch (error) {
    refuse(error);
    return;
  }
  // A throw while finishing (a bug, or input no check foresaw) refuses the request rather than escaping the hook: from
  // a promise's callback it would be an unhandled rejection, which ends the process.
  const finishSafely = (value: T) => {
    try {
      finish(value);
    } catch (error) {
      refuse(error);
    }
  };
  if (result instanceof Promise) result.then(finishSafely, refuse);
  else finishSafely(result);
}

/** The refusal of what is for operators of every account, to one limited to some accounts. */
export function everyAccountNeeded(identity: { username: string }): AppError {
  return new AppError(
    'forbidden',
    `this needs an operator of every account; ${identity.username} acts on some accounts only`,
  );
}

/** Ends a hook with what the account's limits say: at once, or once a shared rate answers. */
function finishWith(
  refused: AppError | undefined | Promise<AppError | undefined>,
  done: (error?: Error) => void,
): void {
  if (refused instanceof Promise) refused.then(done, done);
  else done(refused);
}

const rateLogThrottles = new WeakMap<AuthServices, LogThrottle>();
function rateLogThrottle(services: AuthServices): LogThrottle {
  let throttle = rateLogThrottles.get(services);
  if (!throttle) {
    throttle = new LogThrottle(1_000, () => services.ctx.clock.now());
    rateLogThrottles.set(services, throttle);
  }
  return throttle;
}

/**
 * Once an account's credential is accepted: 403 when the account does not accept calls from the request's address
 * (its networks), else 429 when it is over its request rate on this node (its own, else ACCOUNT_RATE_LIMIT).
 */
export function accountLimits(
  services: AuthServices,
  accountId: string,
  request: { readonly ip: string },
): AppError | undefined | Promise<AppError | undefined> {
  const limits = services.accountLimits;
  if (!limits.active) return undefined;
  // The address is read only for an account with networks: with TRUST_PROXY, reading it parses a header.
  if (limits.fenced(accountId) && !limits.allows(accountId, request.ip))
    return new AppError('forbidden', `account ${accountId} does not accept requests from ${request.ip}`);
  return then(limits.take(accountId, services.ctx.clock.now()), (waitMs) =>
    waitMs === 0 ? undefined : overRate(services, accountId, waitMs),
  );
}

/** 429 for an account over its request rate, logged (which account) at most once a second. */
function overRate(services: AuthServices, accountId: string, waitMs: number): AppError {
  // The metric counts every refusal.
  const heldBack = rateLogThrottle(services).admit();
  if (heldBack !== null)
    services.ctx.log.warn(
      { accountId, heldBack },
      'an account is over its request rate; its requests get 429 (heldBack: refusals not logged since the last line)',
    );
  return new AppError(
    'rate_limited',
    `account ${accountId} is over its request rate; retry shortly`,
    undefined,
    {
      'retry-after': String(Math.ceil(waitMs / 1000)),
    },
  );
}

/** The `{accountId}` of a path or body must be the credential's account: 403 otherwise, whether or not it exists. */
export function requireAccount(request: FastifyRequest, accountId: string): string {
  const principal = request.principal;
  if (!principal) throw new AppError('unauthorized', 'no credential');
  if (principal.accountId !== accountId) {
    throw new AppError('forbidden', 'the credential does not belong to this account');
  }
  return accountId;
}

function queryToken(request: FastifyRequest): unknown {
  return (request.query as Record<string, unknown> | undefined)?.access_token;
}

/**
 * The access token from the header — `Bearer <token>`, or `DPoP <token>` for a token bound to a key — or, as the
 * documented examples do, the `access_token` query parameter (a bearer token only).
 */
function presentedToken(request: FastifyRequest): { token: string; scheme: Scheme } | null {
  const header = request.headers.authorization;
  const query = queryToken(request);
  if (query !== undefined && header !== undefined) {
    // RFC 6750 §2: a client must not use more than one method.
    throw unauthorized(
      'send the token in one place only',
      bearerChallenge('invalid_request', 'more than one token'),
    );
  }
  if (query !== undefined) {
    if (typeof query !== 'string' || query === '') {
      throw unauthorized(
        'access_token must be given once',
        bearerChallenge('invalid_request', 'malformed access_token'),
      );
    }
    return { token: query, scheme: 'Bearer' };
  }
  if (header === undefined) return null;
  const match = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  if (!match?.[1] || !match[2])
    throw unauthorized(
      'the Authorization header must be Bearer <token>, or DPoP <token> for a token bound to a key',
      bearerChallenge('invalid_token', 'malformed'),
    );
  return { token: match[2], scheme: match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer' };
}

/**
 * RFC 9449 §7.1: a token bound to a key comes as `DPoP <token>` with a proof (answered: the proof, to check once the
 * account's limits allow), an unbound one as a bearer token; else the refusal.
 */
function bindingProof(request: FastifyRequest, token: VerifiedToken, scheme: Scheme): AppError | string {
  if (token.jkt === null)
    return unauthorized(
      'this access token is not bound to a key: send it as Authorization: Bearer <token>',
      challenge('DPoP', 'invalid_token', 'token not bound'),
    );
  if (scheme === 'Bearer')
    return unauthorized(
      'this access token is bound to a key (DPoP): send it as Authorization: DPoP <token>, with a DPoP proof',
      challenge('DPoP', 'invalid_token', 'bound token sent as bearer'),
    );
  const proof = request.headers.dpop;
  if (typeof proof !== 'string')
    return unauthorized(
      'a token bound to a key needs a DPoP proof in the DPoP header (one)',
      challenge('DPoP', 'invalid_dpop_proof', 'no proof'),
    );
  return proof;
}

type TokenRefusalReason = Exclude<TokenCheck, { ok: true }>['reason'];

/** What a refused token's client is told (detail, then the challenge's description), where more than its reason. */
const TOKEN_REFUSALS: Partial<Record<TokenRefusalReason, [detail: string, description: string]>> = {
  suspended: ['the account of this access token is suspended', 'account suspended'],
  unbound: [
    "this account's access tokens must be bound to a key (DPoP, RFC 9449): get one with a DPoP proof",
    'token not bound',
  ],
  'no-certificate': [
    "this account's access tokens must be bound to a client certificate (mutual TLS, RFC 8705): get one over mutual TLS with one of its certificates",
    'token not bound to a certificate',
  ],
  'certificate-removed': [
    "the client certificate this access token is bound to is no longer one of the account's keys, or no longer vouched for (its CA taken out of CLIENT_CA_FILE, or the certificate revoked)",
    'certificate removed',
  ],
};

/** Why a token was refused, said to its client; a token that must be bound to a key is asked for in DPoP's scheme. */
function tokenRefusal(reason: TokenRefusalReason, scheme: Scheme): AppError {
  const [detail, description] = TOKEN_REFUSALS[reason] ?? [
    `the access token is ${reason}`,
    `token ${reason}`,
  ];
  return unauthorized(
    detail,
    challenge(reason === 'unbound' ? 'DPoP' : scheme, 'invalid_token', description),
  );
}

/** The hooks routes declare in one line: `onRequest: auth.v1()` or `onRequest: auth.v2('context:read')`. */
export class AuthHooks {
  constructor(private readonly services: AuthServices) {}

  /** v1: header `maven-api-key`; the path's `accountId` must be the key's account. */
  v1(): onRequestHookHandler {
    // Callback style, not async: a key this node already knows is accepted without a promise.
    return (request, _reply, done) => {
      const presented = request.headers['maven-api-key'];
      if (typeof presented !== 'string' || presented === '') {
        done(new AppError('unauthorized', 'the maven-api-key header is required'));
        return;
      }
      const finish = (accountId: KeyCheck) => {
        if (typeof accountId !== 'string')
          return done(
            new AppError(
              'unauthorized',
              accountId === null ? 'the API key is not valid' : 'the account of this API key is suspended',
            ),
          );
        request.principal = { kind: 'api-key', accountId };
        const refused = checkPathAccount(request);
        if (refused) return done(refused);
        finishWith(accountLimits(this.services, accountId, request), done);
      };
      settle(request, () => this.services.apiKeys.verify(presented), finish, done);
    };
  }

  /**
   * v2: a valid, unrevoked access token with `scope`; a path `accountId` must be the token's account. A token bound to
   * a key (DPoP) comes as `Authorization: DPoP <token>` with a fresh proof of that key in the `DPoP` header.
   */
  v2(scope: Scope): onRequestHookHandler {
    const issuer = this.services.ctx.settings.issuer;
    return (request, reply, next) => {
      // Every challenge names where the resource says how to get a token (RFC 9728 §5.1).
      const done = (error?: Error) => next(error && withResourceMetadata(error, request, issuer));
      let presented: string;
      let scheme: Scheme;
      /** The token holds: its account, its scope, the account's limits; then, for a bound token, its proof. */
      const accept = (token: VerifiedToken, proof?: string) => {
        request.principal = { kind: 'token', accountId: token.accountId, scopes: token.scopes, token };
        const refused = checkPathAccount(request);
        if (refused) return done(refused);
        if (!token.scopes.has(scope)) {
          return done(
            new AppError('insufficient_scope', `this needs the scope ${scope}`, undefined, {
              'www-authenticate': challenge(scheme, 'insufficient_scope', undefined, scope),
            }),
          );
        }
        const limited = accountLimits(this.services, token.accountId, request);
        if (proof === undefined) return finishWith(limited, done);
        // A proof's signature is verified, and its jti written, only within the account's rate and networks.
        const prove = (over: AppError | undefined) => {
          if (over) return done(over);
          this.#proven(request, reply, token, presented, proof).then(done, done);
        };
        if (limited instanceof Promise) limited.then(prove, done);
        else prove(limited);
      };
      const finish = (checked: TokenCheck) => {
        if (!checked.ok) return done(tokenRefusal(checked.reason, scheme));
        const token = checked.token;
        // The common case: a bearer token, presented as one.
        if (token.jkt === null && token.x5t === null && scheme === 'Bearer') return accept(token);
        if (token.x5t !== null) {
          const refused = certificateRefusal(request, token.x5t, this.services, scheme);
          if (refused) return done(refused);
          if (token.jkt === null && scheme === 'Bearer') return accept(token);
        }
        const proof = bindingProof(request, token, scheme);
        if (proof instanceof AppError) return done(proof);
        accept(token, proof);
      };
      // A token this node has verified before is known by its exact string, which passed the syntax
      // checks then: only other requests pay for them (a regular expression over the whole token).
      const header = request.headers.authorization;
      if (header !== undefined && queryToken(request) === undefined) {
        const bearer = header.startsWith('Bearer ');
        if (bearer || header.startsWith('DPoP ')) {
          scheme = bearer ? 'Bearer' : 'DPoP';
          presented = header.slice(bearer ? 7 : 5);
          const known = this.services.tokens.known(presented);
          if (known !== undefined) {
            settle(request, () => known, finish, done);
            return;
          }
        }
      }
      let found: ReturnType<typeof presentedToken>;
      try {
        found = presentedToken(request);
      } catch (error) {
        done(error as Error);
        return;
      }
      if (found === null) {
        done(unauthorized('an access token is required', noTokenChallenge(request, issuer)));
        return;
      }
      presented = found.token;
      scheme = found.scheme;
      settle(request, () => this.services.tokens.verify(presented), finish, done);
    };
  }

  /**
   * RFC 9449 §7.1: a token bound to a key is presented as `DPoP <token>` with a proof, for this request and this
   * token, signed by that key; an unbound token is presented as a bearer token. Undefined when that holds, else
   * the refusal; rejects only when the proof could not be checked (the store failed: 503).
   */
  async #proven(
    request: FastifyRequest,
    reply: FastifyReply,
    token: VerifiedToken,
    presented: string,
    proof: string,
  ): Promise<AppError | undefined> {
    try {
      const jkt = await this.services.dpop.check(
        proof,
        { method: request.method, ...proofUrls(request, this.services.ctx.settings), accessToken: presented },
        token.jkt ?? undefined,
      );
      if (jkt !== token.jkt)
        return unauthorized(
          'the DPoP proof is signed by another key than the one the token is bound to',
          challenge('DPoP', 'invalid_dpop_proof', 'another key'),
        );
      // RFC 9449 §9: with DPOP_NONCE, the nonce for the next proofs comes with the answer.
      const nonce = this.services.dpop.nonce();
      if (nonce !== null) reply.header('dpop-nonce', nonce);
      return undefined;
    } catch (error) {
      if (error instanceof DpopNonceRequired)
        return new AppError('unauthorized', error.message, undefined, {
          'www-authenticate': challenge('DPoP', 'use_dpop_nonce', 'nonce required'),
          'dpop-nonce': this.services.dpop.nonce() as string,
        });
      if (error instanceof DpopRefused)
        return unauthorized(error.message, challenge('DPoP', 'invalid_dpop_proof', 'proof refused'));
      request.log.error({ err: error }, 'a DPoP proof could not be checked; refusing');
      return new AppError('unavailable', 'credentials cannot be checked right now; retry shortly');
    }
  }

  /**
   * Admin API: a session cookie (with `x-csrf-token` on every change) or an operator API token, of an operator
   * whose role is at least `least`. Routes open to viewers say so; every other one needs an admin.
   */
  operator(
    least: OperatorRole = 'admin',
    options: {
      /** Open to a signed-in operator who has yet to set up the one-time codes OPERATOR_TOTP=required asks for. */
      beforeTotp?: boolean;
      /**
       * What an operator limited to some accounts may do here. By default, a route that names an account
       * (`:accountId`) is theirs for their accounts (any other answers 404, as one that does not exist), and any
       * other route is for operators of every account (403). `own`: the route concerns the caller alone, or
       * answers only what is theirs. `platform`: for operators of every account, even if it names an account.
       */
      accounts?: 'own' | 'platform';
    } = {},
  ): onRequestHookHandler {
    const allowed = async (identity: OperatorIdentity, request: FastifyRequest) => {
      if (least === 'admin' && identity.role !== 'admin')
        throw new AppError(
          'forbidden',
          identity.tokenRole === 'viewer'
            ? `this needs an admin operator; this API token of ${identity.username} acts as a viewer`
            : `this needs an admin operator; ${identity.username} is a ${identity.role}`,
        );
      if (identity.accounts !== null && options.accounts !== 'own') {
        const accountId = (request.params as { accountId?: unknown } | undefined)?.accountId;
        if (typeof accountId !== 'string' || options.accounts === 'platform')
          throw everyAccountNeeded(identity);
        if (!identity.accounts.includes(accountId))
          throw new AppError('not_found', `no account ${accountId}`);
      }
      if (!options.beforeTotp && (await this.services.operators.mustSetUpTotp(identity)))
        throw new AppError(
          'mfa_setup_required',
          'this server requires one-time codes: set them up first (POST /api/admin/totp/setup, then /enable)',
        );
    };
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const header = request.headers.authorization;
      if (header?.startsWith('Bearer ')) {
        const identity = await failClosed(request, () =>
          this.services.operators.fromToken(header.slice(7).trim()),
        );
        if (!identity) throw new AppError('unauthorized', 'the operator token is not valid');
        await allowed(identity, request);
        request.operator = identity;
        return;
      }
      const sessionId = sessionCookie(request);
      const identity = sessionId
        ? await failClosed(request, () => this.services.operators.fromSession(sessionId))
        : null;
      if (!identity) {
        if (sessionId) clearSessionCookie(reply);
        throw new AppError('unauthorized', 'sign in first');
      }
      if (!SAFE_METHODS.has(request.method)) {
        const csrf = request.headers['x-csrf-token'];
        if (
          typeof csrf !== 'string' ||
          identity.csrfToken === null ||
          !constantTimeEqual(csrf, identity.csrfToken)
        ) {
          throw new AppError('forbidden', 'a valid x-csrf-token header is required for changes');
        }
      }
      await allowed(identity, request);
      // Only an allowed request keeps the session alive: a refused one (no CSRF token, a role it lacks) does not.
      request.operator = this.services.operators.recordActivity(identity);
    };
  }
}
