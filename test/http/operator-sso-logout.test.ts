import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { hashSecret } from '../../src/core/auth/secrets.js';
import { caller, createTestApp, ISSUER, signIn, type TestApp } from '../helpers/app.js';
import {
  type CookieJar,
  type IdentityProvider,
  SSO_CLIENT_ID,
  SSO_CLIENT_SECRET,
  signInAtProvider,
  signOutAtProvider,
  ssoSettings,
  startIdentityProvider,
} from '../helpers/identity-provider.js';
import { freePort } from '../helpers/net.js';

const CALLBACK = `${ISSUER}/api/admin/sso/callback`;
const LOGOUT_PATH = '/api/admin/sso/back-channel-logout';
const EVENT = { 'http://schemas.openid.net/event/backchannel-logout': {} };

/** Posts a form to `on`'s back-channel logout as the provider's server does (from `remoteAddress`, when given). */
function postLogoutTo(
  on: TestApp,
  body: string,
  { headers = {}, remoteAddress }: { headers?: Record<string, string>; remoteAddress?: string } = {},
) {
  return on.app.inject({
    method: 'POST',
    url: LOGOUT_PATH,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: body,
    ...(remoteAddress ? { remoteAddress } : {}),
  });
}

/** The token with one byte of its signature changed (in the middle: a last character may only carry padding bits). */
function changedSignature(token: string): string {
  const [header, payload, signature = ''] = token.split('.');
  const bytes = Buffer.from(signature, 'base64url');
  bytes[10] = (bytes[10] ?? 0) ^ 1;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

describe("single sign-on: the provider's back-channel logout (OpenID Connect Back-Channel Logout 1.0)", () => {
  let provider: IdentityProvider;
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  const call = caller(() => t);
  const settings = (issuer: string) => ssoSettings(issuer);

  /** A browser signing `login` in through the provider, keeping its cookies there: its session cookie here. */
  const signInThroughProvider = async (login: string, jar: CookieJar) => {
    const started = await t.app.inject({
      method: 'GET',
      url: '/api/admin/sso/start',
      headers: { host: new URL(ISSUER).host },
    });
    const state = /orch_sso=([^;]+)/.exec(String(started.headers['set-cookie']))?.[1];
    const back = await signInAtProvider(started.headers.location as string, login, jar);
    const answer = await t.app.inject({
      method: 'GET',
      url: `${back.pathname}${back.search}`,
      headers: { cookie: `orch_sso=${state}` },
    });
    const session = /orch_session=([^;]+)/.exec(String(answer.headers['set-cookie']))?.[1];
    assert.ok(session, answer.body);
    return { cookie: `orch_session=${session}` };
  };
  const signedIn = async (headers: Record<string, string>) =>
    (await call('GET', '/api/admin/session', headers)).statusCode === 200;
  /** Posts a logout token as the provider's server does, to this suite's server. */
  const postLogout = (body: string, headers: Record<string, string> = {}) =>
    postLogoutTo(t, body, { headers });
  const logoutToken = (claims: Record<string, unknown>, header?: Record<string, unknown>) =>
    provider.signLogoutToken(
      {
        iss: provider.issuer,
        aud: SSO_CLIENT_ID,
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 120,
        jti: `jti-${Math.random()}`,
        events: EVENT,
        ...claims,
      },
      header,
    );
  /** What the store keeps of the provider with a session (the store keys sessions by the cookie's hash). */
  const providerOf = async ({ cookie }: { cookie: string }) =>
    (await t.services.ctx.store.operators.getSession(hashSecret(cookie.split('=')[1] as string)))?.provider ??
    null;

  before(async () => {
    const port = await freePort();
    provider = await startIdentityProvider({
      redirectUri: CALLBACK,
      backChannelLogoutUri: `http://127.0.0.1:${port}${LOGOUT_PATH}`,
    });
    t = await createTestApp({ store: 'sqlite', operatorSso: settings(provider.issuer) });
    await t.app.listen({ port, host: '127.0.0.1' });
    admin = await signIn(t);
    for (const username of ['alice', 'bob']) {
      const made = await call('POST', '/api/admin/operators', admin.headers, {
        username,
        password: `${username} password long enough`,
        role: 'viewer',
      });
      assert.equal(made.statusCode, 201, made.body);
    }
  });
  after(async () => {
    await t.close();
    await provider.close();
  });

  test('signing out at the provider ends the session opened from that session there, on its own, and is audited', async () => {
    const first: CookieJar = new Map();
    const second: CookieJar = new Map();
    const fromFirst = await signInThroughProvider('alice', first);
    const fromSecond = await signInThroughProvider('alice', second);
    const bobs = await signInThroughProvider('bob', new Map());
    const kept = await providerOf(fromFirst);
    assert.equal(kept?.subject, 'alice', "the provider's sub is kept with the session");
    assert.ok(kept?.session, 'and its sid, which this provider sends when asked for back-channel logout');
    assert.notEqual(kept.session, (await providerOf(fromSecond))?.session);

    const sent = provider.backChannelLogouts.length;
    await signOutAtProvider(provider.issuer, first);
    assert.deepEqual(
      provider.backChannelLogouts.slice(sent),
      [{ ok: true }],
      'the provider was answered 200',
    );
    assert.equal(
      await signedIn(fromFirst),
      false,
      'the session from the provider session that ended has ended',
    );
    assert.equal(await signedIn(fromSecond), true, "another browser's session there is not this one");
    assert.equal(await signedIn(bobs), true);

    const events = (
      await call('GET', '/api/admin/audit?operator=single%20sign-on%20provider', admin.headers)
    ).json() as {
      action: string;
      actor: string;
      detail: Record<string, unknown>;
    }[];
    assert.deepEqual(
      events.filter((e) => e.action === 'operator.sessions-ended').map((e) => e.detail),
      [{ username: 'alice', sessions: 1, by: 'back-channel logout' }],
    );
  });

  test('a logout token with the person alone (sub) ends every single sign-on session of theirs, not their password sessions', async () => {
    const one = await signInThroughProvider('bob', new Map());
    const two = await signInThroughProvider('bob', new Map());
    const password = await signIn(t, 'bob', 'bob password long enough');
    const answer = await postLogout(`logout_token=${await logoutToken({ sub: 'bob' })}`);
    assert.equal(answer.statusCode, 200, answer.body);
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.equal(await signedIn(one), false);
    assert.equal(await signedIn(two), false);
    assert.equal(await signedIn(password.headers), true, 'a password session is not the provider’s to end');
    // Said again (the provider retries), or for someone with no session here: 200, nothing to do.
    assert.equal((await postLogout(`logout_token=${await logoutToken({ sub: 'bob' })}`)).statusCode, 200);
    // The same token shown again, after bob signed in once more: taken once, it ends nothing the second time.
    const once = await logoutToken({ sub: 'bob' });
    assert.equal((await postLogout(`logout_token=${once}`)).statusCode, 200);
    const after = await signInThroughProvider('bob', new Map());
    assert.equal((await postLogout(`logout_token=${once}`)).statusCode, 200);
    assert.equal(await signedIn(after), true, 'a replayed logout token ends no session opened since');
    assert.equal((await postLogout(`logout_token=${await logoutToken({ sub: 'nobody' })}`)).statusCode, 200);
  });

  test('a token that is not a logout token for this client from this provider is refused (400) and ends nothing', async () => {
    const session = await signInThroughProvider('alice', new Map());
    const now = Math.floor(Date.now() / 1000);
    /** A logout token's claims, right in all but how it is signed. */
    const forged = {
      iss: provider.issuer,
      aud: SSO_CLIENT_ID,
      iat: now,
      jti: 'j',
      sub: 'alice',
      events: EVENT,
    };
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const cases: [string, string][] = [
      ['another issuer', await logoutToken({ sub: 'alice', iss: 'http://elsewhere.test' })],
      ['another client', await logoutToken({ sub: 'alice', aud: 'another-client' })],
      ['no events claim', await logoutToken({ sub: 'alice', events: undefined })],
      ['another event', await logoutToken({ sub: 'alice', events: { 'https://example.test/event': {} } })],
      [
        'an event that is no object',
        await logoutToken({ sub: 'alice', events: { [Object.keys(EVENT)[0] as string]: 'yes' } }),
      ],
      ['a nonce (an ID token)', await logoutToken({ sub: 'alice', nonce: 'n' })],
      ['neither sub nor sid', await logoutToken({})],
      ['no jti', await logoutToken({ sub: 'alice', jti: undefined })],
      ['no iat', await logoutToken({ sub: 'alice', iat: undefined })],
      ['issued 20 minutes ago', await logoutToken({ sub: 'alice', iat: now - 1200, exp: now + 60 })],
      ['expired', await logoutToken({ sub: 'alice', iat: now - 300, exp: now - 120 })],
      [
        'signed with a key not the provider’s',
        await new SignJWT(forged).setProtectedHeader({ alg: 'ES256', kid: 'provider-key' }).sign(other),
      ],
      [
        'signed with the client secret (HS256)',
        await new SignJWT(forged)
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode(SSO_CLIENT_SECRET)),
      ],
      [
        'not signed (alg none)',
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
          JSON.stringify(forged),
        ).toString('base64url')}.`,
      ],
      ['a changed signature', changedSignature(await logoutToken({ sub: 'alice' }))],
      ['not a JWT', 'not-a-token'],
    ];
    for (const [name, token] of cases) {
      const answer = await postLogout(`logout_token=${encodeURIComponent(token)}`);
      assert.equal(answer.statusCode, 400, `${name}: ${answer.body}`);
      assert.equal(answer.json().error, 'invalid_request', name);
      assert.equal(typeof answer.json().error_description, 'string', name);
      assert.equal(answer.headers['cache-control'], 'no-store', name);
    }
    for (const [name, body, headers] of [
      ['no logout_token', 'token=x', {}],
      ['an empty one', 'logout_token=', {}],
      ['a repeated one', 'logout_token=a&logout_token=b', {}],
      ['no body', '', {}],
      ['a body of another type', '<xml/>', { 'content-type': 'application/xml' }],
    ] as const) {
      const answer = await postLogout(body, headers);
      assert.ok([400, 415].includes(answer.statusCode), `${name}: ${answer.statusCode} ${answer.body}`);
    }
    assert.equal(await signedIn(session), true, 'nothing was ended');
  });

  test('answers from any address under ADMIN_NETWORKS: the provider’s servers are not the operators’ network', async () => {
    const guarded = await createTestApp({
      operatorSso: settings(provider.issuer),
      adminNetworks: ['10.0.0.0/8'],
    });
    try {
      const from = { remoteAddress: '203.0.113.9' };
      const adminRoute = await guarded.app.inject({ method: 'GET', url: '/api/admin/sso', ...from });
      assert.equal(adminRoute.statusCode, 403, 'the rest of the admin API stays closed to it');
      const answer = await postLogoutTo(guarded, `logout_token=${await logoutToken({ sub: 'alice' })}`, from);
      assert.equal(answer.statusCode, 200, answer.body);
    } finally {
      await guarded.close();
    }
  });

  test('without single sign-on set up, the address answers 404', async () => {
    const plain = await createTestApp();
    try {
      const answer = await postLogoutTo(plain, 'logout_token=x');
      assert.equal(answer.statusCode, 404, answer.body);
      assert.equal(answer.json().error, 'invalid_request');
    } finally {
      await plain.close();
    }
  });

  test('no logout token reaches the log', async () => {
    const token = await logoutToken({ sub: 'alice' });
    await postLogout(`logout_token=${token}`);
    const text = t.logs.join('\n');
    assert.ok(!text.includes(token.split('.')[2] as string));
  });
});
