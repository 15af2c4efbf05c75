import { createRemoteJWKSet, errors as JoseErrors, type JWTPayload, jwtVerify } from 'jose';
import type * as Oidc from 'openid-client';
import type { OperatorSsoSettings } from '../config/config.js';
import { seal, unseal } from '../core/auth/sealing.js';
import { groupsIn } from '../core/sso-groups.js';
import type { ProviderSession } from '../ports/operator-store.js';
import type { ServiceContext } from './context.js';
import { unsealingKeys } from './master-key.js';

/** The OpenID Connect client library, loaded at the first sign-in (not by every CLI command and node start). */
let loaded: Promise<typeof Oidc> | undefined;
const library = () => {
  loaded ??= import('openid-client');
  return loaded;
};

/** How long a sign-in may take at the provider before its state here expires. */
export const SSO_STATE_TTL_MS = 10 * 60_000;
/** The callback the provider sends the browser back to, under ISSUER (register it at the provider). */
export const SSO_CALLBACK_PATH = '/api/admin/sso/callback';

const AAD = 'operator-sso-state';
const ID_TOKEN_AAD = 'operator-sso-id-token';
/** A cookie's value may be about 4,000 bytes with its name and attributes. */
const MAX_SEALED_ID_TOKEN = 3800;

/** Why a single sign-on did not sign anyone in: said to the browser as a code the web app puts in words. */
export type SsoFailure =
  /** The provider could not be reached, or its metadata read. */
  | 'unavailable'
  /** The sign-in's state here is missing, expired or not this browser's (a link opened twice, a cookie lost). */
  | 'expired'
  /** The provider said no (the person cancelled, or is not allowed), or its answer did not verify. */
  | 'refused'
  /** The provider's answer names no username (the configured claim is absent). */
  | 'no_username'
  /** No operator has the username the provider named. */
  | 'unknown_operator'
  /** With OPERATOR_SSO_GROUPS: the person is in none of its groups. */
  | 'no_role';

/** `OperatorSso.check`'s answer. */
export interface SsoCheck {
  issuer: string;
  /** Register it as the client's redirect URI. */
  redirectUri: string;
  /** With OPERATOR_SSO_SIGN_OUT=provider: register it as a post-logout redirect URI. */
  postLogoutRedirectUri: string | null;
  /** Scopes asked for (OPERATOR_SSO_SCOPE) that the provider's metadata does not list (it may still grant them). */
  scopesNotListed: string[];
  /** Register it as the client's back-channel logout URI when the provider offers it. */
  backChannelLogoutUri: string;
  /**
   * What the provider's metadata says of back-channel logout: not offered, offered for a person (`subject`: every
   * session of theirs here ends), or by session too (`session`: ask the provider to send `sid`).
   */
  backChannelLogout: 'none' | 'subject' | 'session';
  endSessionEndpoint: string | null;
  userInfoEndpoint: string | null;
  /** What will not work as configured. */
  problems: string[];
}

/**
 * Whom the provider signed in: their username, their groups, the ID token it said so in, and who and which session
 * they are there (`sub`, `sid`), for its back-channel logout.
 */
export interface SsoAnswer {
  username: string;
  groups: string[];
  idToken: string | undefined;
  provider: ProviderSession;
  /**
   * With OPERATOR_SSO_GROUPS, when neither the ID token nor UserInfo has the groups claim: why, for the log and the
   * audit log of the refusal (the scope not asked for, or the groups sent elsewhere); null otherwise.
   */
  groupsMissing: string | null;
}

/** The member of a logout token's `events` claim that makes it one (OpenID Connect Back-Channel Logout 1.0 §2.4). */
const BACK_CHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** Where the provider posts its logout tokens (register it as the client's back-channel logout URI). */
export const SSO_BACK_CHANNEL_LOGOUT_PATH = '/api/admin/sso/back-channel-logout';
/**
 * How old a logout token may be (by its `iat`), whatever its `exp` says: it is sent at once, by the provider's
 * server, and an old one shown again should not end sessions opened since.
 */
const LOGOUT_TOKEN_MAX_AGE_S = 600;
/** Signature algorithms a logout token may use: the asymmetric ones (never `none`, never a shared secret). */
const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** jose's errors that say the token is wrong (not that the provider's keys could not be read). */
const TOKEN_FAULTS = [
  JoseErrors.JWSInvalid,
  JoseErrors.JWTInvalid,
  JoseErrors.JWSSignatureVerificationFailed,
  JoseErrors.JWTClaimValidationFailed,
  JoseErrors.JWTExpired,
  JoseErrors.JOSEAlgNotAllowed,
  JoseErrors.JOSENotSupported,
  JoseErrors.JWKSNoMatchingKey,
  JoseErrors.JWKSMultipleMatchingKeys,
  JoseErrors.JWEInvalid,
];

/** Which sessions a verified logout token ends: a person's (`subject`), one session (`session`), or both given. */
export interface LogoutTarget {
  subject?: string;
  session?: string;
}

export class SsoError extends Error {
  override name = 'SsoError';
  constructor(
    readonly failure: SsoFailure,
    /** For the log: what went wrong, never a secret. */
    readonly reason: string,
    /** The username the provider named, when it named one. */
    readonly username?: string,
  ) {
    super(reason);
  }
}

/** What a sign-in keeps in the browser between leaving for the provider and coming back, sealed. */
interface SsoState {
  state: string;
  nonce: string;
  verifier: string;
  expiresAt: number;
}

/**
 * Operators' single sign-on (OpenID Connect authorization code flow with PKCE, as a confidential client, with
 * `openid-client`): the provider says who the person is, and an operator of that username signs in. Nobody is made
 * an operator by signing in: an admin adds the operator first (their password may stay unused).
 *
 * What the sign-in must remember across the provider (state, nonce, PKCE verifier) travels in a cookie sealed under
 * the master key, so any node finishes what another began. The provider's metadata is read once (again after a
 * failure).
 */
export class OperatorSso {
  #configuration: Promise<Oidc.Configuration> | null = null;
  /** The provider's signing keys (its `jwks_uri`), fetched at the first logout token and again for an unknown key. */
  #keys: ReturnType<typeof createRemoteJWKSet> | null = null;

  constructor(
    private readonly ctx: ServiceContext,
    readonly settings: OperatorSsoSettings,
  ) {}

  /** Where the provider sends the browser after signing out there (OPERATOR_SSO_SIGN_OUT=provider): the web app. */
  get postLogoutRedirectUri(): string {
    return `${this.ctx.settings.issuer}/`;
  }

  /** Where the provider posts its logout tokens (OpenID Connect Back-Channel Logout 1.0). */
  get backChannelLogoutUri(): string {
    return `${this.ctx.settings.issuer}${SSO_BACK_CHANNEL_LOGOUT_PATH}`;
  }

  /** The address the provider sends the browser back to. */
  get redirectUri(): string {
    return `${this.ctx.settings.issuer}${SSO_CALLBACK_PATH}`;
  }

  /** Where to send the browser to sign in, and the sealed state to keep in its cookie meanwhile. */
  async start(): Promise<{ url: string; cookie: string }> {
    const configuration = await this.#discovered();
    const oidc = await library();
    const state: SsoState = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      expiresAt: this.ctx.clock.now() + SSO_STATE_TTL_MS,
    };
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: this.settings.scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(state.verifier),
      code_challenge_method: 'S256',
      state: state.state,
      nonce: state.nonce,
    });
    const cookie = seal(this.ctx.masterKey, this.ctx.random.bytes(12), JSON.stringify(state), AAD);
    return { url: url.href, cookie };
  }

  /**
   * Finishes a sign-in from the provider's answer (`query`, the callback's query string) and the browser's sealed
   * state: the username the provider named and the person's groups (OPERATOR_SSO_GROUPS_CLAIM) — from the ID token,
   * or from UserInfo what it lacks — and the ID token. Throws SsoError.
   */
  async finish(query: string, cookie: string | undefined): Promise<SsoAnswer> {
    const state = this.#opened(cookie);
    const configuration = await this.#discovered();
    const answer = new URL(`${this.redirectUri}${query}`);
    const error = answer.searchParams.get('error');
    if (error !== null) throw new SsoError('refused', `the provider answered ${error.slice(0, 100)}`);
    const oidc = await library();
    let claims: Record<string, unknown>;
    let idToken: string | undefined;
    let accessToken: string | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, answer, {
        pkceCodeVerifier: state.verifier,
        expectedState: state.state,
        expectedNonce: state.nonce,
        idTokenExpected: true,
      });
      claims = { ...tokens.claims() };
      idToken = tokens.id_token;
      accessToken = tokens.access_token;
    } catch (failure) {
      throw new SsoError('refused', `the provider's answer did not verify: ${(failure as Error).message}`);
    }
    const { usernameClaim, groupsClaim, groups } = this.settings;
    const wanted = [usernameClaim, ...(groups === null ? [] : [groupsClaim])];
    // Providers that keep to OpenID Connect Core §5.4 put the profile's claims in the UserInfo answer rather than
    // the ID token when they issue an access token: asked there for what the ID token lacks.
    if (wanted.some((name) => claims[name] === undefined) && accessToken !== undefined)
      claims = { ...(await this.#userInfo(configuration, accessToken, claims.sub)), ...claims };
    const username = claims[usernameClaim];
    if (typeof username !== 'string' || username === '')
      throw new SsoError('no_username', `neither the ID token nor UserInfo has a ${usernameClaim} claim`);
    // `sub` is in every ID token (the library checked it); `sid` when the provider offers back-channel logout by session.
    const provider = {
      subject: String(claims.sub),
      session: typeof claims.sid === 'string' && claims.sid !== '' ? claims.sid : null,
    };
    return {
      username,
      groups: groupsIn(claims[groupsClaim]),
      idToken,
      provider,
      groupsMissing: groups === null || claims[groupsClaim] !== undefined ? null : this.#whyNoGroups(claims),
    };
  }

  /**
   * Why the provider sent no groups claim. A provider that has too many groups to put in a token names a source of
   * them instead (distributed claims, OpenID Connect Core §5.6.2: `_claim_names`; Entra ID does so for people in more
   * than 200 groups, pointing at its Graph API). That source is not followed: it needs the provider's own API and
   * rights there.
   */
  #whyNoGroups(claims: Record<string, unknown>): string {
    const { groupsClaim } = this.settings;
    const names = claims._claim_names;
    if (names !== null && typeof names === 'object' && Reflect.get(names, groupsClaim) !== undefined)
      return `the provider sent no ${groupsClaim} but a reference to them elsewhere (distributed claims: too many groups for a token); have it send only the groups assigned to this application, or app roles`;
    return `the provider sent no ${groupsClaim} claim (ask for the scope that brings it in OPERATOR_SSO_SCOPE, or add it at the provider)`;
  }

  /**
   * Checks a logout token the provider posted (OpenID Connect Back-Channel Logout 1.0 §2.6): signed by the provider
   * with a key of its `jwks_uri` and an asymmetric algorithm, its issuer, for this client, issued in the last ten
   * minutes (and not expired when it says when), with the back-channel logout event, no `nonce` (so no ID token
   * passes for one), and a `sub` or a `sid`. Which sessions it ends — null for a token already received (its `jti`,
   * remembered on every node until it is too old to be taken) —; else SsoError `refused` (the token is wrong) or
   * `unavailable` (the provider's metadata or keys could not be read). Logout tokens are not encrypted here.
   */
  async logoutTarget(logoutToken: string): Promise<LogoutTarget | null> {
    const metadata = (await this.#discovered()).serverMetadata();
    if (!metadata.jwks_uri) throw new SsoError('unavailable', 'the provider publishes no jwks_uri');
    this.#keys ??= createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: 10_000 });
    const listed = metadata.id_token_signing_alg_values_supported;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(logoutToken, this.#keys, {
        issuer: metadata.issuer,
        audience: this.settings.clientId,
        algorithms: listed ? ASYMMETRIC_ALGORITHMS.filter((a) => listed.includes(a)) : ASYMMETRIC_ALGORITHMS,
        requiredClaims: ['iat', 'jti'],
        maxTokenAge: LOGOUT_TOKEN_MAX_AGE_S,
        clockTolerance: 60,
      }));
    } catch (failure) {
      // The token's own faults are refusals; anything else (a timeout, an answer of the key set that is not 200 or
      // not JSON, a network error) means the provider's keys could not be read.
      if (TOKEN_FAULTS.some((fault) => failure instanceof fault))
        throw new SsoError('refused', `the logout token did not verify: ${(failure as Error).message}`);
      throw new SsoError(
        'unavailable',
        `the provider's keys could not be read: ${(failure as Error).message}`,
      );
    }
    const events = payload.events;
    const event =
      events !== null && typeof events === 'object'
        ? Reflect.get(events, BACK_CHANNEL_LOGOUT_EVENT)
        : undefined;
    if (event === null || typeof event !== 'object' || Array.isArray(event))
      throw new SsoError('refused', `the token's events claim has no ${BACK_CHANNEL_LOGOUT_EVENT} object`);
    if (payload.nonce !== undefined) throw new SsoError('refused', 'a logout token has no nonce claim');
    const target: LogoutTarget = {};
    if (typeof payload.sub === 'string' && payload.sub !== '') target.subject = payload.sub;
    if (typeof payload.sid === 'string' && payload.sid !== '') target.session = payload.sid;
    if (target.subject === undefined && target.session === undefined)
      throw new SsoError('refused', 'the logout token names neither a sub nor a sid');
    // Said once: the same token shown again within its 10 minutes must not end sessions opened since (§2.6, 7).
    const jti = payload.jti;
    if (typeof jti !== 'string' || jti === '' || jti.length > 256)
      throw new SsoError('refused', 'the logout token has no usable jti');
    const keptUntil = ((payload.iat as number) + LOGOUT_TOKEN_MAX_AGE_S + 60) * 1000;
    if (!(await this.ctx.store.tokens.useClientAssertion(`logout:${metadata.issuer}`, jti, keptUntil)))
      return null;
    return target;
  }

  /** The provider's UserInfo claims for the person the ID token names; none when it has no UserInfo endpoint. */
  async #userInfo(
    configuration: Oidc.Configuration,
    accessToken: string,
    subject: unknown,
  ): Promise<Record<string, unknown>> {
    if (!configuration.serverMetadata().userinfo_endpoint || typeof subject !== 'string') return {};
    const oidc = await library();
    try {
      return { ...(await oidc.fetchUserInfo(configuration, accessToken, subject)) };
    } catch (failure) {
      throw new SsoError(
        'refused',
        `the provider's UserInfo answer did not verify: ${(failure as Error).message}`,
      );
    }
  }

  /**
   * With OPERATOR_SSO_SIGN_OUT=provider, the ID token sealed for the browser to keep until it signs out (the
   * provider's sign-out asks for it: `id_token_hint`); null when not needed, or too long for a cookie (the sign-out
   * then goes without it, and the provider may ask the person to confirm).
   */
  sealIdToken(idToken: string | undefined): string | null {
    if (this.settings.signOut !== 'provider' || idToken === undefined) return null;
    const sealed = seal(this.ctx.masterKey, this.ctx.random.bytes(12), idToken, ID_TOKEN_AAD);
    return sealed.length > MAX_SEALED_ID_TOKEN ? null : sealed;
  }

  /**
   * Where to send the browser to sign out at the provider too (OpenID Connect RP-Initiated Logout 1.0), with the
   * ID token sealed at sign-in when the browser still has it; null with OPERATOR_SSO_SIGN_OUT=here, or when the
   * provider has no sign-out endpoint or cannot be reached (the session here is ended all the same).
   */
  async signOutUrl(sealedIdToken: string | undefined): Promise<string | null> {
    if (this.settings.signOut !== 'provider') return null;
    let configuration: Oidc.Configuration;
    try {
      configuration = await this.#discovered();
    } catch {
      return null;
    }
    if (!configuration.serverMetadata().end_session_endpoint) return null;
    let idToken: string | null = null;
    if (sealedIdToken)
      try {
        idToken = unseal(unsealingKeys(this.ctx), sealedIdToken, ID_TOKEN_AAD);
      } catch {
        // Not one this deployment sealed: sign out without it.
      }
    const oidc = await library();
    return oidc.buildEndSessionUrl(configuration, {
      post_logout_redirect_uri: this.postLogoutRedirectUri,
      ...(idToken === null ? {} : { id_token_hint: idToken }),
    }).href;
  }

  #opened(cookie: string | undefined): SsoState {
    if (!cookie) throw new SsoError('expired', 'no sign-in was started in this browser (no state cookie)');
    let state: SsoState;
    try {
      state = JSON.parse(unseal(unsealingKeys(this.ctx), cookie, AAD)) as SsoState;
    } catch {
      // Sealed here and opened only here: whatever does not open was not made by this deployment.
      throw new SsoError('expired', 'the sign-in state cookie does not open');
    }
    if (!(state.expiresAt > this.ctx.clock.now())) throw new SsoError('expired', 'the sign-in took too long');
    return state;
  }

  /**
   * What an operator setting single sign-on up needs to know (`orchestrator sso check`): the provider's metadata read
   * (else SsoError `unavailable`), the addresses to register at the provider, and what of this server's settings it
   * cannot serve: the scopes it does not list, a sign-out with no end-session endpoint, no UserInfo endpoint.
   */
  async check(): Promise<SsoCheck> {
    const metadata = (await this.#discovered()).serverMetadata();
    const supported = metadata.scopes_supported;
    const signOut = this.settings.signOut === 'provider';
    return {
      issuer: metadata.issuer,
      redirectUri: this.redirectUri,
      postLogoutRedirectUri: signOut ? this.postLogoutRedirectUri : null,
      scopesNotListed: supported ? this.settings.scope.split(' ').filter((s) => !supported.includes(s)) : [],
      backChannelLogoutUri: this.backChannelLogoutUri,
      backChannelLogout:
        metadata.backchannel_logout_supported !== true
          ? 'none'
          : metadata.backchannel_logout_session_supported === true
            ? 'session'
            : 'subject',
      endSessionEndpoint: metadata.end_session_endpoint ?? null,
      userInfoEndpoint: metadata.userinfo_endpoint ?? null,
      problems: [
        ...(signOut && !metadata.end_session_endpoint
          ? [
              'OPERATOR_SSO_SIGN_OUT=provider, but the provider has no end_session_endpoint: signing out ends the session here only',
            ]
          : []),
      ],
    };
  }

  /** The provider's metadata, read once; a failure is answered `unavailable` and read again next time. */
  #discovered(): Promise<Oidc.Configuration> {
    if (this.#configuration === null) {
      const { issuer, clientId, clientSecret } = this.settings;
      const local = new URL(issuer).protocol === 'http:';
      this.#configuration = library()
        .then((oidc) =>
          oidc.discovery(new URL(issuer), clientId, clientSecret, oidc.ClientSecretBasic(clientSecret), {
            timeout: 10,
            ...(local ? { execute: [oidc.allowInsecureRequests] } : {}),
          }),
        )
        .catch((failure: Error) => {
          this.#configuration = null;
          throw new SsoError('unavailable', `the provider's metadata could not be read: ${failure.message}`);
        });
    }
    return this.#configuration;
  }
}
