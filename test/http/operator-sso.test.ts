import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseGroupGrants } from '../../src/core/sso-groups.js';
import { ADMIN_PASSWORD, caller, createTestApp, ISSUER, signIn, type TestApp } from '../helpers/app.js';
import {
  SSO_CLIENT_ID,
  SSO_CLIENT_SECRET,
  signInAtProvider,
  ssoSettings,
  startIdentityProvider,
} from '../helpers/identity-provider.js';

const CALLBACK = `${ISSUER}/api/admin/sso/callback`;
type Injected = Awaited<ReturnType<TestApp['app']['inject']>>;

/** The value of cookie `name` that a response sets, or null. */
function setCookie(response: Injected, name: string): { value: string; attributes: string } | null {
  const lines = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  const line = lines.find((l) => l.startsWith(`${name}=`));
  if (!line) return null;
  const [pair = '', ...attributes] = line.split(';');
  return { value: pair.slice(name.length + 1), attributes: attributes.join(';').trim() };
}

describe('single sign-on for operators (OpenID Connect, with a real provider in this process)', () => {
  let provider: Awaited<ReturnType<typeof startIdentityProvider>>;
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  const call = caller(() => t);
  const settings = ssoSettings;
  /** `/api/admin/sso/start`: where it sends the browser, and the state cookie it sets. */
  const start = async (on: TestApp = t) => {
    const response = await on.app.inject({
      method: 'GET',
      url: '/api/admin/sso/start',
      headers: { host: new URL(ISSUER).host },
    });
    assert.equal(response.statusCode, 302, response.body);
    return { location: response.headers.location as string, state: setCookie(response, 'orch_sso') };
  };
  /** Every authorization code the provider gave in these tests: none may reach the log. */
  const codes: string[] = [];
  const callback = (url: URL, state: string | undefined, on: TestApp = t) => {
    const code = url.searchParams.get('code');
    if (code) codes.push(code);
    return on.app.inject({
      method: 'GET',
      url: `${url.pathname}${url.search}`,
      headers: state === undefined ? {} : { cookie: `orch_sso=${state}` },
    });
  };
  /** The whole sign-in of `login` at the provider: the callback's answer. */
  const signInAs = async (login: string, on: TestApp = t) => {
    const { location, state } = await start(on);
    return callback(await signInAtProvider(location, login), state?.value, on);
  };

  before(async () => {
    provider = await startIdentityProvider({ redirectUri: CALLBACK });
    t = await createTestApp({ store: 'sqlite', operatorSso: settings(provider.issuer) });
    admin = await signIn(t);
    const made = await call('POST', '/api/admin/operators', admin.headers, {
      username: 'alice',
      password: 'alice password long',
      role: 'viewer',
    });
    assert.equal(made.statusCode, 201, made.body);
  });
  after(async () => {
    await t.close();
    await provider.close();
  });

  test('the sign-in page learns it is set up; start sends the browser to the provider with PKCE, state and nonce', async () => {
    assert.deepEqual((await t.app.inject({ method: 'GET', url: '/api/admin/sso' })).json(), {
      enabled: true,
      name: 'Example SSO',
      passwordSignIn: true,
      passkeySignIn: true,
      rolesFromGroups: false,
    });
    const { location, state } = await start();
    const url = new URL(location);
    assert.equal(url.origin, provider.issuer);
    assert.equal(url.searchParams.get('client_id'), SSO_CLIENT_ID);
    assert.equal(url.searchParams.get('redirect_uri'), CALLBACK);
    assert.equal(url.searchParams.get('response_type'), 'code');
    assert.equal(url.searchParams.get('scope'), 'openid profile email');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    for (const name of ['code_challenge', 'state', 'nonce']) assert.ok(url.searchParams.get(name), name);
    assert.ok(state, 'the state is kept in a cookie');
    assert.match(state.attributes, /HttpOnly/);
    assert.match(state.attributes, /SameSite=Lax/);
    assert.match(state.attributes, /Path=\/api\/admin\/sso/);
    assert.ok(!state.value.includes(url.searchParams.get('state') as string), 'sealed, not readable');
  });

  test('started at another address than ISSUER, the browser is first sent to ISSUER (once), where it comes back', async () => {
    const elsewhere = await t.app.inject({
      method: 'GET',
      url: '/api/admin/sso/start',
      headers: { host: '127.0.0.1:8080' },
    });
    assert.equal(elsewhere.statusCode, 302, elsewhere.body);
    assert.equal(elsewhere.headers.location, `${ISSUER}/api/admin/sso/start?moved=1`);
    assert.equal(
      setCookie(elsewhere, 'orch_sso'),
      null,
      'no state on a host the provider does not come back to',
    );
    // Sent once: a proxy that rewrites Host would otherwise send it round for ever.
    const again = await t.app.inject({
      method: 'GET',
      url: '/api/admin/sso/start?moved=1',
      headers: { host: 'backend:8080' },
    });
    assert.equal(again.statusCode, 302, again.body);
    assert.equal(new URL(again.headers.location as string).origin, provider.issuer);
    assert.ok(setCookie(again, 'orch_sso')?.value);
    const junk = await t.app.inject({ method: 'GET', url: '/api/admin/sso/start?moved=yes' });
    assert.equal(junk.statusCode, 400, junk.body);
  });

  test('an operator the provider names is signed in: a session marked sso, audited', async () => {
    const answer = await signInAs('alice');
    assert.equal(answer.statusCode, 302, answer.body);
    assert.equal(answer.headers.location, '/');
    const session = setCookie(answer, 'orch_session');
    assert.ok(session?.value, 'a session cookie');
    assert.match(session.attributes, /SameSite=Strict/);
    assert.equal(setCookie(answer, 'orch_sso')?.value, '', 'the state cookie is cleared');
    const headers = { cookie: `orch_session=${session.value}` };
    const me = await call('GET', '/api/admin/session', headers);
    assert.equal(me.statusCode, 200, me.body);
    assert.equal(me.json().username, 'alice');
    const sessions = (await call('GET', '/api/admin/sessions', headers)).json() as { signedInWith: string }[];
    assert.deepEqual(
      sessions.map((s) => s.signedInWith),
      ['sso'],
    );
    const events = (await call('GET', '/api/admin/audit?operator=alice', admin.headers)).json() as {
      action: string;
      detail: unknown;
    }[];
    assert.deepEqual(
      events.filter((e) => e.action === 'operator.signed-in').map((e) => e.detail),
      [{ sso: true }],
    );
  });

  test('nobody becomes an operator by signing in: an unknown username is refused and audited', async () => {
    const answer = await signInAs('mallory');
    assert.equal(answer.statusCode, 302);
    assert.equal(answer.headers.location, '/?sso_error=unknown_operator');
    assert.equal(setCookie(answer, 'orch_session'), null);
    const events = (await call('GET', '/api/admin/audit?operator=mallory', admin.headers)).json() as {
      action: string;
    }[];
    assert.deepEqual(
      events.map((e) => e.action),
      ['operator.sso-refused'],
    );
  });

  test("a callback without its browser's state, with another's, replayed or too late signs nobody in", async () => {
    const first = await start();
    const returned = await signInAtProvider(first.location, 'alice');
    const other = await start();
    const refusals: [string, () => Promise<Injected>, string][] = [
      ['no state cookie', () => callback(returned, undefined), 'expired'],
      ['a cookie not sealed here', () => callback(returned, 'v1.x.y.z.w'), 'expired'],
      ["another sign-in's state", () => callback(returned, other.state?.value), 'refused'],
    ];
    for (const [what, send, failure] of refusals) {
      const answer = await send();
      assert.equal(answer.headers.location, `/?sso_error=${failure}`, what);
      assert.equal(setCookie(answer, 'orch_session'), null, what);
    }
    assert.equal(
      (await callback(returned, first.state?.value)).headers.location,
      '/',
      'its own state: signed in',
    );
    const replayed = await callback(returned, first.state?.value);
    assert.equal(replayed.headers.location, '/?sso_error=refused', 'a code is used once');

    const denied = new URL(CALLBACK);
    denied.search = `?error=access_denied&state=${new URL(other.location).searchParams.get('state')}`;
    assert.equal((await callback(denied, other.state?.value)).headers.location, '/?sso_error=refused');
    const late = await start();
    const lateReturn = await signInAtProvider(late.location, 'alice');
    t.clock.advance(11 * 60_000);
    assert.equal((await callback(lateReturn, late.state?.value)).headers.location, '/?sso_error=expired');

    const bad = await t.app.inject({
      method: 'GET',
      url: `/api/admin/sso/callback?code=${'x'.repeat(5000)}`,
    });
    assert.equal(bad.statusCode, 400, 'an oversize code is refused before anything');
  });

  test('under OPERATOR_TOTP=required, the provider signs an operator in alone; a password sign-in is still held', async () => {
    const strict = await createTestApp({ operatorTotp: 'required', operatorSso: settings(provider.issuer) });
    try {
      // The admin is held until codes are set up: the command line adds her.
      await strict.services.operators.createOperator('alice', 'alice password long', 'viewer');
      const answer = await signInAs('alice', strict);
      assert.equal(answer.headers.location, '/');
      const cookie = `orch_session=${setCookie(answer, 'orch_session')?.value}`;
      const me = (await caller(() => strict)('GET', '/api/admin/session', { cookie })).json();
      assert.equal(me.totpSetupRequired, false, 'not held until codes are set up');
      assert.equal((await caller(() => strict)('GET', '/api/admin/accounts', { cookie })).statusCode, 200);
      const password = await strict.app.inject({
        method: 'POST',
        url: '/api/admin/login',
        payload: { username: 'admin', password: ADMIN_PASSWORD },
      });
      const held = await caller(() => strict)('GET', '/api/admin/accounts', {
        cookie: `orch_session=${password.cookies.find((c) => c.name === 'orch_session')?.value}`,
      });
      assert.equal(held.statusCode, 403, 'a password sign-in still is');
    } finally {
      await strict.close();
    }
  });

  test('a provider whose answer names nobody, or that cannot be reached, is said so', async () => {
    const byEmail = await createTestApp({
      operatorSso: settings(provider.issuer, { usernameClaim: 'employee_id' }),
    });
    const unreachable = await createTestApp({ operatorSso: settings('http://localhost:1') });
    const off = await createTestApp();
    try {
      assert.equal((await signInAs('alice', byEmail)).headers.location, '/?sso_error=no_username');
      const down = await unreachable.app.inject({ method: 'GET', url: '/api/admin/sso/start?moved=1' });
      assert.equal(down.headers.location, '/?sso_error=unavailable');
      assert.ok(unreachable.logs.some((l) => l.includes("the provider's metadata could not be read")));
      assert.deepEqual((await off.app.inject({ method: 'GET', url: '/api/admin/sso' })).json(), {
        enabled: false,
        name: null,
        passwordSignIn: true,
        passkeySignIn: true,
        rolesFromGroups: false,
      });
      const none = await off.app.inject({ method: 'GET', url: '/api/admin/sso/start' });
      assert.equal(none.headers.location, '/?sso_error=unavailable');
    } finally {
      await byEmail.close();
      await unreachable.close();
      await off.close();
    }
  });

  test('with OPERATOR_PASSWORD_SIGN_IN=false, the provider is the only way in', async () => {
    const ssoOnly = await createTestApp({
      operatorSso: settings(provider.issuer),
      operatorPasswordSignIn: false,
    });
    try {
      assert.equal(
        (await ssoOnly.app.inject({ method: 'GET', url: '/api/admin/sso' })).json().passwordSignIn,
        false,
      );
      const refused = await ssoOnly.app.inject({
        method: 'POST',
        url: '/api/admin/login',
        payload: { username: 'admin', password: ADMIN_PASSWORD },
      });
      assert.equal(refused.statusCode, 403, refused.body);
      assert.match(refused.json().detail, /password sign-in is turned off here: sign in with single sign-on/);
      assert.equal(refused.cookies.length, 0);
      const answer = await signInAs('admin', ssoOnly);
      assert.equal(answer.headers.location, '/', 'the first admin signs in through the provider');
    } finally {
      await ssoOnly.close();
    }
  });

  test('with OPERATOR_SSO_NEW_OPERATORS=viewer, a new person becomes a viewer of no account, once', async () => {
    const open = await createTestApp({ operatorSso: settings(provider.issuer, { newOperators: 'viewer' }) });
    try {
      const answer = await signInAs('bob', open);
      assert.equal(answer.headers.location, '/', answer.body);
      const cookie = `orch_session=${setCookie(answer, 'orch_session')?.value}`;
      const me = (await caller(() => open)('GET', '/api/admin/session', { cookie })).json();
      assert.deepEqual([me.username, me.role, me.accounts], ['bob', 'viewer', []]);
      assert.deepEqual((await caller(() => open)('GET', '/api/admin/accounts', { cookie })).json(), []);
      assert.equal((await signInAs('bob', open)).headers.location, '/', 'signs in again, made once');
      const boss = await signIn(open);
      const created = (
        await caller(() => open)('GET', '/api/admin/audit?operator=bob', boss.headers)
      ).json() as {
        action: string;
        detail: Record<string, unknown>;
      }[];
      assert.deepEqual(
        created.filter((e) => e.action === 'operator.created').map((e) => e.detail),
        [
          {
            username: 'bob',
            role: 'viewer',
            accounts: 'none',
            by: 'single sign-on (OPERATOR_SSO_NEW_OPERATORS=viewer)',
          },
        ],
      );
      assert.equal(
        (await signInAs('not a username', open)).headers.location,
        '/?sso_error=unknown_operator',
        'a name operators cannot have',
      );
    } finally {
      await open.close();
    }
  });

  test('OPERATOR_SSO_GROUPS: the groups at the provider make the operator, and set their role and accounts at each sign-in', async () => {
    /** What the provider says each person is in, at the moment they sign in. */
    const groupsOf: Record<string, string[]> = {
      dana: ['support'],
      alice: ['ops', 'marketing'],
      admin: [],
    };
    const grouped = await startIdentityProvider({
      redirectUri: CALLBACK,
      claims: (login) => ({ preferred_username: login, groups: groupsOf[login] ?? [] }),
    });
    const byGroups = await createTestApp({
      operatorSso: settings(grouped.issuer, {
        scope: 'openid profile email groups',
        groups: parseGroupGrants('ops=admin; acme-admins=admin:acme,not-made-yet; support=viewer'),
      }),
    });
    const on = caller(() => byGroups);
    const sessionOf = (answer: Injected) => ({
      cookie: `orch_session=${setCookie(answer, 'orch_session')?.value}`,
    });
    const audit = async (action: string) =>
      (
        (await on('GET', '/api/admin/audit?operator=dana', adminOf.headers)).json() as {
          action: string;
          detail: unknown;
        }[]
      )
        .filter((e) => e.action === action)
        .map((e) => e.detail);
    const adminOf = await signIn(byGroups);
    try {
      await byGroups.services.accounts.create('acme');
      await byGroups.services.operators.createOperator('alice', 'alice password long', 'viewer', ['acme']);
      const by = 'single sign-on (OPERATOR_SSO_GROUPS)';
      assert.equal(
        (await on('GET', '/api/admin/sso', {})).json().rolesFromGroups,
        true,
        'the web app learns it',
      );

      // A newcomer in a group: made an operator with what it gives, at once.
      const first = await signInAs('dana', byGroups);
      assert.equal(first.headers.location, '/', first.body);
      const dana = sessionOf(first);
      const me = (await on('GET', '/api/admin/session', dana)).json();
      assert.deepEqual([me.username, me.role, me.accounts], ['dana', 'viewer', null]);
      assert.deepEqual(await audit('operator.created'), [
        { username: 'dana', role: 'viewer', accounts: 'every account', by },
      ]);

      // Moved to another group at the provider: the next sign-in changes role and accounts (an account the
      // setting names that does not exist is not given), and her first session acts with them at once.
      groupsOf.dana = ['acme-admins'];
      assert.equal((await signInAs('dana', byGroups)).headers.location, '/');
      const now = (await on('GET', '/api/admin/session', dana)).json();
      assert.deepEqual([now.role, now.accounts], ['admin', ['acme']]);
      assert.deepEqual(await audit('operator.role-changed'), [{ username: 'dana', role: 'admin', by }]);
      assert.deepEqual(await audit('operator.accounts-changed'), [
        { username: 'dana', accounts: 'acme', by },
      ]);
      // The same groups again: nothing to change, nothing recorded.
      assert.equal((await signInAs('dana', byGroups)).headers.location, '/');
      assert.equal((await audit('operator.role-changed')).length, 1);

      // In none of the groups: refused, recorded with the groups the provider named; she stays an operator.
      groupsOf.dana = ['marketing'];
      assert.equal((await signInAs('dana', byGroups)).headers.location, '/?sso_error=no_role');
      assert.deepEqual(await audit('operator.sso-refused'), [
        { username: 'dana', reason: 'in none of the groups of OPERATOR_SSO_GROUPS', groups: 'marketing' },
      ]);

      // An operator an admin made here: the groups decide once she signs in through the provider.
      assert.equal((await signInAs('alice', byGroups)).headers.location, '/');
      const listed = (await on('GET', '/api/admin/operators', adminOf.headers)).json() as {
        username: string;
        role: string;
        accounts: string[] | null;
      }[];
      const alice = listed.find((o) => o.username === 'alice');
      assert.deepEqual([alice?.role, alice?.accounts], ['admin', null]);
      // The first admin, in no group: not through the provider; the password still signs them in.
      assert.equal((await signInAs('admin', byGroups)).headers.location, '/?sso_error=no_role');
      await signIn(byGroups);
    } finally {
      await byGroups.close();
      await grouped.close();
    }
  });

  test('a provider that puts the username and the groups in UserInfo alone (OpenID Connect Core §5.4): read there', async () => {
    const strict = await startIdentityProvider({
      redirectUri: CALLBACK,
      claimsInIdToken: false,
      claims: (login) => ({ preferred_username: login, groups: login === 'gus' ? ['ops'] : [] }),
    });
    const plain = await createTestApp({ operatorSso: settings(strict.issuer) });
    const byGroups = await createTestApp({
      operatorSso: settings(strict.issuer, {
        scope: 'openid profile email groups',
        groups: parseGroupGrants('ops=admin'),
      }),
    });
    try {
      await plain.services.operators.createOperator('alice', 'alice password long', 'viewer');
      assert.equal((await signInAs('alice', plain)).headers.location, '/', 'the username from UserInfo');
      assert.equal((await signInAs('gus', byGroups)).headers.location, '/', 'the groups from UserInfo');
      assert.equal((await byGroups.ctx.store.operators.getOperator('gus'))?.role, 'admin');
      assert.equal((await signInAs('hal', byGroups)).headers.location, '/?sso_error=no_role');
    } finally {
      await plain.close();
      await byGroups.close();
      await strict.close();
    }
  });

  test('OPERATOR_SSO_GROUPS: without the groups claim (the scope not asked), nobody is let in', async () => {
    const grouped = await startIdentityProvider({
      redirectUri: CALLBACK,
      claims: (login) => ({ preferred_username: login, groups: ['ops'] }),
    });
    const byGroups = await createTestApp({
      operatorSso: settings(grouped.issuer, { groups: parseGroupGrants('ops=admin') }),
    });
    try {
      assert.equal((await signInAs('erin', byGroups)).headers.location, '/?sso_error=no_role');
      assert.equal(await byGroups.ctx.store.operators.getOperator('erin'), null, 'nobody made');
      const refused = (await byGroups.ctx.store.audit.listAudit({ operator: 'erin', limit: 10 }))
        .filter((e) => e.action === 'operator.sso-refused')
        .map((e) => e.detail);
      assert.deepEqual(refused, [
        {
          username: 'erin',
          reason:
            'the provider sent no groups claim (ask for the scope that brings it in OPERATOR_SSO_SCOPE, or add it at the provider)',
          groups: '',
        },
      ]);
    } finally {
      await byGroups.close();
      await grouped.close();
    }
  });

  test('OPERATOR_SSO_GROUPS: a provider that sends a reference to the groups instead (too many for a token) is said so', async () => {
    // As Entra ID does for someone in more than 200 groups: distributed claims (OpenID Connect Core §5.6.2).
    const overage = await startIdentityProvider({
      redirectUri: CALLBACK,
      claims: (login) => ({
        preferred_username: login,
        _claim_names: { groups: 'src1' },
        _claim_sources: { src1: { endpoint: 'https://graph.example.test/v1.0/users/1/getMemberObjects' } },
      }),
    });
    const byGroups = await createTestApp({
      operatorSso: settings(overage.issuer, {
        scope: 'openid profile email groups',
        groups: parseGroupGrants('ops=admin'),
      }),
    });
    try {
      assert.equal((await signInAs('fay', byGroups)).headers.location, '/?sso_error=no_role');
      const [refused] = (await byGroups.ctx.store.audit.listAudit({ operator: 'fay', limit: 10 })).filter(
        (e) => e.action === 'operator.sso-refused',
      );
      assert.match(String(refused?.detail.reason), /a reference to them elsewhere \(distributed claims/);
      assert.equal(await byGroups.ctx.store.operators.getOperator('fay'), null);
    } finally {
      await byGroups.close();
      await overage.close();
    }
  });

  test('OPERATOR_SSO_SIGN_OUT=provider: signing out of a single sign-on session sends the browser to end the provider session too', async () => {
    const provided = await startIdentityProvider({
      redirectUri: CALLBACK,
      postLogoutRedirectUri: `${ISSUER}/`,
    });
    const out = await createTestApp({ operatorSso: settings(provided.issuer, { signOut: 'provider' }) });
    const on = caller(() => out);
    try {
      await out.services.operators.createOperator('alice', 'alice password long', 'viewer');
      const answer = await signInAs('alice', out);
      assert.equal(answer.headers.location, '/', answer.body);
      // The ID token, sealed, for the sign-out alone.
      const kept = setCookie(answer, 'orch_sso_id');
      assert.ok(kept?.value, 'the ID token is kept by the browser');
      assert.match(kept.attributes, /HttpOnly/);
      assert.match(kept.attributes, /SameSite=Strict/);
      assert.match(kept.attributes, /Path=\/api\/admin\/logout/);
      assert.ok(!kept.value.startsWith('eyJ'), 'sealed, not the token itself');
      const cookie = `orch_session=${setCookie(answer, 'orch_session')?.value}; orch_sso_id=${kept.value}`;
      const { csrfToken } = (await on('GET', '/api/admin/session', { cookie })).json();

      const bye = await on('POST', '/api/admin/logout', { cookie, 'x-csrf-token': csrfToken });
      assert.equal(bye.statusCode, 200, bye.body);
      const url = new URL(bye.json().providerSignOut);
      assert.equal(url.origin, provided.issuer);
      assert.equal(url.searchParams.get('client_id'), SSO_CLIENT_ID);
      assert.equal(url.searchParams.get('post_logout_redirect_uri'), `${ISSUER}/`);
      assert.ok(url.searchParams.get('id_token_hint'), 'the ID token as the hint');
      assert.equal(setCookie(bye, 'orch_sso_id')?.value, '', 'the ID token cookie is cleared');
      assert.equal((await on('GET', '/api/admin/session', { cookie })).statusCode, 401, 'ended here');
      // The provider takes the request: its sign-out page, not an error about the hint or the return address.
      const there = await fetch(url);
      assert.equal(there.status, 200, await there.clone().text());
      assert.match(await there.text(), /logout/i);

      // Without the kept token (another browser's cookie jar lost it): the provider's sign-out all the same.
      const again = await signInAs('alice', out);
      const bare = `orch_session=${setCookie(again, 'orch_session')?.value}`;
      const csrf = (await on('GET', '/api/admin/session', { cookie: bare })).json().csrfToken;
      const noHint = await on('POST', '/api/admin/logout', { cookie: bare, 'x-csrf-token': csrf });
      assert.equal(new URL(noHint.json().providerSignOut).searchParams.get('id_token_hint'), null);

      // A password session signs out here only, as before.
      const password = await signIn(out);
      assert.equal((await on('POST', '/api/admin/logout', password.headers)).statusCode, 204);
    } finally {
      await out.close();
      await provided.close();
    }
  });

  test('OPERATOR_SSO_SIGN_OUT=here (the default): a single sign-on session signs out here only, and keeps no ID token', async () => {
    const answer = await signInAs('alice');
    assert.equal(setCookie(answer, 'orch_sso_id'), null);
    const cookie = `orch_session=${setCookie(answer, 'orch_session')?.value}`;
    const { csrfToken } = (await call('GET', '/api/admin/session', { cookie })).json();
    assert.equal(
      (await call('POST', '/api/admin/logout', { cookie, 'x-csrf-token': csrfToken })).statusCode,
      204,
    );
  });

  test('no secret of the flow reaches the log', async () => {
    const text = t.logs.join('\n');
    assert.ok(!text.includes(SSO_CLIENT_SECRET), 'the client secret');
    assert.ok(!/orch_session=|orch_sso=/.test(text), 'cookies');
    assert.ok(codes.length >= 5, 'codes were given, refused ones among them');
    for (const code of codes) assert.ok(!text.includes(code), 'an authorization code');
  });
});
