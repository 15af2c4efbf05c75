import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, caller, createTestApp, signIn, type TestApp } from '../helpers/app.js';

type Session = {
  id: string;
  createdAt: string;
  expiresAt: string;
  lastSeenAt: string;
  address: string | null;
  userAgent: string | null;
  current: boolean;
};

/** When the session ends, as `GET /api/admin/session` answers it. */
function ends(response: { statusCode: number; body: string; json(): unknown }) {
  assert.equal(response.statusCode, 200, response.body);
  const { expiresAt, idleExpiresAt } = response.json() as {
    expiresAt: string | null;
    idleExpiresAt: string | null;
  };
  return { expiresAt, idleExpiresAt };
}

const at = (ms: number) => new Date(ms).toISOString();

describe("operators' sessions: seen, and ended one by one or all but this one", () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  const call = caller(() => t);

  /** Signs in from `address` with `userAgent`; the headers that session sends. */
  const signInFrom = async (
    address: string,
    userAgent: string,
    username = 'admin',
    password = ADMIN_PASSWORD,
  ) => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/admin/login',
      remoteAddress: address,
      headers: { 'user-agent': userAgent },
      payload: { username, password },
    });
    assert.equal(response.statusCode, 200, response.body);
    const cookie = response.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    return { cookie, 'x-csrf-token': response.json().csrfToken as string };
  };
  const sessions = async (headers: Record<string, string>) => {
    const response = await call('GET', '/api/admin/sessions', headers);
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as Session[];
  };
  const alive = async (headers: Record<string, string>) =>
    (await call('GET', '/api/admin/session', headers)).statusCode === 200;
  const endsOf = async (headers: Record<string, string>) =>
    ends(await call('GET', '/api/admin/session', headers));

  test('listed newest first with where from and which browser; one ended by its id is refused at once', async () => {
    const laptop = await signInFrom('192.0.2.10', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0');
    t.clock.advance(60_000);
    const phone = await signInFrom('198.51.100.7', 'Mozilla/5.0 (iPhone) Safari/605.1');
    const listed = await sessions(laptop);
    assert.equal(listed.length, 2);
    assert.deepEqual(
      listed.map((s) => [s.address, s.userAgent, s.current]),
      [
        ['198.51.100.7', 'Mozilla/5.0 (iPhone) Safari/605.1', false],
        ['192.0.2.10', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0', true],
      ],
    );
    assert.match(listed[0]?.id ?? '', /^[0-9a-f]{32}$/);
    const text = JSON.stringify(listed);
    for (const secret of [laptop.cookie.split('=')[1], phone.cookie.split('=')[1], laptop['x-csrf-token']])
      assert.ok(!text.includes(secret as string), 'no cookie or CSRF token in the list');
    assert.deepEqual(
      (await sessions(phone)).map((s) => s.current),
      [true, false],
    );

    const ended = await call('DELETE', `/api/admin/sessions/${listed[0]?.id}`, laptop);
    assert.equal(ended.statusCode, 204, ended.body);
    assert.equal(await alive(phone), false, 'the phone is signed out at once');
    assert.equal(await alive(laptop), true);
    assert.equal((await sessions(laptop)).length, 1);
    assert.equal((await call('DELETE', `/api/admin/sessions/${listed[0]?.id}`, laptop)).statusCode, 404);
    assert.equal((await call('DELETE', '/api/admin/sessions/not-an-id', laptop)).statusCode, 400);
  });

  test('all but this one end at once; an admin ends every session of another operator, whose API tokens stay', async () => {
    const here = await signIn(t);
    const others = [await signInFrom('192.0.2.20', 'curl/8'), await signInFrom('192.0.2.21', 'curl/8')];
    const all = await call('DELETE', '/api/admin/sessions', here.headers);
    assert.equal(all.statusCode, 200, all.body);
    assert.ok(all.json().ended >= 2);
    assert.equal(await alive(here.headers), true, 'this one stays');
    for (const other of others) assert.equal(await alive(other), false);
    assert.deepEqual(
      (await sessions(here.headers)).map((s) => s.current),
      [true],
    );

    const added = await call('POST', '/api/admin/operators', here.headers, {
      username: 'night-shift',
      password: 'night shift password',
    });
    assert.equal(added.statusCode, 201, added.body);
    const theirs = [
      await signInFrom('192.0.2.30', 'a', 'night-shift', 'night shift password'),
      await signInFrom('192.0.2.31', 'b', 'night-shift', 'night shift password'),
    ];
    const token = (
      await call('POST', '/api/admin/operator-tokens', theirs[0] as Record<string, string>, {
        name: 'their script',
      })
    ).json().token as string;
    // Their own list shows only theirs; they cannot end an admin's session by its id.
    const adminSession = (await sessions(here.headers))[0]?.id as string;
    assert.equal((await sessions(theirs[0] as Record<string, string>)).length, 2);
    assert.equal(
      (await call('DELETE', `/api/admin/sessions/${adminSession}`, theirs[0] as Record<string, string>))
        .statusCode,
      404,
    );
    assert.equal(await alive(here.headers), true);
    // Only an admin ends another's.
    const refused = await call(
      'DELETE',
      '/api/admin/operators/admin/sessions',
      theirs[0] as Record<string, string>,
    );
    assert.equal(refused.statusCode, 403);

    const lostLaptop = await call('DELETE', '/api/admin/operators/night-shift/sessions', here.headers);
    assert.equal(lostLaptop.statusCode, 200, lostLaptop.body);
    assert.equal(lostLaptop.json().ended, 2);
    for (const session of theirs) assert.equal(await alive(session), false);
    const viaToken = await call('GET', '/api/admin/session', { authorization: `Bearer ${token}` });
    assert.equal(viaToken.statusCode, 200, 'their API tokens stay');
    assert.equal(
      (await call('DELETE', '/api/admin/operators/nobody/sessions', here.headers)).statusCode,
      404,
    );

    const audit = (await call('GET', '/api/admin/audit?limit=100', here.headers)).json() as {
      action: string;
      detail: Record<string, unknown>;
    }[];
    assert.ok(
      audit.some((e) => e.action === 'operator.sessions-ended' && e.detail.username === 'night-shift'),
    );
    assert.ok(audit.some((e) => e.action === 'operator.session-ended'));
  });

  test('a browser name is kept printable and short; none is none', async () => {
    const odd = await signInFrom('192.0.2.40', `Bot\u0007/1.0 ${'x'.repeat(400)}`);
    const mine = (await sessions(odd)).find((s) => s.current);
    assert.ok(mine?.userAgent?.startsWith('Bot/1.0 x'));
    assert.equal(mine?.userAgent?.length, 200);
    const none = await t.app.inject({
      method: 'POST',
      url: '/api/admin/login',
      headers: { 'user-agent': '   ' },
      payload: { username: 'admin', password: ADMIN_PASSWORD },
    });
    const cookie = none.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const listed = (await call('GET', '/api/admin/sessions', { cookie })).json() as Session[];
    assert.equal(listed.find((s) => s.current)?.userAgent, null);
  });

  test('the session answer says when it ends: at the latest, and without a further request, as the server decides it', async () => {
    const signedIn = t.clock.now();
    const headers = await signInFrom('192.0.2.60', 'Firefox');
    const latest = at(signedIn + 8 * 3_600_000);
    assert.deepEqual(await endsOf(headers), { expiresAt: latest, idleExpiresAt: at(signedIn + 30 * 60_000) });
    // Under a minute after the sign-in, a request is not recorded (to the minute): the deadline stays.
    t.clock.advance(45_000);
    assert.deepEqual(await endsOf(headers), { expiresAt: latest, idleExpiresAt: at(signedIn + 30 * 60_000) });
    // 90 seconds after it, this request is recorded, and the answer counts from it.
    t.clock.advance(45_000);
    const recorded = t.clock.now();
    assert.deepEqual(await endsOf(headers), { expiresAt: latest, idleExpiresAt: at(recorded + 30 * 60_000) });
    await new Promise((resolve) => setImmediate(resolve));
    // 59 seconds on, not recorded again: the answer still counts from the recorded request, not from this one.
    t.clock.advance(59_000);
    assert.deepEqual(await endsOf(headers), { expiresAt: latest, idleExpiresAt: at(recorded + 30 * 60_000) });
    // And the server holds to it: the session is over at that time.
    t.clock.advance(recorded + 30 * 60_000 - t.clock.now());
    assert.equal(await alive(headers), false);
  });

  test('an operator API token has no session to end: both times are null', async () => {
    const here = await signIn(t);
    const created = await call('POST', '/api/admin/operator-tokens', here.headers, { name: 'ends probe' });
    assert.equal(created.statusCode, 201, created.body);
    const token = created.json().token as string;
    assert.deepEqual(await endsOf({ authorization: `Bearer ${token}` }), {
      expiresAt: null,
      idleExpiresAt: null,
    });
  });

  test('a session ends after 30 minutes without a request (by default), and 8 hours after its sign-in whatever it does', async () => {
    const signedIn = t.clock.now();
    const idle = await signInFrom('192.0.2.50', 'Firefox');
    // Each request (recorded to the minute) keeps it: 29 minutes, then 29 again, then 29 again.
    for (let i = 0; i < 3; i++) {
      t.clock.advance(29 * 60_000);
      assert.equal(await alive(idle), true, `after ${29 * (i + 1)} minutes with a request every 29`);
    }
    await new Promise((resolve) => setImmediate(resolve));
    const mine = (await sessions(idle)).find((s) => s.current);
    assert.equal(mine?.lastSeenAt, new Date(t.clock.now()).toISOString(), 'its last request, listed');
    assert.equal(mine?.expiresAt, new Date(signedIn + 8 * 3_600_000).toISOString(), 'its latest end');
    t.clock.advance(15 * 60_000);
    const other = await signInFrom('192.0.2.51', 'Safari');
    t.clock.advance(15 * 60_000);
    assert.equal(await alive(other), true);
    assert.equal(await alive(idle), false, '30 minutes without a request: ended');
    assert.equal(
      (await sessions(other)).some((s) => s.id === mine?.id),
      false,
      'and gone from the list',
    );

    // A session in use every 20 minutes still ends 8 hours after its sign-in.
    const busy = await signInFrom('192.0.2.52', 'Chrome');
    for (let minutes = 20; minutes < 8 * 60; minutes += 20) {
      t.clock.advance(20 * 60_000);
      assert.equal(await alive(busy), true, `${minutes} minutes`);
    }
    t.clock.advance(20 * 60_000);
    assert.equal(await alive(busy), false, '8 hours after its sign-in');
  });

  test('a refused request (a change without the CSRF token) does not keep a session alive', async () => {
    const session = await signInFrom('192.0.2.60', 'Firefox');
    t.clock.advance(20 * 60_000);
    const { cookie } = session;
    for (let i = 0; i < 3; i++) {
      const refused = await call('POST', '/api/admin/accounts', { cookie }, { accountId: `nocsrf${i}` });
      assert.equal(refused.statusCode, 403);
      t.clock.advance(4 * 60_000);
    }
    // 32 minutes after its last allowed request: ended, whatever was refused in between.
    assert.equal(await alive(session), false);
  });
});

describe('OPERATOR_SESSION_HOURS and OPERATOR_SESSION_IDLE_MINUTES', () => {
  test('a session of 1 hour with no idle limit: an hour without a request keeps it, the hour ends it; the cookie says so', async () => {
    const t = await createTestApp({ operatorSessions: { lifetimeMs: 3_600_000, idleMs: 0 } });
    try {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/admin/login',
        payload: { username: 'admin', password: ADMIN_PASSWORD },
      });
      assert.equal(response.cookies.find((c) => c.name === 'orch_session')?.maxAge, 3600);
      const headers = { cookie: response.cookies.map((c) => `${c.name}=${c.value}`).join('; ') };
      assert.deepEqual(
        ends(await t.app.inject({ method: 'GET', url: '/api/admin/session', headers })),
        { expiresAt: at(t.clock.now() + 3_600_000), idleExpiresAt: null },
        'no idle limit: no idle end',
      );
      t.clock.advance(59 * 60_000);
      assert.equal(
        (await t.app.inject({ method: 'GET', url: '/api/admin/session', headers })).statusCode,
        200,
      );
      t.clock.advance(60_000);
      assert.equal(
        (await t.app.inject({ method: 'GET', url: '/api/admin/session', headers })).statusCode,
        401,
      );
    } finally {
      await t.close();
    }
  });

  test('with an idle limit of one minute, a session used every 40 seconds lasts; left for a minute, it ends', async () => {
    const t = await createTestApp({ operatorSessions: { lifetimeMs: 3_600_000, idleMs: 60_000 } });
    try {
      const { headers } = await signIn(t);
      const session = () => t.app.inject({ method: 'GET', url: '/api/admin/session', headers });
      for (let i = 0; i < 6; i++) {
        t.clock.advance(40_000);
        assert.equal((await session()).statusCode, 200, `after ${(i + 1) * 40} s`);
        // The last request is recorded off the request's path.
        await new Promise((resolve) => setImmediate(resolve));
      }
      t.clock.advance(60_000);
      assert.equal((await session()).statusCode, 401);
    } finally {
      await t.close();
    }
  });

  test('a session that ends by its lifetime before its idle limit says so: the idle end is never later', async () => {
    const t = await createTestApp({ operatorSessions: { lifetimeMs: 3_600_000, idleMs: 30 * 60_000 } });
    try {
      const signedIn = t.clock.now();
      const { headers } = await signIn(t);
      const session = async () =>
        ends(await t.app.inject({ method: 'GET', url: '/api/admin/session', headers }));
      t.clock.advance(25 * 60_000);
      assert.deepEqual(await session(), {
        expiresAt: at(signedIn + 3_600_000),
        idleExpiresAt: at(signedIn + 55 * 60_000),
      });
      await new Promise((resolve) => setImmediate(resolve));
      t.clock.advance(20 * 60_000);
      assert.deepEqual(await session(), {
        expiresAt: at(signedIn + 3_600_000),
        idleExpiresAt: at(signedIn + 3_600_000),
      });
    } finally {
      await t.close();
    }
  });
});
