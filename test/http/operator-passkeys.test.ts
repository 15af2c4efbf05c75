import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { totpCode } from '../../src/core/auth/totp.js';
import { ADMIN_PASSWORD, caller, createTestApp, ISSUER, signIn, type TestApp } from '../helpers/app.js';
import { SoftPasskey } from '../helpers/webauthn.js';

type Headers = Record<string, string>;
interface CreationOptions {
  challenge: string;
  rp: { id: string; name: string };
  user: { id: string; name: string };
  excludeCredentials?: { id: string }[];
}
interface RequestOptions {
  challenge: string;
  rpId: string;
  allowCredentials: { id: string }[];
}
interface Listed {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

describe('passkeys (WebAuthn) as a second factor of operator sign-in', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  const call = caller(() => t);
  const login = (username: string, password: string, second: Record<string, unknown> = {}) =>
    t.app.inject({ method: 'POST', url: '/api/admin/login', payload: { username, password, ...second } });
  const options = async (headers: Headers, currentPassword = ADMIN_PASSWORD) => {
    const response = await call('POST', '/api/admin/passkeys/options', headers, { currentPassword });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    return response.json().options as CreationOptions;
  };
  const add = (headers: Headers, body: Record<string, unknown>) =>
    call('POST', '/api/admin/passkeys', headers, {
      name: 'Laptop',
      ...body,
    });
  const listed = async (headers: Headers) =>
    (await call('GET', '/api/admin/passkeys', headers)).json().passkeys as Listed[];
  /** The password alone: the mfa_required answer and its options. */
  const asked = async (username = 'admin', password = ADMIN_PASSWORD) => {
    const response = await login(username, password);
    assert.equal(response.statusCode, 401, response.body);
    const body = response.json();
    assert.equal(body.code, 'mfa_required');
    return body as { detail: string; methods: string[]; passkeyOptions?: RequestOptions };
  };
  const events = async (action: string) =>
    (
      (await call('GET', '/api/admin/audit?limit=100', admin.headers)).json() as {
        action: string;
        detail: Record<string, unknown>;
      }[]
    ).filter((e) => e.action === action);

  before(async () => {
    t = await createTestApp({ store: 'sqlite' });
    admin = await signIn(t);
  });
  after(async () => t.close());

  const key = new SoftPasskey(ISSUER);

  test('added from a session, the password given for the options: listed, audited; the options serve once', async () => {
    assert.deepEqual((await call('GET', '/api/admin/passkeys', admin.headers)).json(), {
      available: true,
      reason: null,
      passkeys: [],
    });
    const creation = await options(admin.headers);
    assert.equal(creation.rp.id, 'orchestrator.test', "the RP ID is ISSUER's host");
    assert.equal(creation.user.name, 'admin');
    assert.notEqual(Buffer.from(creation.user.id, 'base64url').toString(), 'admin', 'no name in the handle');

    const wrongPassword = await call('POST', '/api/admin/passkeys/options', admin.headers, {
      currentPassword: 'not it',
    });
    assert.equal(wrongPassword.statusCode, 403, wrongPassword.body);
    assert.equal(wrongPassword.json().detail, 'the current password is wrong');
    for (const body of [{}, { currentPassword: '' }, { currentPassword: ADMIN_PASSWORD, extra: 1 }])
      assert.equal((await call('POST', '/api/admin/passkeys/options', admin.headers, body)).statusCode, 400);

    const made = await add(admin.headers, { name: '  Laptop  ', response: key.register(creation) });
    assert.equal(made.statusCode, 201, made.body);
    assert.deepEqual(made.json(), {
      id: key.credentialId,
      name: 'Laptop',
      createdAt: new Date(t.clock.now()).toISOString(),
      lastUsedAt: null,
    });
    assert.deepEqual(await listed(admin.headers), [made.json()]);
    assert.deepEqual(
      (await events('operator.passkey-added')).map((e) => e.detail),
      [{ username: 'admin', passkey: 'Laptop' }],
    );

    const again = await add(admin.headers, { response: new SoftPasskey(ISSUER).register(creation) });
    assert.equal(again.statusCode, 400, 'the options were used');
    assert.match(again.json().detail, /does not verify, or its request expired or was used/);
    const next = await options(admin.headers);
    assert.deepEqual(
      next.excludeCredentials?.map((c) => c.id),
      [key.credentialId],
      'no second registration',
    );
    const twice = await add(admin.headers, { response: key.register(next) });
    assert.equal(twice.statusCode, 409, twice.body);
    assert.equal(twice.json().detail, 'this passkey is registered already');
  });

  test("the browser's answer must be for this server, this operator, and in time", async () => {
    const other = new SoftPasskey(ISSUER);
    const refusals: [string, () => Promise<Record<string, unknown>>][] = [
      [
        'another origin',
        async () => other.register(await options(admin.headers), { origin: 'http://evil.test' }),
      ],
      ['another RP ID', async () => other.register(await options(admin.headers), { rpId: 'evil.test' })],
      [
        'a challenge of its own',
        async () =>
          other.register({
            challenge: Buffer.alloc(39, 7).toString('base64url'),
            rp: { id: 'orchestrator.test' },
          }),
      ],
      [
        'expired options',
        async () => {
          const old = await options(admin.headers);
          t.clock.advance(5 * 60_000);
          return other.register(old);
        },
      ],
      [
        "another operator's options",
        async () => {
          await call('POST', '/api/admin/operators', admin.headers, {
            username: 'pat',
            password: 'pat password long',
            role: 'viewer',
          });
          const pat = (await signIn(t, 'pat', 'pat password long')).headers;
          return other.register(await options(pat, 'pat password long'));
        },
      ],
      [
        'sign-in options',
        async () => {
          const { passkeyOptions } = await asked();
          return other.register({
            challenge: passkeyOptions?.challenge ?? '',
            rp: { id: 'orchestrator.test' },
          });
        },
      ],
    ];
    for (const [what, answer] of refusals) {
      const response = await add(admin.headers, { name: 'Other', response: await answer() });
      assert.equal(response.statusCode, 400, `${what}: ${response.body}`);
    }
    assert.deepEqual(
      (await listed(admin.headers)).map((p) => p.name),
      ['Laptop'],
      'none of them was added',
    );
    for (const body of [
      { name: '', response: other.register(await options(admin.headers)) },
      { name: 'x'.repeat(65), response: other.register(await options(admin.headers)) },
      {
        response: {
          id: 'not base64!',
          rawId: 'x',
          type: 'public-key',
          response: {},
          clientExtensionResults: {},
        },
      },
      { response: 'a string' },
      { extra: true },
    ]) {
      const response = await add(admin.headers, body);
      assert.equal(response.statusCode, 400, `${JSON.stringify(body).slice(0, 80)}: ${response.body}`);
    }
  });

  test('sign-in: the password, then the passkey; each answer once; a forged or cloned one refused', async () => {
    const first = await asked();
    assert.deepEqual(first.methods, ['passkey']);
    assert.equal(first.detail, 'use your passkey to finish signing in');
    assert.equal(first.passkeyOptions?.rpId, 'orchestrator.test');
    assert.deepEqual(
      first.passkeyOptions?.allowCredentials.map((c) => c.id),
      [key.credentialId],
    );
    assert.equal(
      (await login('admin', 'wrong password')).json().code,
      'unauthorized',
      'no options before it',
    );

    t.clock.advance(60_000);
    const answer = key.authenticate(first.passkeyOptions as RequestOptions);
    const signedIn = await login('admin', ADMIN_PASSWORD, { passkey: answer });
    assert.equal(signedIn.statusCode, 200, signedIn.body);
    assert.ok(signedIn.json().csrfToken);
    const [used] = await listed(admin.headers);
    assert.equal(used?.lastUsedAt, new Date(t.clock.now()).toISOString());
    const [event] = await events('operator.signed-in');
    assert.deepEqual(event?.detail, { passkey: 'Laptop' });

    const replay = await login('admin', ADMIN_PASSWORD, { passkey: answer });
    assert.equal(replay.statusCode, 401, 'an answer signs in once');
    assert.equal(replay.json().detail, 'the passkey was not accepted: try again or use another way');
    assert.ok(replay.json().passkeyOptions, 'with new options to try again');
    t.clock.advance(60_000);
    // Five failures a minute lock the name (the sign-in guard): the clock moves a minute after each.
    const signInOptions = async () => (await asked()).passkeyOptions as RequestOptions;
    const refused: [string, () => Promise<unknown>][] = [
      ['a forged signature', async () => key.impostor().authenticate(await signInOptions())],
      ['another origin', async () => key.authenticate(await signInOptions(), { origin: 'http://evil.test' })],
      ['an unknown passkey', async () => new SoftPasskey(ISSUER).authenticate(await signInOptions())],
      ['options made to add a passkey', async () => key.authenticate(await options(admin.headers))],
      [
        'a challenge of its own',
        async () => key.authenticate({ challenge: Buffer.alloc(39, 2).toString('base64url') }),
      ],
    ];
    for (const [what, answer] of refused) {
      const response = await login('admin', ADMIN_PASSWORD, { passkey: await answer() });
      assert.equal(response.statusCode, 401, `${what}: ${response.body}`);
      assert.equal(response.json().code, 'mfa_required', what);
      t.clock.advance(60_000);
    }
    const late = (await asked()).passkeyOptions as RequestOptions;
    t.clock.advance(5 * 60_000);
    assert.equal(
      (await login('admin', ADMIN_PASSWORD, { passkey: key.authenticate(late) })).statusCode,
      401,
      'expired',
    );
    const both = await login('admin', ADMIN_PASSWORD, {
      passkey: key.authenticate((await asked()).passkeyOptions as RequestOptions),
      code: '123456',
    });
    assert.equal(both.statusCode, 400);
    assert.match(both.json().detail, /give one second factor/);
  });

  test('an authenticator that keeps a counter: a clone that does not move it is refused', async () => {
    const counting = new SoftPasskey(ISSUER, { counter: 10 });
    const made = await add(admin.headers, {
      name: 'Key',
      response: counting.register(await options(admin.headers)),
    });
    assert.equal(made.statusCode, 201, made.body);
    const clone = counting.clone();
    const ok = await login('admin', ADMIN_PASSWORD, {
      passkey: counting.authenticate((await asked()).passkeyOptions as RequestOptions),
    });
    assert.equal(ok.statusCode, 200, ok.body);
    const cloned = await login('admin', ADMIN_PASSWORD, {
      passkey: clone.authenticate((await asked()).passkeyOptions as RequestOptions),
    });
    assert.equal(cloned.statusCode, 401, 'its counter (11) is not past the last one seen (11)');
    t.clock.advance(60_000);
    const removed = await call('POST', `/api/admin/passkeys/${counting.credentialId}/remove`, admin.headers, {
      currentPassword: ADMIN_PASSWORD,
    });
    assert.equal(removed.statusCode, 204, removed.body);
  });

  test('with one-time codes too, either signs in; the answer lists both', async () => {
    const { secret } = (await call('POST', '/api/admin/totp/setup', admin.headers)).json() as {
      secret: string;
    };
    t.clock.advance(30_000);
    const enabled = await call('POST', '/api/admin/totp/enable', admin.headers, {
      code: totpCode(secret, t.clock.now()),
    });
    assert.equal(enabled.statusCode, 200, enabled.body);
    const both = await asked();
    assert.deepEqual(both.methods, ['totp', 'passkey']);
    assert.equal(both.detail, 'use your passkey, or enter the 6-digit code from your authenticator app');
    t.clock.advance(30_000);
    const wrongCode = await login('admin', ADMIN_PASSWORD, {
      code: totpCode(secret, t.clock.now()) === '000000' ? '111111' : '000000',
    });
    assert.equal(wrongCode.statusCode, 401);
    assert.ok(wrongCode.json().passkeyOptions, 'a wrong code is answered with a passkey to try');
    t.clock.advance(60_000);
    assert.equal(
      (await login('admin', ADMIN_PASSWORD, { code: totpCode(secret, t.clock.now()) })).statusCode,
      200,
    );
    assert.equal(
      (
        await login('admin', ADMIN_PASSWORD, {
          passkey: key.authenticate(both.passkeyOptions as RequestOptions),
        })
      ).statusCode,
      200,
    );
    t.clock.advance(30_000);
    const off = await call('POST', '/api/admin/totp/disable', admin.headers, {
      currentPassword: ADMIN_PASSWORD,
      code: totpCode(secret, t.clock.now()),
    });
    assert.equal(off.statusCode, 204, off.body);
  });

  test('removed with the password; an API token manages none; then the password alone signs in', async () => {
    const token = (
      await call('POST', '/api/admin/operator-tokens', admin.headers, { name: 'automation' })
    ).json().token as string;
    const bearer = { authorization: `Bearer ${token}` };
    assert.equal((await call('GET', '/api/admin/passkeys', bearer)).statusCode, 200, 'a token reads them');
    for (const [url, body] of [
      ['/api/admin/passkeys/options', { currentPassword: ADMIN_PASSWORD }],
      [`/api/admin/passkeys/${key.credentialId}/remove`, { currentPassword: ADMIN_PASSWORD }],
    ] as const) {
      const response = await call('POST', url, bearer, body);
      assert.equal(response.statusCode, 403, url);
      assert.match(response.json().detail, /manage passkeys from a signed-in session/);
    }
    const path = `/api/admin/passkeys/${key.credentialId}/remove`;
    assert.equal((await call('POST', path, admin.headers, { currentPassword: 'wrong' })).statusCode, 403);
    t.clock.advance(60_000);
    assert.equal(
      (
        await call('POST', '/api/admin/passkeys/bm9uZQ/remove', admin.headers, {
          currentPassword: ADMIN_PASSWORD,
        })
      ).statusCode,
      404,
    );
    const pat = (await signIn(t, 'pat', 'pat password long')).headers;
    assert.equal(
      (await call('POST', path, pat, { currentPassword: 'pat password long' })).statusCode,
      404,
      "another operator's passkey is not theirs to remove",
    );
    assert.equal(
      (await call('POST', path, admin.headers, { currentPassword: ADMIN_PASSWORD })).statusCode,
      204,
    );
    assert.deepEqual(await listed(admin.headers), []);
    assert.equal((await login('admin', ADMIN_PASSWORD)).statusCode, 200);
    assert.deepEqual(
      (await events('operator.passkey-removed')).map((e) => e.detail.passkey),
      ['Laptop', 'Key'],
    );
  });

  test('an admin removes the passkeys of an operator they manage; not their own that way', async () => {
    const pat = (await signIn(t, 'pat', 'pat password long')).headers;
    const patKey = new SoftPasskey(ISSUER);
    const made = await call('POST', '/api/admin/passkeys', pat, {
      name: 'Phone',
      response: patKey.register(await options(pat, 'pat password long')),
    });
    assert.equal(made.statusCode, 201, made.body);
    const rows = (await call('GET', '/api/admin/operators', admin.headers)).json() as {
      username: string;
      passkeys: number;
    }[];
    assert.equal(rows.find((o) => o.username === 'pat')?.passkeys, 1);
    assert.equal(rows.find((o) => o.username === 'admin')?.passkeys, 0);
    assert.deepEqual((await asked('pat', 'pat password long')).methods, ['passkey']);

    assert.equal(
      (await call('DELETE', '/api/admin/operators/pat/passkeys', pat)).statusCode,
      403,
      'a viewer',
    );
    const own = await call('DELETE', '/api/admin/operators/admin/passkeys', admin.headers);
    assert.equal(own.statusCode, 409);
    const reset = await call('DELETE', '/api/admin/operators/pat/passkeys', admin.headers);
    assert.equal(reset.statusCode, 204, reset.body);
    assert.deepEqual(
      (await events('operator.passkeys-reset')).map((e) => e.detail),
      [{ username: 'pat', passkeys: 1 }],
    );
    assert.equal((await login('pat', 'pat password long')).statusCode, 200, 'the password alone again');
    const none = await call('DELETE', '/api/admin/operators/pat/passkeys', admin.headers);
    assert.equal(none.statusCode, 404);
    assert.equal(none.json().detail, 'pat has no passkeys');
    assert.equal(
      (await call('DELETE', '/api/admin/operators/ghost/passkeys', admin.headers)).statusCode,
      404,
    );
  });
});

describe('passkeys and OPERATOR_TOTP=required', () => {
  test('a passkey is the second factor required: added before anything else, then asked at sign-in', async () => {
    const t = await createTestApp({ operatorTotp: 'required' });
    try {
      const call = caller(() => t);
      const session = await signIn(t);
      const me = async () => (await call('GET', '/api/admin/session', session.headers)).json();
      assert.equal((await me()).totpSetupRequired, true);
      assert.equal((await call('GET', '/api/admin/accounts', session.headers)).statusCode, 403, 'held back');
      const key = new SoftPasskey(ISSUER);
      const options = (
        await call('POST', '/api/admin/passkeys/options', session.headers, {
          currentPassword: ADMIN_PASSWORD,
        })
      ).json().options;
      const made = await call('POST', '/api/admin/passkeys', session.headers, {
        name: 'Laptop',
        response: key.register(options),
      });
      assert.equal(made.statusCode, 201, made.body);
      assert.equal((await me()).totpSetupRequired, false);
      assert.equal((await call('GET', '/api/admin/accounts', session.headers)).statusCode, 200);
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/admin/login',
        payload: { username: 'admin', password: ADMIN_PASSWORD },
      });
      assert.deepEqual(response.json().methods, ['passkey']);
    } finally {
      await t.close();
    }
  });
});

describe('a server named by an IP address', () => {
  test('holds no passkeys, and says why', async () => {
    const t = await createTestApp({ issuer: 'http://127.0.0.1:8080' });
    try {
      const call = caller(() => t);
      const admin = await signIn(t);
      const state = (await call('GET', '/api/admin/passkeys', admin.headers)).json();
      assert.equal(state.available, false);
      assert.match(
        state.reason,
        /passkeys need the server named by a domain name: ISSUER is http:\/\/127\.0\.0\.1:8080/,
      );
      const refused = await call('POST', '/api/admin/passkeys/options', admin.headers, {
        currentPassword: ADMIN_PASSWORD,
      });
      assert.equal(refused.statusCode, 409);
      assert.equal(refused.json().detail, state.reason);
    } finally {
      await t.close();
    }
  });
});

describe('a passkey alone: sign-in without a username or password', () => {
  let t: TestApp;
  const call = caller(() => t);
  const key = new SoftPasskey(ISSUER);
  const passwordless = async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/admin/login/passkey/options' });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    return response.json().options as RequestOptions & { userVerification: string };
  };
  const answer = (passkey: unknown) =>
    t.app.inject({ method: 'POST', url: '/api/admin/login/passkey', payload: { passkey } });

  before(async () => {
    t = await createTestApp({ store: 'sqlite' });
    const admin = await signIn(t);
    const creation = await call('POST', '/api/admin/passkeys/options', admin.headers, {
      currentPassword: ADMIN_PASSWORD,
    });
    const made = await call('POST', '/api/admin/passkeys', admin.headers, {
      name: 'Laptop',
      response: key.register(creation.json().options),
    });
    assert.equal(made.statusCode, 201, made.body);
  });
  after(async () => t.close());

  test('the options list no passkey and ask the authenticator to verify the person; the answer signs its operator in', async () => {
    const options = await passwordless();
    assert.equal(options.rpId, 'orchestrator.test');
    assert.deepEqual(options.allowCredentials, []);
    assert.equal(options.userVerification, 'required');

    const signedIn = await answer(key.authenticate(options));
    assert.equal(signedIn.statusCode, 200, signedIn.body);
    assert.equal(signedIn.headers['cache-control'], 'no-store');
    const { username, csrfToken } = signedIn.json();
    assert.equal(username, 'admin');
    const cookie = signedIn.cookies.find((c) => c.name === 'orch_session');
    assert.ok(cookie?.value && cookie.httpOnly && cookie.sameSite === 'Strict');
    const headers = { cookie: `orch_session=${cookie.value}`, 'x-csrf-token': csrfToken };
    const sessions = (await call('GET', '/api/admin/sessions', headers)).json() as {
      signedInWith: string;
      current: boolean;
    }[];
    assert.equal(sessions.find((s) => s.current)?.signedInWith, 'passkey');
    const events = (await call('GET', '/api/admin/audit?operator=admin', headers)).json() as {
      action: string;
      detail: unknown;
    }[];
    assert.deepEqual(events.find((e) => e.action === 'operator.signed-in')?.detail, {
      passkey: 'Laptop',
      passwordless: true,
    });
    assert.notEqual(
      (await call('GET', '/api/admin/passkeys', headers)).json().passkeys[0].lastUsedAt,
      null,
      'its last use is recorded',
    );

    const replayed = await answer(key.authenticate(options));
    assert.equal(replayed.statusCode, 401, 'the options serve once');
    assert.match(replayed.json().detail, /the passkey was not accepted/);
  });

  test('refused with 401: a person not verified, a passkey not registered here, a forgery, an expired or foreign challenge', async () => {
    const refusedWith = async (passkey: unknown, why: string) => {
      const response = await answer(passkey);
      assert.equal(response.statusCode, 401, `${why}: ${response.body}`);
      assert.equal(response.cookies.length, 0, `${why}: no session`);
    };
    await refusedWith(key.authenticate(await passwordless(), { verified: false }), 'a key without its PIN');
    await refusedWith(new SoftPasskey(ISSUER).authenticate(await passwordless()), 'unknown here');
    await refusedWith(
      key.impostor().authenticate(await passwordless()),
      "another key claiming this one's id",
    );
    await refusedWith(
      key.authenticate(await passwordless(), { origin: 'https://phish.example' }),
      'signed for another site',
    );
    const late = await passwordless();
    t.clock.advance(6 * 60_000);
    await refusedWith(key.authenticate(late), 'over 5 minutes old');

    // The second factor's challenge, made for one operator after their password, does not serve here.
    const mfa = await t.app.inject({
      method: 'POST',
      url: '/api/admin/login',
      payload: { username: 'admin', password: ADMIN_PASSWORD },
    });
    await refusedWith(key.authenticate(mfa.json().passkeyOptions), 'a second-factor challenge');
    // Nor this one as a second factor.
    const other = await t.app.inject({
      method: 'POST',
      url: '/api/admin/login',
      payload: {
        username: 'admin',
        password: ADMIN_PASSWORD,
        passkey: key.authenticate(await passwordless()),
      },
    });
    assert.equal(other.statusCode, 401, other.body);

    for (const payload of [
      {},
      { passkey: 'x' },
      { passkey: { id: 'a' } },
      { passkey: key.authenticate(late), extra: 1 },
    ])
      assert.equal(
        (await t.app.inject({ method: 'POST', url: '/api/admin/login/passkey', payload })).statusCode,
        400,
        JSON.stringify(payload).slice(0, 80),
      );
  });

  test('too many refused answers for one passkey: 429 with Retry-After, the right answer included, until the window passes', async () => {
    t.clock.advance(2 * 60_000);
    const forged = key.impostor();
    let status = 0;
    for (let i = 0; i < 20 && status !== 429; i++)
      status = (await answer(forged.authenticate(await passwordless()))).statusCode;
    assert.equal(status, 429);
    const held = await answer(key.authenticate(await passwordless()));
    assert.equal(held.statusCode, 429);
    assert.ok(Number(held.headers['retry-after']) > 0);
    // From elsewhere, its operator still signs in: knowing a passkey's id (no secret) locks nobody out.
    const elsewhere = await t.app.inject({
      method: 'POST',
      url: '/api/admin/login/passkey',
      payload: { passkey: key.authenticate(await passwordless()) },
      remoteAddress: '198.51.100.7',
    });
    assert.equal(elsewhere.statusCode, 200, elsewhere.body);
    t.clock.advance(2 * 60_000);
    assert.equal((await answer(key.authenticate(await passwordless()))).statusCode, 200);
  });

  test('under OPERATOR_TOTP=required it counts as both factors; with OPERATOR_PASSWORD_SIGN_IN=false and on an IP address it is refused', async () => {
    const strict = await createTestApp({ operatorTotp: 'required' });
    try {
      const admin = await signIn(strict);
      const on = caller(() => strict);
      const creation = await on('POST', '/api/admin/passkeys/options', admin.headers, {
        currentPassword: ADMIN_PASSWORD,
      });
      const strictKey = new SoftPasskey(ISSUER);
      await on('POST', '/api/admin/passkeys', admin.headers, {
        name: 'Phone',
        response: strictKey.register(creation.json().options),
      });
      const options = (
        await strict.app.inject({ method: 'POST', url: '/api/admin/login/passkey/options' })
      ).json().options;
      const signedIn = await strict.app.inject({
        method: 'POST',
        url: '/api/admin/login/passkey',
        payload: { passkey: strictKey.authenticate(options) },
      });
      const cookie = `orch_session=${signedIn.cookies.find((c) => c.name === 'orch_session')?.value}`;
      assert.equal((await on('GET', '/api/admin/accounts', { cookie })).statusCode, 200, 'not held');
    } finally {
      await strict.close();
    }
    const ssoOnly = await createTestApp({ operatorPasswordSignIn: false });
    const byAddress = await createTestApp({ issuer: 'http://127.0.0.1:8080' });
    try {
      const setupOf = async (on: TestApp) =>
        (await on.app.inject({ method: 'GET', url: '/api/admin/sso' })).json().passkeySignIn;
      assert.deepEqual(
        [await setupOf(t), await setupOf(ssoOnly), await setupOf(byAddress)],
        [true, false, false],
      );
      const off = await ssoOnly.app.inject({ method: 'POST', url: '/api/admin/login/passkey/options' });
      assert.equal(off.statusCode, 403, off.body);
      const offAnswer = await ssoOnly.app.inject({
        method: 'POST',
        url: '/api/admin/login/passkey',
        payload: { passkey: key.authenticate({ challenge: 'AAAA', rpId: 'orchestrator.test' }) },
      });
      assert.equal(offAnswer.statusCode, 403, offAnswer.body);
      const none = await byAddress.app.inject({ method: 'POST', url: '/api/admin/login/passkey/options' });
      assert.equal(none.statusCode, 409, none.body);
      assert.match(none.json().detail, /passkeys need the server named by a domain name/);
    } finally {
      await ssoOnly.close();
      await byAddress.close();
    }
  });
});
