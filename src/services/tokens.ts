import { errors as joseErrors, jwtVerify } from 'jose';
import {
  type AccessTokenClaims,
  jwtSigningInput,
  peekKid,
  type SubjectBinding,
  toVerifiedToken,
  type VerifiedToken,
} from '../core/auth/jwt.js';
import { isScope, type Scope } from '../core/auth/scopes.js';
import { seal, unseal } from '../core/auth/sealing.js';
import { BoundedMap } from '../core/bounded-map.js';
import { then } from '../core/maybe-promise.js';
import { CACHE_MAX_AGE_MS } from './api-keys.js';
import { type AccountState, type ClientService, versionHolds } from './clients.js';
import type { ServiceContext } from './context.js';
import { unsealingKeys } from './master-key.js';
import { TokenSigner } from './signer.js';
import { type LoadedSigningKey, MAX_TOKEN_LIFETIME_MS, type SigningKeyring } from './signing-keys.js';

export const TEST_TOKEN_TTL_SECONDS = 86_400;

/**
 * What a new token is bound to: the thumbprint of a DPoP key (`jkt`, RFC 9449) and of the client's TLS certificate
 * (`x5t`, RFC 8705), each null when not bound to one.
 */
export interface TokenBinding {
  jkt: string | null;
  x5t: string | null;
  /** With `x5t`, when the certificate authenticated by its subject under a trusted CA (`tls_client_auth`). */
  subject?: SubjectBinding | null;
}

const UNBOUND: TokenBinding = { jkt: null, x5t: null };

/** How a client proved itself for a token (RFC 8414's names), or `test_token` for the web app's token for testing. */
export type IssuedVia =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'private_key_jwt'
  | 'self_signed_tls_client_auth'
  | 'tls_client_auth'
  | 'test_token';

/**
 * Tokens this node issued since it started, by how their client authenticated and what they are bound to (GET
 * /metrics): what an operator looks at before requiring signed assertions, certificates or DPoP of the clients.
 */
export class IssuedTokenCounts {
  readonly #counts = new Map<string, number>();

  count(via: IssuedVia, { jkt, x5t }: TokenBinding): void {
    const bound =
      jkt !== null ? (x5t !== null ? 'dpop+certificate' : 'dpop') : x5t !== null ? 'certificate' : 'none';
    const labels = `{method="${via}",binding="${bound}"}`;
    this.#counts.set(labels, (this.#counts.get(labels) ?? 0) + 1);
  }

  /** Each label set (Prometheus text) with its count. */
  entries(): [labels: string, count: number][] {
    return [...this.#counts];
  }
}
const testTokenAad = (accountId: string) => `test-token:${accountId}`;

export type TokenCheck =
  | { ok: true; token: VerifiedToken }
  /**
   * `unbound`: a token not bound to a key, of an account whose tokens must be (DPoP); `no-certificate`: a token not
   * bound to a client certificate, of an account whose tokens must be; `certificate-removed`: a token bound to a
   * client certificate that is no longer one of the account's keys (or whose CA no longer vouches for it).
   */
  | {
      ok: false;
      reason:
        | 'invalid'
        | 'expired'
        | 'revoked'
        | 'suspended'
        | 'unbound'
        | 'no-certificate'
        | 'certificate-removed';
    };

export interface IssuedToken {
  token: string;
  expiresIn: number;
  expiresAt: number;
  scopes: Scope[];
  jti: string;
}

/**
 * The key a verified token is remembered by: the last 22 characters of its signature (132 bits of it).
 * Hashing a fresh string for the look-up costs by its length (86 characters cost about three times these
 * 22); the whole token is compared on every hit, so two tokens that share the key can only miss.
 */
const cacheKeyOf = (token: string): string => token.slice(-22);

/**
 * Issues RFC 9068 access tokens and checks them. A signature is verified once per token per node; the
 * result is remembered until the token expires, and forgotten at once when the bus says the token was
 * revoked, its credentials regenerated, or that messages may have been missed.
 */
export class TokenService {
  /** Verified tokens by cacheKeyOf, with the whole token to compare. */
  readonly #verified = new BoundedMap<string, { token: string; verified: VerifiedToken }>(
    100_000,
    CACHE_MAX_AGE_MS,
  );
  /** jti → the key of its entry in #verified. */
  readonly #byJti = new Map<string, string>();
  #generation = 0;
  readonly #signer: TokenSigner;
  /** Tokens issued by this node, by client authentication and binding. */
  readonly issuedCounts = new IssuedTokenCounts();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly keyring: SigningKeyring,
    private readonly clients: ClientService,
  ) {
    this.#signer = new TokenSigner(ctx.settings.signingPlace, {
      onThreadStop: (why, restartInMs) =>
        ctx.log.warn(
          { why, restartInMs },
          'the signing thread stopped; tokens are signed on the event loop until a new one starts',
        ),
    });
    ctx.bus.subscribe((event) => {
      this.#generation++;
      if (event.type === 'reset' || event.topic === 'signing-keys') this.#forgetAll();
      else if (event.topic === 'token-revoked') this.#forget(event.key);
    });
  }

  /**
   * A new access token, bound to what `binding` names (a DPoP key, a client certificate); the only promise made on the
   * way is the signature's, once the key is loaded.
   */
  issue(
    accountId: string,
    clientId: string,
    credentialsVersion: number,
    scopes: Scope[],
    kind: 'client' | 'test' = 'client',
    binding: TokenBinding = UNBOUND,
  ): Promise<IssuedToken> {
    try {
      const key = this.keyring.signingKey();
      return key instanceof Promise
        ? key.then((loaded) =>
            this.#issueWith(loaded, accountId, clientId, credentialsVersion, scopes, kind, binding),
          )
        : this.#issueWith(key, accountId, clientId, credentialsVersion, scopes, kind, binding);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #issueWith(
    key: LoadedSigningKey,
    accountId: string,
    clientId: string,
    credentialsVersion: number,
    scopes: Scope[],
    kind: 'client' | 'test',
    { jkt, x5t, subject }: TokenBinding,
  ): Promise<IssuedToken> {
    const now = this.ctx.clock.now();
    const ttl = kind === 'test' ? TEST_TOKEN_TTL_SECONDS : this.ctx.settings.tokenTtlSeconds;
    const iat = Math.floor(now / 1000);
    const claims: AccessTokenClaims = {
      iss: this.ctx.settings.issuer,
      sub: accountId,
      aud: this.ctx.settings.issuer,
      client_id: clientId,
      scope: scopes.join(' '),
      jti: this.ctx.random.bytes(16).toString('base64url'),
      iat,
      exp: iat + ttl,
      cv: credentialsVersion,
      kind,
    };
    if (jkt !== null || x5t !== null)
      claims.cnf = { ...(jkt !== null && { jkt }), ...(x5t !== null && { 'x5t#S256': x5t }) };
    if (x5t !== null && subject) claims.tls_client_auth = subject;
    const input = jwtSigningInput(key.alg, key.kid, claims);
    return this.#signer.sign(key, input).then((signature) => ({
      token: `${input}.${signature}`,
      expiresIn: ttl,
      expiresAt: claims.exp * 1000,
      scopes,
      jti: claims.jti,
    }));
  }

  /**
   * Full check: signature, issuer, audience, type, expiry, revocation and credentials version. Answers
   * synchronously for a token this node has already verified and nothing has invalidated since.
   */
  verify(token: string): TokenCheck | Promise<TokenCheck> {
    const now = this.ctx.clock.now();
    return this.#known(token, now) ?? this.#verifyFully(token, now);
  }

  /**
   * The check of a token this node has already verified (the very same string) and nothing has invalidated
   * since; undefined for any other string, which needs `verify`. Such a string passed every syntax check
   * when it was first verified, so a caller may look it up before checking its syntax.
   */
  known(token: string): TokenCheck | Promise<TokenCheck> | undefined {
    return this.#known(token, this.ctx.clock.now());
  }

  #known(token: string, now: number): TokenCheck | Promise<TokenCheck> | undefined {
    const hit = this.ctx.bus.healthy() ? this.#verified.get(cacheKeyOf(token), now) : undefined;
    const cached = hit !== undefined && hit.token === token ? hit.verified : undefined;
    if (!cached) return undefined;
    if (cached.expiresAt <= now) return { ok: false, reason: 'expired' };
    const state = this.clients.stateOf(cached.accountId);
    return state instanceof Promise
      ? state.then((s) => this.#holdsCertificate(this.#check(cached, s, now)))
      : this.#holdsCertificate(this.#check(cached, state, now));
  }

  /**
   * A token bound to a client certificate holds only while the certificate is one of its account's keys — or, for a
   * certificate that authenticated by its subject, while that subject is, and its CA is trusted: removing it (a
   * stolen or retired certificate) ends its tokens at once, on every node, as regenerating credentials does.
   */
  #holdsCertificate(check: TokenCheck): TokenCheck | Promise<TokenCheck> {
    if (!check.ok || check.token.x5t === null) return check;
    return then(
      this.clients.keys.holdsCertificate(check.token.accountId, check.token.x5t, check.token.subject),
      (held): TokenCheck => (held ? check : { ok: false, reason: 'certificate-removed' }),
    );
  }

  /**
   * A client token must carry the account's current credentials version (or the one before, in its grace period); a
   * test token is revoked by its id instead (a new one replaces it), so only the account's status counts for it. An
   * account whose tokens must be bound to a key (DPoP) or a certificate takes no token that is not, whenever it was
   * issued.
   */
  #check(token: VerifiedToken, state: AccountState, now: number): TokenCheck {
    const { version, dpopRequired, certificateRequired } = state;
    if (version === 'suspended') return { ok: false, reason: 'suspended' };
    if (token.kind === 'test' ? version === null : !versionHolds(token.credentialsVersion, state, now))
      return { ok: false, reason: 'revoked' };
    if (dpopRequired && token.jkt === null) return { ok: false, reason: 'unbound' };
    if (certificateRequired && token.x5t === null) return { ok: false, reason: 'no-certificate' };
    return { ok: true, token };
  }

  async #verifyFully(token: string, now: number): Promise<TokenCheck> {
    const useCache = this.ctx.bus.healthy();
    const generation = this.#generation;
    const checked = await this.#verifySignature(token, now);
    if (!checked.ok) return checked;
    const verified = checked.token;
    if (await this.ctx.store.tokens.isRevoked(verified.jti)) return { ok: false, reason: 'revoked' };
    const versionCheck = await this.#holdsCertificate(
      this.#check(verified, await this.clients.stateOf(verified.accountId), now),
    );
    if (!versionCheck.ok) return versionCheck;
    if (useCache && generation === this.#generation) {
      const key = cacheKeyOf(token);
      this.#verified.set(key, { token, verified }, now);
      this.#byJti.set(verified.jti, key);
      if (this.#byJti.size > 200_000) this.#byJti.clear();
    }
    return { ok: true, token: verified };
  }

  /** Ends the signing thread, if any (signatures asked for from now on are made on the event loop). */
  close(): Promise<void> {
    return this.#signer.close();
  }

  /** RFC 7009: revokes the token if it is valid and belongs to `accountId`; silently ignores anything else. */
  async revoke(token: string, accountId: string): Promise<void> {
    const checked = await this.#verifySignature(token, this.ctx.clock.now());
    if (!checked.ok || checked.token.accountId !== accountId) return;
    await this.#revokeJti(checked.token.jti, accountId, checked.token.expiresAt);
  }

  /** The account's token for testing; issuing one revokes the previous one. */
  async issueTestToken(accountId: string, clientId: string): Promise<{ token: string; expiresAt: number }> {
    const issued = await this.issue(
      accountId,
      clientId,
      0,
      ['context:read', 'context:write', 'next-actions', 'policies:read'],
      'test',
    );
    const previous = await this.ctx.store.tokens.replaceTestToken({
      accountId,
      jti: issued.jti,
      tokenCipher: seal(this.ctx.masterKey, this.ctx.random.bytes(12), issued.token, testTokenAad(accountId)),
      issuedAt: this.ctx.clock.now(),
      expiresAt: issued.expiresAt,
    });
    this.issuedCounts.count('test_token', UNBOUND);
    if (previous) await this.#revokeJti(previous.jti, accountId, previous.expiresAt);
    return { token: issued.token, expiresAt: issued.expiresAt };
  }

  async currentTestToken(accountId: string): Promise<{ token: string; expiresAt: number } | null> {
    const record = await this.ctx.store.tokens.getTestToken(accountId);
    if (!record || record.expiresAt <= this.ctx.clock.now()) return null;
    return {
      token: unseal(unsealingKeys(this.ctx), record.tokenCipher, testTokenAad(accountId)),
      expiresAt: record.expiresAt,
    };
  }

  async #revokeJti(jti: string, accountId: string, expiresAt: number): Promise<void> {
    await this.ctx.store.tokens.revokeToken(jti, accountId, expiresAt);
    this.#forget(jti);
    await this.ctx.bus.publish('token-revoked', jti);
  }

  async #verifySignature(token: string, now: number): Promise<TokenCheck> {
    if (token.length > 4096) return { ok: false, reason: 'invalid' };
    const kid = peekKid(token);
    const key = kid ? await this.keyring.findKey(kid) : undefined;
    if (!key) return { ok: false, reason: 'invalid' };
    try {
      const { payload } = await jwtVerify(token, key.publicKey, {
        issuer: this.ctx.settings.issuer,
        audience: this.ctx.settings.issuer,
        algorithms: [key.alg],
        typ: 'at+jwt',
        currentDate: new Date(now),
        maxTokenAge: `${Math.ceil(MAX_TOKEN_LIFETIME_MS / 1000)}s`,
        requiredClaims: ['sub', 'client_id', 'scope', 'jti', 'iat', 'exp'],
      });
      const verified = toVerifiedToken(payload, isScope);
      return verified ? { ok: true, token: verified } : { ok: false, reason: 'invalid' };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: 'expired' };
      return { ok: false, reason: 'invalid' };
    }
  }

  #forget(jti: string): void {
    const key = this.#byJti.get(jti);
    if (key !== undefined) {
      this.#verified.delete(key);
      this.#byJti.delete(jti);
    }
  }

  #forgetAll(): void {
    this.#verified.clear();
    this.#byJti.clear();
  }
}
