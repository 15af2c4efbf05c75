import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import type { OperatorSsoSettings } from '../../src/config/config.js';

export const SSO_CLIENT_ID = 'orchestrator';
export const SSO_CLIENT_SECRET = 'a client secret of at least thirty-two characters';

/**
 * A real OpenID Connect provider (`oidc-provider`) in this process, on a loopback port, for the single sign-on
 * tests: its development sign-in page accepts any login, and signs that person in with `preferred_username` (and
 * `email`, unless told otherwise) equal to the login typed. Consent is taken as given, as for a company's own app.
 */
export async function startIdentityProvider(options: {
  /** The callback registered for the client (several: one for each server a test starts). */
  redirectUri: string | string[];
  /** Where the provider may send the browser back after signing out (RP-Initiated Logout); none by default. */
  postLogoutRedirectUri?: string;
  /**
   * false: the provider keeps to OpenID Connect Core §5.4 and puts the scopes' claims (the username, the groups) in
   * its UserInfo answer alone, not in the ID token; true by default (all in the ID token).
   */
  claimsInIdToken?: boolean;
  /** The claims of the person who typed `login`; by default `preferred_username` and `email`. */
  claims?: (login: string) => Record<string, unknown>;
  /**
   * Where the provider posts logout tokens when a person signs out there (OpenID Connect Back-Channel Logout 1.0);
   * none by default. With it, the provider asks for `sid` in its ID tokens and logout tokens too.
   */
  backChannelLogoutUri?: string;
  /**
   * false: the provider has no sign-out for applications — no `end_session_endpoint` (RP-Initiated Logout) and no
   * back-channel logout in its metadata; true by default.
   */
  signOut?: boolean;
}): Promise<IdentityProvider> {
  // The issuer must be known before the provider starts: take a port first.
  const probe = await import('node:net').then(({ createServer }) => createServer());
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  // 127.0.0.1, not localhost: the web app is opened at localhost in the browser tests, so the provider is on
  // another site, as a real one is (cookies' SameSite rules then apply as they will in use).
  const issuer = `http://127.0.0.1:${port}`;
  const claims =
    options.claims ?? ((login: string) => ({ preferred_username: login, email: `${login}@example.test` }));

  // The provider's signing key is the test's, so that tests can sign logout tokens of their own making with it.
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'provider-key', alg: 'RS256', use: 'sig' };
  const provider = new Provider(issuer, {
    jwks: { keys: [signingKey] },
    features:
      options.signOut === false
        ? { rpInitiatedLogout: { enabled: false }, backchannelLogout: { enabled: false } }
        : { backchannelLogout: { enabled: true } },
    // The provider refuses to post to loopback addresses (its guard against SSRF); the server under test is one.
    fetch: (url: string, init: RequestInit & { dispatcher?: unknown }) => {
      const { dispatcher: _loopbackRefused, ...rest } = init;
      return fetch(url, rest);
    },
    clients: [
      {
        client_id: SSO_CLIENT_ID,
        client_secret: SSO_CLIENT_SECRET,
        redirect_uris: ([] as string[]).concat(options.redirectUri),
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        ...(options.postLogoutRedirectUri
          ? { post_logout_redirect_uris: [options.postLogoutRedirectUri] }
          : {}),
        ...(options.backChannelLogoutUri
          ? {
              backchannel_logout_uri: options.backChannelLogoutUri,
              backchannel_logout_session_required: true,
            }
          : {}),
      },
    ],
    // `groups` as Keycloak and Okta send it: a scope of its own, asked for by the client.
    claims: { openid: ['sub'], profile: ['preferred_username'], email: ['email'], groups: ['groups'] },
    conformIdTokenClaims: options.claimsInIdToken === false,
    findAccount: async (_ctx: KoaContextWithOIDC, sub: string) => ({
      accountId: sub,
      claims: async () => ({ sub, ...claims(sub) }),
    }),
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { client, session } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope('openid profile email groups');
      await grant.save();
      return grant;
    },
    cookies: { keys: ['a cookie key for the tests of single sign-on'] },
  });
  const backChannelLogouts: BackChannelLogout[] = [];
  provider.on('backchannel.success', () => backChannelLogouts.push({ ok: true }));
  provider.on('backchannel.error', (_ctx: unknown, error: Error) =>
    backChannelLogouts.push({ ok: false, error: error.message }),
  );
  const server: Server = provider.listen(port, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    issuer,
    signLogoutToken: (claims, header = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: signingKey.kid, typ: 'logout+jwt', ...header })
        .sign(privateKey),
    backChannelLogouts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** OPERATOR_SSO_* as parsed, for the test provider at `issuer` (its client), with `change` on top of the defaults. */
export function ssoSettings(issuer: string, change: Partial<OperatorSsoSettings> = {}): OperatorSsoSettings {
  return {
    issuer,
    clientId: SSO_CLIENT_ID,
    clientSecret: SSO_CLIENT_SECRET,
    name: 'Example SSO',
    usernameClaim: 'preferred_username',
    scope: 'openid profile email',
    newOperators: 'refuse',
    groups: null,
    groupsClaim: 'groups',
    signOut: 'here',
    ...change,
  };
}

/** What the provider made of a back-channel logout it sent: the server answered 200, or not (why). */
export type BackChannelLogout = { ok: true } | { ok: false; error: string };

export interface IdentityProvider {
  issuer: string;
  /** A JWT signed with the provider's own key (RS256, `typ: logout+jwt` unless `header` says otherwise). */
  signLogoutToken(claims: JWTPayload, header?: Record<string, unknown>): Promise<string>;
  /** Every back-channel logout the provider sent, in order, with how it went. */
  backChannelLogouts: BackChannelLogout[];
  close(): Promise<void>;
}

/** A browser's cookies at the provider, kept across a sign-in and a sign-out there. */
export type CookieJar = Map<string, string>;

const cookiesOf = (jar: CookieJar) => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
const keepCookies = (jar: CookieJar, response: Response) => {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const at = pair?.indexOf('=') ?? -1;
    if (pair && at > 0) jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
};

/**
 * A browser's part at the provider, without a browser: follows its redirects with its cookies (`jar`, a fresh one
 * unless given), types `login` into the development sign-in page, and answers where the provider sends the browser
 * back (the callback URL).
 */
export async function signInAtProvider(
  authorizationUrl: string,
  login: string,
  jar: CookieJar = new Map(),
): Promise<URL> {
  const cookieHeader = () => cookiesOf(jar);
  const keep = (response: Response) => keepCookies(jar, response);
  let url = new URL(authorizationUrl);
  const origin = url.origin;
  for (let step = 0; step < 10; step++) {
    if (url.origin !== origin) return url;
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: cookieHeader() } });
    keep(response);
    const location = response.headers.get('location');
    if (location) {
      url = new URL(location, url);
      continue;
    }
    const page = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    if (!action)
      throw new Error(`the provider answered ${response.status} with no form: ${page.slice(0, 300)}`);
    const submitted = await fetch(new URL(action, url), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ prompt: 'login', login, password: 'any' }).toString(),
    });
    keep(submitted);
    url = new URL(submitted.headers.get('location') ?? '', url);
  }
  throw new Error('the provider never sent the browser back');
}

/**
 * The person signs out at the provider itself (its end-session page, as from its own portal, no application named):
 * the browser with `jar` opens the page and answers "Yes, sign me out". The provider then tells every application
 * the session signed in to (back-channel logout) before it answers.
 */
export async function signOutAtProvider(issuer: string, jar: CookieJar): Promise<void> {
  const page = await fetch(`${issuer}/session/end`, { headers: { cookie: cookiesOf(jar) } });
  keepCookies(jar, page);
  const html = await page.text();
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
  if (!action || !xsrf) throw new Error(`the provider's sign-out page has no form: ${html.slice(0, 300)}`);
  const confirmed = await fetch(new URL(action, issuer), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookiesOf(jar), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
  });
  if (confirmed.status !== 303 && confirmed.status !== 302)
    throw new Error(`the provider answered the sign-out ${confirmed.status}`);
}
