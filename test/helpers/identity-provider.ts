import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

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
}): Promise<{ issuer: string; close(): Promise<void> }> {
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

  const provider = new Provider(issuer, {
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
  const server: Server = provider.listen(port, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A browser's part at the provider, without a browser: follows its redirects with its cookies, types `login` into
 * the development sign-in page, and answers where the provider sends the browser back (the callback URL).
 */
export async function signInAtProvider(authorizationUrl: string, login: string): Promise<URL> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  const keep = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair?.indexOf('=') ?? -1;
      if (pair && at > 0) jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
  };
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
