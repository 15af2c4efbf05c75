import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { totpCode } from '../../src/core/auth/totp.js';
import { ADMIN_PASSWORD, caller, createTestApp, signIn, type TestApp } from '../helpers/app.js';

const STEP = 30_000;

describe('one-time codes (TOTP) for operator sign-in', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  let secret: string;
  let recoveryCodes: string[] = [];
  const seen: string[] = [];
  before(async () => {
    t = await createTestApp({ store: 'sqlite' });
    admin = await signIn(t);
  });
  after(async () => t.close());

  const call = caller(() => t);
  const login = (username: string, password: string, code?: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/admin/login',
      payload: { username, password, ...(code === undefined ? {} : { code }) },
    });
  /** The code of the current step; the clock moves a step first, so that no two calls share one. */
  const nextCode = (of = secret) => {
    t.clock.advance(STEP);
    const code = totpCode(of, t.clock.now());
    seen.push(code);
    return code;
  };
  /** A well-formed code that is not the current one. */
  const wrongCode = () => (totpCode(secret, t.clock.now()) === '000000' ? '111111' : '000000');
  /** Signs admin in with the password and the next code. */
  const signInWithCode = async () => {
    const response = await login('admin', ADMIN_PASSWORD, nextCode());
    assert.equal(response.statusCode, 200, response.body);
    const cookie = response.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    return { cookie, headers: { cookie, 'x-csrf-token': response.json().csrfToken as string } };
  };
  const setUp = async (headers: Record<string, string>) => {
    const setup = await call('POST', '/api/admin/totp/setup', headers);
    assert.equal(setup.statusCode, 200, setup.body);
    assert.equal(setup.headers['cache-control'], 'no-store');
    return setup.json() as { secret: string; uri: string };
  };

  test('set up: a secret shown once, pending until a first code turns it on', async () => {
    assert.deepEqual((await call('GET', '/api/admin/totp', admin.headers)).json(), {
      enabled: false,
      pending: false,
      recoveryCodesLeft: 0,
    });
    const first = await setUp(admin.headers);
    assert.match(first.secret, /^[A-Z2-7]{32}$/);
    const uri = new URL(first.uri);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), first.secret);
    assert.equal(uri.searchParams.get('issuer'), 'Conversation Orchestrator (orchestrator.test)');
    // Setting up again replaces a pending secret: the first one's codes no longer turn it on.
    ({ secret } = await setUp(admin.headers));
    assert.notEqual(secret, first.secret);
    assert.deepEqual((await call('GET', '/api/admin/totp', admin.headers)).json(), {
      enabled: false,
      pending: true,
      recoveryCodesLeft: 0,
    });
    const stale = await call('POST', '/api/admin/totp/enable', admin.headers, {
      code: nextCode(first.secret),
    });
    assert.equal(stale.statusCode, 400);
    assert.match(stale.json().detail, /does not match/);
    for (const code of ['12345', 'abcdef', 123456])
      assert.equal((await call('POST', '/api/admin/totp/enable', admin.headers, { code })).statusCode, 400);
    assert.equal((await login('admin', ADMIN_PASSWORD)).statusCode, 200, 'pending: no code asked yet');

    const enabled = await call('POST', '/api/admin/totp/enable', admin.headers, { code: nextCode() });
    assert.equal(enabled.statusCode, 200, enabled.body);
    assert.equal(enabled.headers['cache-control'], 'no-store');
    recoveryCodes = enabled.json().recoveryCodes;
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);
    for (const code of recoveryCodes) assert.match(code, /^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    seen.push(...recoveryCodes);
    assert.deepEqual((await call('GET', '/api/admin/totp', admin.headers)).json(), {
      enabled: true,
      pending: false,
      recoveryCodesLeft: 10,
    });
    const operators = (await call('GET', '/api/admin/operators', admin.headers)).json() as {
      username: string;
      totpEnabled: boolean;
    }[];
    assert.equal(operators.find((o) => o.username === 'admin')?.totpEnabled, true);
    assert.equal(
      (await call('POST', '/api/admin/totp/setup', admin.headers)).statusCode,
      409,
      'on: not replaced',
    );
    const row = await t.ctx.store.operators.getTotp('admin');
    assert.ok(row && !row.secretCipher.includes(secret), 'sealed at rest');
    const stored = JSON.stringify(row);
    for (const code of recoveryCodes)
      assert.ok(!stored.includes(code.replaceAll('-', '')), 'only hashes kept');
  });

  test('sign-in asks for the code once the password is right; each code counts once', async () => {
    const noCode = await login('admin', ADMIN_PASSWORD);
    assert.equal(noCode.statusCode, 401);
    assert.equal(noCode.json().code, 'mfa_required');
    assert.match(noCode.json().detail, /6-digit code/);
    const wrongPassword = await login('admin', 'not the password');
    assert.equal(
      wrongPassword.json().code,
      'unauthorized',
      'nothing said about codes before the password is right',
    );
    const wrong = await login('admin', ADMIN_PASSWORD, wrongCode());
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().code, 'mfa_required');
    const code = nextCode();
    const right = await login('admin', ADMIN_PASSWORD, code);
    assert.equal(right.statusCode, 200, right.body);
    const replay = await login('admin', ADMIN_PASSWORD, code);
    assert.equal(replay.statusCode, 401, 'the same code again');
    assert.match(replay.json().detail, /used already/);
    assert.equal((await login('admin', ADMIN_PASSWORD, nextCode())).statusCode, 200);
    t.clock.advance(61_000); // the failures above fall out of the sign-in guard's minute
  });

  test('a recovery code signs in once in place of a code; new ones replace the old; a wrong one counts as a failure', async () => {
    const recover = (recoveryCode: string, extra: Record<string, string> = {}) =>
      t.app.inject({
        method: 'POST',
        url: '/api/admin/login',
        payload: { username: 'admin', password: ADMIN_PASSWORD, recoveryCode, ...extra },
      });
    const [first, second] = recoveryCodes as [string, string];
    // Typed in capitals, with spaces instead of dashes: the same code.
    const used = await recover(first.toUpperCase().replaceAll('-', ' '));
    assert.equal(used.statusCode, 200, used.body);
    assert.equal(used.json().recoveryCodesLeft, 9);
    const again = await recover(first);
    assert.equal(again.statusCode, 401);
    assert.equal(again.json().code, 'mfa_required');
    assert.match(again.json().detail, /recovery code is wrong or was used already/);
    const both = await recover(second, { code: '123456' });
    assert.equal(both.statusCode, 400, 'a code or a recovery code, not both');
    const bad = await recover('not-a-code!');
    assert.equal(bad.statusCode, 400);
    const wrongPassword = await t.app.inject({
      method: 'POST',
      url: '/api/admin/login',
      payload: { username: 'admin', password: 'not the password', recoveryCode: second },
    });
    assert.equal(wrongPassword.statusCode, 401);
    assert.equal(wrongPassword.json().code, 'unauthorized', 'the code is not spent on a wrong password');
    const session = await signInWithCode();
    assert.equal((await call('GET', '/api/admin/totp', session.headers)).json().recoveryCodesLeft, 9);
    const events = (await call('GET', '/api/admin/audit?limit=500', session.headers)).json() as {
      action: string;
      detail: Record<string, unknown>;
    }[];
    assert.ok(
      events.some(
        (e) =>
          e.action === 'operator.signed-in' &&
          e.detail.recoveryCodeUsed === true &&
          e.detail.recoveryCodesLeft === 9,
      ),
    );

    // New codes need the password and a current code; the old ones stop working.
    const refused = await call('POST', '/api/admin/totp/recovery-codes', session.headers, {
      currentPassword: ADMIN_PASSWORD,
      code: wrongCode(),
    });
    assert.equal(refused.statusCode, 403);
    const replaced = await call('POST', '/api/admin/totp/recovery-codes', session.headers, {
      currentPassword: ADMIN_PASSWORD,
      code: nextCode(),
    });
    assert.equal(replaced.statusCode, 200, replaced.body);
    assert.equal(replaced.headers['cache-control'], 'no-store');
    const fresh = replaced.json().recoveryCodes as string[];
    seen.push(...fresh);
    assert.equal(fresh.length, 10);
    assert.ok(!fresh.some((c) => recoveryCodes.includes(c)));
    assert.equal((await recover(second)).statusCode, 401, 'an old code no longer works');
    recoveryCodes = fresh;
    assert.equal((await recover(recoveryCodes[9] as string)).statusCode, 200);
    recoveryCodes = recoveryCodes.slice(0, 9);
    t.clock.advance(61_000); // the failures above fall out of the sign-in guard's minute
  });

  test('guessing codes is rate-limited with the password guesses', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login('admin', ADMIN_PASSWORD, '999999')).statusCode);
    assert.deepEqual(statuses.slice(-1), [429]);
    assert.ok(statuses.slice(0, 5).every((s) => s === 401 || s === 429));
    t.clock.advance(61_000);
  });

  test('managed from a session only; turning off proves the password and a code', async () => {
    const session = await signInWithCode();
    const made = await call('POST', '/api/admin/operator-tokens', session.headers, { name: 'automation' });
    const bearer = { authorization: `Bearer ${made.json().token}` };
    for (const [url, body] of [
      ['/api/admin/totp/setup', undefined],
      ['/api/admin/totp/enable', { code: '123456' }],
      ['/api/admin/totp/disable', { currentPassword: ADMIN_PASSWORD, code: '123456' }],
      ['/api/admin/totp/recovery-codes', { currentPassword: ADMIN_PASSWORD, code: '123456' }],
    ] as const) {
      const response = await call('POST', url, bearer, body);
      assert.equal(response.statusCode, 403, url);
      assert.match(response.json().detail, /signed-in session/);
    }
    const wrongPassword = await call('POST', '/api/admin/totp/disable', session.headers, {
      currentPassword: 'wrong wrong wrong',
      code: nextCode(),
    });
    assert.equal(wrongPassword.statusCode, 403);
    const badCode = await call('POST', '/api/admin/totp/disable', session.headers, {
      currentPassword: ADMIN_PASSWORD,
      code: wrongCode(),
    });
    assert.equal(badCode.statusCode, 403);
    assert.deepEqual((await call('GET', '/api/admin/totp', session.headers)).json(), {
      enabled: true,
      pending: false,
      recoveryCodesLeft: 9,
    });
    const neither = await call('POST', '/api/admin/totp/disable', session.headers, {
      currentPassword: ADMIN_PASSWORD,
    });
    assert.equal(neither.statusCode, 400);
    // The phone is lost: a recovery code turns them off in place of a code.
    const off = await call('POST', '/api/admin/totp/disable', session.headers, {
      currentPassword: ADMIN_PASSWORD,
      recoveryCode: recoveryCodes[0],
    });
    assert.equal(off.statusCode, 204, off.body);
    assert.equal(
      (
        await call('POST', '/api/admin/totp/recovery-codes', session.headers, {
          currentPassword: ADMIN_PASSWORD,
          code: '123456',
        })
      ).statusCode,
      409,
      'no codes on: no recovery codes',
    );
    assert.equal((await login('admin', ADMIN_PASSWORD)).statusCode, 200, 'the password alone again');
    t.clock.advance(61_000);
  });

  test("an admin removes another's codes (a lost phone); not their own; a viewer cannot", async () => {
    admin = await signIn(t);
    await call('POST', '/api/admin/operators', admin.headers, {
      username: 'lost-phone',
      password: 'lost phone pass',
    });
    const owner = await signIn(t, 'lost-phone', 'lost phone pass');
    const theirs = (await setUp(owner.headers)).secret;
    assert.equal(
      (await call('POST', '/api/admin/totp/enable', owner.headers, { code: nextCode(theirs) })).statusCode,
      200,
    );
    assert.equal((await login('lost-phone', 'lost phone pass')).json().code, 'mfa_required');
    const byViewer = await call('DELETE', '/api/admin/operators/admin/totp', owner.headers);
    assert.equal(byViewer.statusCode, 403);
    assert.equal(
      (await call('DELETE', '/api/admin/operators/admin/totp', admin.headers)).statusCode,
      409,
      'own',
    );
    assert.equal((await call('DELETE', '/api/admin/operators/nobody/totp', admin.headers)).statusCode, 404);
    const reset = await call('DELETE', '/api/admin/operators/lost-phone/totp', admin.headers);
    assert.equal(reset.statusCode, 204);
    assert.equal((await login('lost-phone', 'lost phone pass')).statusCode, 200);
    assert.equal(
      (await call('DELETE', '/api/admin/operators/lost-phone/totp', admin.headers)).statusCode,
      404,
    );
    const events = (await call('GET', '/api/admin/audit?limit=500', admin.headers)).json() as {
      action: string;
      actor: string;
      detail: Record<string, unknown>;
    }[];
    const actions = events.map((e) => `${e.actor} ${e.action} ${e.detail.username}`);
    for (const expected of [
      'admin operator.totp-enabled admin',
      'admin operator.totp-disabled admin',
      'lost-phone operator.totp-enabled lost-phone',
      'admin operator.totp-reset lost-phone',
    ])
      assert.ok(actions.includes(expected), `${expected} in ${actions.join(', ')}`);
  });

  test('no secret and no code in any log line', () => {
    const logs = t.logs.join('\n');
    assert.ok(!logs.includes(secret));
    // A code on its own, not six digits inside a longer number (a timestamp, a duration) that happen to match it.
    const alone = (text: string) => new RegExp(`(?<![0-9A-Za-z])${text}(?![0-9A-Za-z])`);
    for (const code of seen) {
      assert.ok(!alone(code).test(logs), code);
      assert.ok(!alone(code.replaceAll('-', '')).test(logs), code);
    }
  });
});

describe('OPERATOR_TOTP=required', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ operatorTotp: 'required' });
  });
  after(async () => t.close());

  test('an operator without codes may only set them up; API tokens are not asked', async () => {
    const token = (await t.services.operators.createApiToken('admin', 'automation', null)).token;
    const session = await signIn(t);
    const call = (method: 'GET' | 'POST', url: string, payload?: unknown, headers = session.headers) =>
      t.app.inject({
        method,
        url,
        headers,
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
    assert.equal((await call('GET', '/api/admin/session')).json().totpSetupRequired, true);
    const held = await call('GET', '/api/admin/accounts');
    assert.equal(held.statusCode, 403);
    assert.equal(held.json().code, 'mfa_setup_required');
    assert.equal((await call('POST', '/api/admin/accounts', { accountId: 'held1' })).statusCode, 403);
    assert.equal(
      (await call('GET', '/api/admin/accounts', undefined, { authorization: `Bearer ${token}` })).statusCode,
      200,
      'an API token is a credential of its own',
    );

    const { secret } = (await call('POST', '/api/admin/totp/setup')).json() as { secret: string };
    t.clock.advance(STEP);
    assert.equal(
      (await call('POST', '/api/admin/totp/enable', { code: totpCode(secret, t.clock.now()) })).statusCode,
      200,
    );
    assert.equal((await call('GET', '/api/admin/session')).json().totpSetupRequired, false);
    assert.equal((await call('GET', '/api/admin/accounts')).statusCode, 200, 'the same session goes on');
    t.clock.advance(STEP);
    const off = await call('POST', '/api/admin/totp/disable', {
      currentPassword: ADMIN_PASSWORD,
      code: totpCode(secret, t.clock.now()),
    });
    assert.equal(off.statusCode, 204, off.body);
    // Off, the operator is where a new one starts: only setting codes up again (another phone) is open.
    assert.equal((await call('GET', '/api/admin/session')).json().totpSetupRequired, true);
    assert.equal((await call('GET', '/api/admin/accounts')).json().code, 'mfa_setup_required');
    assert.equal((await call('POST', '/api/admin/totp/setup')).statusCode, 200);
  });
});
