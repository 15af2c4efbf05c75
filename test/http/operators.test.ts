import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashSecret } from '../../src/core/auth/secrets.js';
import { adminRoutes, endsSweepSessions, OWN_ROUTES } from '../helpers/admin-routes.js';
import {
  ADMIN_PASSWORD,
  caller,
  createTestApp,
  maintenanceOf,
  signIn,
  type TestApp,
} from '../helpers/app.js';

const DAY = 86_400_000;

describe('operators and their API tokens', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  before(async () => {
    t = await createTestApp();
    admin = await signIn(t);
  });
  after(async () => t.close());

  const call = caller(() => t);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const auditActions = async () =>
    (await call('GET', '/api/admin/audit?limit=500', admin.headers)).json() as {
      action: string;
      actor: string;
      detail: Record<string, unknown>;
    }[];
  const newToken = async (name: string, expiresInDays?: number | null, headers = admin.headers) => {
    const response = await call('POST', '/api/admin/operator-tokens', headers, {
      name,
      ...(expiresInDays === undefined ? {} : { expiresInDays }),
    });
    assert.equal(response.statusCode, 201, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    return response.json() as {
      id: string;
      token: string;
      name: string;
      username: string;
      createdAt: string;
      expiresAt: string | null;
      lastUsedAt: string | null;
    };
  };

  /** Adds an operator with a known password (as admin) and signs them in. */
  const addOperator = async (username: string, password: string, role: 'admin' | 'viewer' = 'viewer') => {
    const added = await call('POST', '/api/admin/operators', admin.headers, { username, password, role });
    assert.equal(added.statusCode, 201, added.body);
    return signIn(t, username, password);
  };

  test('add an operator with a chosen or a generated password; both sign in', async () => {
    const chosen = await call('POST', '/api/admin/operators', admin.headers, {
      username: 'ops-1',
      password: 'a long enough secret',
    });
    assert.equal(chosen.statusCode, 201, chosen.body);
    assert.deepEqual(chosen.json(), {
      username: 'ops-1',
      role: 'viewer',
      accounts: null,
      createdAt: new Date(t.clock.now()).toISOString(),
    });
    await signIn(t, 'ops-1', 'a long enough secret');

    const generated = await call('POST', '/api/admin/operators', admin.headers, {
      username: 'Ops.2@example',
    });
    assert.equal(generated.statusCode, 201, generated.body);
    assert.equal(generated.headers['cache-control'], 'no-store');
    const password = generated.json().password as string;
    assert.ok(password.length >= 20);
    await signIn(t, 'Ops.2@example', password);

    const list = (await call('GET', '/api/admin/operators', admin.headers)).json() as { username: string }[];
    assert.deepEqual(
      list.map((o) => o.username),
      ['Ops.2@example', 'admin', 'ops-1'],
    );
    assert.ok(!JSON.stringify(list).includes('scrypt'));
    const created = (await auditActions()).filter((e) => e.action === 'operator.created');
    assert.deepEqual(created.map((e) => e.detail.username).sort(), ['Ops.2@example', 'ops-1']);
    assert.ok(!JSON.stringify(await auditActions()).includes(password));
  });

  test('adding: a taken name 409, a bad name or a short password 400, unknown fields 400', async () => {
    const taken = await call('POST', '/api/admin/operators', admin.headers, { username: 'admin' });
    assert.equal(taken.statusCode, 409);
    assert.match(taken.json().detail, /exists already/);
    for (const body of [
      { username: '-dash' },
      { username: 'has space' },
      { username: '' },
      { username: 'x'.repeat(65) },
      { username: 'ok-name', password: 'short' },
      { username: 'ok-name', group: 'admins' },
      { username: 'ok-name', role: 'root' },
      { username: 7 },
    ]) {
      const response = await call('POST', '/api/admin/operators', admin.headers, body);
      assert.equal(response.statusCode, 400, `${JSON.stringify(body)}: ${response.body}`);
      assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
    }
    const list = (await call('GET', '/api/admin/operators', admin.headers)).json() as { username: string }[];
    assert.ok(!list.some((o) => o.username === 'ok-name'));
  });

  test('removing an operator ends their sessions and API tokens at once; nobody removes themselves', async () => {
    const session = await addOperator('leaver', 'leaver password 1', 'admin');
    const token = await newToken('leaver automation', null, session.headers);
    assert.equal(token.username, 'leaver');
    assert.equal((await call('GET', '/api/admin/accounts', bearer(token.token))).statusCode, 200);

    const self = await call('DELETE', '/api/admin/operators/leaver', session.headers);
    assert.equal(self.statusCode, 409);
    assert.match(self.json().detail, /cannot remove yourself/);

    const removed = await call('DELETE', '/api/admin/operators/leaver', admin.headers);
    assert.equal(removed.statusCode, 204);
    assert.equal((await call('GET', '/api/admin/session', session.headers)).statusCode, 401);
    assert.equal((await call('GET', '/api/admin/accounts', bearer(token.token))).statusCode, 401);
    const tokens = (await call('GET', '/api/admin/operator-tokens', admin.headers)).json() as {
      id: string;
    }[];
    assert.ok(!tokens.some((listed) => listed.id === token.id));
    const again = await call('DELETE', '/api/admin/operators/leaver', admin.headers);
    assert.equal(again.statusCode, 404);
    const signInAgain = await t.app.inject({
      method: 'POST',
      url: '/api/admin/login',
      payload: { username: 'leaver', password: 'leaver password 1' },
    });
    assert.equal(signInAgain.statusCode, 401);
    const event = (await auditActions()).find((e) => e.action === 'operator.removed');
    assert.equal(event?.actor, 'admin');
    assert.equal(event?.detail.username, 'leaver');
  });

  test('a removed admin is not made again at the next start while other operators remain', async () => {
    const successor = await addOperator('successor', 'successor password', 'admin');
    assert.equal((await call('DELETE', '/api/admin/operators/admin', successor.headers)).statusCode, 204);
    assert.equal((await call('GET', '/api/admin/session', admin.headers)).statusCode, 401);
    assert.deepEqual(await t.services.operators.bootstrap(undefined), {
      created: false,
      generatedPassword: null,
    });
    const list = (await call('GET', '/api/admin/operators', successor.headers)).json() as {
      username: string;
    }[];
    assert.ok(!list.some((o) => o.username === 'admin'));
    // Put admin back for the tests that follow.
    assert.equal(
      (
        await call('POST', '/api/admin/operators', successor.headers, {
          username: 'admin',
          password: ADMIN_PASSWORD,
          role: 'admin',
        })
      ).statusCode,
      201,
    );
    admin = await signIn(t);
  });

  test('changing your own password: proves the current one, ends every session, sets a new cookie', async () => {
    const one = await addOperator('changer', 'first password 1');
    const two = await signIn(t, 'changer', 'first password 1');
    const token = await newToken('changer automation', null, one.headers);

    const short = await call('POST', '/api/admin/password', one.headers, {
      currentPassword: 'first password 1',
      newPassword: 'short',
    });
    assert.equal(short.statusCode, 400);
    const wrong = await call('POST', '/api/admin/password', one.headers, {
      currentPassword: 'not the password',
      newPassword: 'second password 2',
    });
    assert.equal(wrong.statusCode, 403);
    assert.match(wrong.json().detail, /current password is wrong/);
    const viaToken = await call('POST', '/api/admin/password', bearer(token.token), {
      currentPassword: 'first password 1',
      newPassword: 'second password 2',
    });
    assert.equal(viaToken.statusCode, 403);
    const noCsrf = await call(
      'POST',
      '/api/admin/password',
      { cookie: one.cookie },
      {
        currentPassword: 'first password 1',
        newPassword: 'second password 2',
      },
    );
    assert.equal(noCsrf.statusCode, 403);

    const changed = await call('POST', '/api/admin/password', one.headers, {
      currentPassword: 'first password 1',
      newPassword: 'second password 2',
    });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.equal(changed.headers['cache-control'], 'no-store');
    const cookie = changed.cookies.find((c) => c.name === one.cookie.split('=')[0]);
    assert.ok(cookie?.httpOnly);
    const fresh = { cookie: `${cookie?.name}=${cookie?.value}`, 'x-csrf-token': changed.json().csrfToken };
    assert.equal((await call('GET', '/api/admin/session', one.headers)).statusCode, 401);
    assert.equal((await call('GET', '/api/admin/session', two.headers)).statusCode, 401);
    assert.equal((await call('GET', '/api/admin/session', fresh)).json().username, 'changer');
    assert.equal((await call('GET', '/api/admin/accounts', bearer(token.token))).statusCode, 200);
    await signIn(t, 'changer', 'second password 2');
    const old = await t.app.inject({
      method: 'POST',
      url: '/api/admin/login',
      payload: { username: 'changer', password: 'first password 1' },
    });
    assert.equal(old.statusCode, 401);
    const event = (await auditActions()).find((e) => e.action === 'operator.password-changed');
    assert.equal(event?.actor, 'changer');
    assert.ok(!JSON.stringify(await auditActions()).includes('second password 2'));
  });

  test('guessing the current password is rate-limited like a sign-in', async () => {
    const session = await addOperator('guessed', 'guessed password');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await call('POST', '/api/admin/password', session.headers, {
        currentPassword: `guess ${i}`,
        newPassword: 'another password',
      });
      statuses.push(response.statusCode);
    }
    assert.deepEqual(statuses, [403, 403, 403, 403, 403, 429]);
    t.clock.advance(61_000);
  });

  test('API tokens: listed without the secret, last use to the minute, expire, revoked at once', async () => {
    const start = t.clock.now();
    const expiring = await newToken('nightly export', 1);
    assert.match(expiring.id, /^[0-9a-f]{32}$/);
    assert.match(expiring.token, /^orch_admin_/);
    assert.equal(expiring.username, 'admin');
    assert.equal(expiring.expiresAt, new Date(start + DAY).toISOString());
    assert.equal(expiring.lastUsedAt, null);
    const lasting = await newToken('deploys');
    assert.equal(lasting.expiresAt, null);

    t.clock.advance(90_000);
    assert.equal((await call('GET', '/api/admin/accounts', bearer(expiring.token))).statusCode, 200);
    await new Promise((resolve) => setImmediate(resolve));
    const listed = (await call('GET', '/api/admin/operator-tokens', admin.headers)).json() as {
      id: string;
      lastUsedAt: string | null;
    }[];
    const used = t.clock.now() - (t.clock.now() % 60_000);
    const mine = listed.find((token) => token.id === expiring.id);
    assert.deepEqual(mine, {
      id: expiring.id,
      name: 'nightly export',
      username: 'admin',
      createdAt: new Date(start).toISOString(),
      expiresAt: new Date(start + DAY).toISOString(),
      lastUsedAt: new Date(used).toISOString(),
      role: null,
    });
    const body = JSON.stringify(listed);
    assert.ok(!body.includes(expiring.token) && !body.includes(lasting.token));

    t.clock.advance(DAY);
    admin = await signIn(t); // the session of a day ago has ended
    const expired = await call('GET', '/api/admin/accounts', bearer(expiring.token));
    assert.equal(expired.statusCode, 401);
    assert.equal((await call('GET', '/api/admin/accounts', bearer(lasting.token))).statusCode, 200);

    const revoked = await call('DELETE', `/api/admin/operator-tokens/${lasting.id}`, admin.headers);
    assert.equal(revoked.statusCode, 204);
    assert.equal((await call('GET', '/api/admin/accounts', bearer(lasting.token))).statusCode, 401);
    assert.equal(
      (await call('DELETE', `/api/admin/operator-tokens/${lasting.id}`, admin.headers)).statusCode,
      404,
    );
    assert.equal(
      (await call('DELETE', '/api/admin/operator-tokens/not-an-id', admin.headers)).statusCode,
      400,
    );
    const events = await auditActions();
    const revokedEvent = events.find((e) => e.action === 'operator-token.revoked');
    assert.deepEqual(revokedEvent?.detail, { id: lasting.id, name: 'deploys', username: 'admin' });
    assert.ok(events.some((e) => e.action === 'operator-token.created' && e.detail.id === expiring.id));
  });

  test('housekeeping deletes ended sessions, and API tokens 30 days after they expired', async () => {
    const session = await signIn(t);
    const shortLived = await newToken('short-lived', 1);
    const maintenance = maintenanceOf(t);
    try {
      const idHash = hashSecret(session.cookie.split('=')[1] ?? '');
      assert.ok(await t.ctx.store.operators.getSession(idHash));
      t.clock.advance(8 * 3_600_000 + 1);
      await maintenance.purgeNow();
      assert.equal(await t.ctx.store.operators.getSession(idHash), null, 'the ended session is gone');
      t.clock.advance(DAY + 29 * DAY);
      await maintenance.purgeNow();
      admin = await signIn(t);
      const listed = (await call('GET', '/api/admin/operator-tokens', admin.headers)).json() as {
        id: string;
      }[];
      assert.ok(
        listed.some((token) => token.id === shortLived.id),
        'listed as expired for 30 days',
      );
      t.clock.advance(DAY);
      await maintenance.purgeNow();
      admin = await signIn(t);
      const later = (await call('GET', '/api/admin/operator-tokens', admin.headers)).json() as {
        id: string;
      }[];
      assert.ok(!later.some((token) => token.id === shortLived.id), 'then deleted');
    } finally {
      await maintenance.stop();
    }
  });

  test('a token may revoke itself; expiresInDays outside 1–3650 or not whole is refused', async () => {
    const token = await newToken('self-revoking', 30);
    assert.equal(
      (await call('DELETE', `/api/admin/operator-tokens/${token.id}`, bearer(token.token))).statusCode,
      204,
    );
    assert.equal((await call('GET', '/api/admin/accounts', bearer(token.token))).statusCode, 401);
    for (const expiresInDays of [0, 3651, 1.5, '7', -1]) {
      const response = await call('POST', '/api/admin/operator-tokens', admin.headers, {
        name: 'bad',
        expiresInDays,
      });
      assert.equal(response.statusCode, 400, `${expiresInDays}: ${response.body}`);
    }
    assert.equal((await newToken('three thousand six hundred fifty', 3650)).expiresAt !== null, true);
  });

  test('the new routes refuse no credential, a wrong or revoked token, an expired session, and changes without CSRF', async () => {
    const token = await newToken('to be revoked');
    assert.equal(
      (await call('DELETE', `/api/admin/operator-tokens/${token.id}`, admin.headers)).statusCode,
      204,
    );
    const session = await signIn(t);
    const routes: { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; url: string; body?: unknown }[] = [
      { method: 'GET', url: '/api/admin/operators' },
      { method: 'POST', url: '/api/admin/operators', body: { username: 'intruder' } },
      { method: 'DELETE', url: '/api/admin/operators/ops-1' },
      { method: 'PATCH', url: '/api/admin/operators/ops-1', body: { role: 'admin' } },
      {
        method: 'POST',
        url: '/api/admin/password',
        body: { currentPassword: 'x', newPassword: 'y'.repeat(12) },
      },
      { method: 'GET', url: '/api/admin/operator-tokens' },
      { method: 'POST', url: '/api/admin/operator-tokens', body: { name: 'intruder' } },
      { method: 'DELETE', url: `/api/admin/operator-tokens/${'f'.repeat(32)}` },
    ];
    for (const route of routes) {
      const tries: [string, Record<string, string>, number][] = [
        ['no credential', {}, 401],
        ['a wrong token', bearer('orch_admin_notarealtoken'), 401],
        ['a revoked token', bearer(token.token), 401],
        [
          'a session cookie that does not exist',
          { cookie: `${admin.cookie.split('=')[0]}=${'x'.repeat(43)}` },
          401,
        ],
      ];
      if (route.method !== 'GET') tries.push(['a session without CSRF', { cookie: session.cookie }, 403]);
      for (const [what, headers, status] of tries) {
        const response = await call(route.method, route.url, headers, route.body);
        assert.equal(
          response.statusCode,
          status,
          `${route.method} ${route.url} with ${what}: ${response.body}`,
        );
      }
    }
    t.clock.advance(8 * 3_600_000 + 1);
    for (const route of routes) {
      const response = await call(route.method, route.url, session.headers, route.body);
      assert.equal(response.statusCode, 401, `${route.method} ${route.url} with an expired session`);
    }
    const list = (await call('GET', '/api/admin/operators', (await signIn(t)).headers)).json() as {
      username: string;
      role: string;
    }[];
    assert.ok(!list.some((o) => o.username === 'intruder'));
    assert.ok(list.some((o) => o.username === 'ops-1' && o.role === 'viewer'));
  });
});

/** What a viewer may call; every other admin route must refuse a viewer (403), so a new route fails closed. */
const VIEWER_ROUTES = new Set([
  ...OWN_ROUTES,
  'GET /api/admin/accounts/{accountId}',
  'GET /api/admin/audit',
  'GET /api/admin/backups',
  'GET /api/admin/operators',
  'GET /api/admin/accounts/{accountId}/context/namespaces',
  'GET /api/admin/accounts/{accountId}/context/namespaces/{namespace}/sessions',
  'GET /api/admin/accounts/{accountId}/policies',
  'GET /api/admin/accounts/{accountId}/policies/{id}',
  'GET /api/admin/accounts/{accountId}/custom-attributes',
  'POST /api/admin/accounts/{accountId}/policies/dry-run',
  'GET /api/admin/accounts/{accountId}/policy-logs',
  'GET /api/admin/accounts/{accountId}/policy-history',
  'GET /api/admin/accounts/{accountId}/policy-history/{version}',
  // Public keys: no secret in them; and what a certificate, public too, would do for the account's client.
  'GET /api/admin/accounts/{accountId}/client-keys',
  'POST /api/admin/accounts/{accountId}/client-keys/check',
  // The CA certificates and their CRLs' dates: public too.
  'GET /api/admin/client-cas',
]);

describe('operator roles', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  let viewer: Awaited<ReturnType<typeof signIn>>;
  let viewerToken: { id: string; token: string };
  /** An admin's token made to act as a viewer: it must be refused wherever a viewer is. */
  let adminAsViewer: string;
  before(async () => {
    t = await createTestApp();
    admin = await signIn(t);
    const made = await t.app.inject({
      method: 'POST',
      url: '/api/admin/operators',
      headers: admin.headers,
      payload: { username: 'support', password: 'support password' },
    });
    assert.equal(made.json().role, 'viewer', 'viewer is the default');
    viewer = await signIn(t, 'support', 'support password');
    const token = await t.app.inject({
      method: 'POST',
      url: '/api/admin/operator-tokens',
      headers: viewer.headers,
      payload: { name: 'support dashboards', expiresInDays: 30 },
    });
    assert.equal(token.statusCode, 201, token.body);
    viewerToken = token.json();
    const limited = await call('POST', '/api/admin/operator-tokens', admin.headers, {
      name: 'admin dashboards',
      role: 'viewer',
    });
    assert.equal(limited.statusCode, 201, limited.body);
    assert.equal(limited.json().role, 'viewer');
    adminAsViewer = limited.json().token;
    await t.app.inject({
      method: 'POST',
      url: '/api/admin/accounts',
      headers: admin.headers,
      payload: { accountId: 'roles1' },
    });
  });
  after(async () => t.close());

  const call = caller(() => t);

  test('a viewer is refused (403) on every admin route but the ones open to viewers', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const seen = new Set<string>();
    for (const route of adminRoutes(spec)) {
      const { key, method } = route;
      seen.add(key);
      const url = route.url('roles1');
      for (const [how, headers] of [
        ['token', { authorization: `Bearer ${viewerToken.token}` }],
        ['session', viewer.headers],
        ['token', { authorization: `Bearer ${adminAsViewer}` }],
      ] as const) {
        if (endsSweepSessions(key, how)) continue;
        const response = await call(method, url, headers, method === 'GET' ? undefined : {});
        if (VIEWER_ROUTES.has(key)) {
          // Some routes refuse API tokens for their own reason (a second factor is managed from a session).
          if (response.statusCode === 403)
            assert.doesNotMatch(response.json().detail, /needs an admin/, `${key} (${how}) refused a viewer`);
          assert.ok(response.statusCode < 500, `${key} (${how}): ${response.statusCode}`);
        } else {
          assert.equal(response.statusCode, 403, `${key} (${how}) let a viewer in: ${response.body}`);
          assert.match(
            response.json().detail,
            /needs an admin operator; (support is a viewer|this API token of admin acts as a viewer)$/,
          );
        }
      }
    }
    for (const key of VIEWER_ROUTES) assert.ok(seen.has(key), `${key} is not a route`);
    assert.ok(seen.size > 30, `only ${seen.size} admin routes seen`);
    const accounts = (await call('GET', '/api/admin/accounts', admin.headers)).json() as {
      accountId: string;
    }[];
    assert.deepEqual(
      accounts.map((a) => a.accountId),
      ['roles1'],
      'nothing a viewer sent changed anything',
    );
  });

  test("an admin's token made to act as a viewer reads, never a secret, and makes only tokens like itself", async () => {
    const bearer = { authorization: `Bearer ${adminAsViewer}` };
    assert.equal((await call('GET', '/api/admin/accounts/roles1/policies', bearer)).statusCode, 200);
    const secrets = await call('GET', '/api/admin/accounts/roles1/api-authorization', bearer);
    assert.equal(secrets.statusCode, 403);
    assert.equal(
      secrets.json().detail,
      'this needs an admin operator; this API token of admin acts as a viewer',
    );
    const session = (await call('GET', '/api/admin/session', bearer)).json();
    assert.deepEqual([session.username, session.role], ['admin', 'viewer']);
    // It could otherwise make a token with the admin's role: refused; one that acts as a viewer is made.
    const wider = await call('POST', '/api/admin/operator-tokens', bearer, { name: 'wider' });
    assert.equal(wider.statusCode, 403, wider.body);
    assert.match(wider.json().detail, /makes only tokens that act as viewers/);
    const same = await call('POST', '/api/admin/operator-tokens', bearer, { name: 'same', role: 'viewer' });
    assert.equal(same.statusCode, 201, same.body);
    const listed = (await call('GET', '/api/admin/operator-tokens', admin.headers)).json() as {
      name: string;
      role: string | null;
    }[];
    const roles = Object.fromEntries(listed.map((x) => [x.name, x.role]));
    assert.deepEqual(
      [roles['support dashboards'], roles['admin dashboards'], roles.same],
      [null, 'viewer', 'viewer'],
    );
    const bad = await call('POST', '/api/admin/operator-tokens', admin.headers, { name: 'x', role: 'admin' });
    assert.equal(bad.statusCode, 400, 'only viewer, or null: an admin token is the operator’s role');
  });

  test('the session says the role; a viewer reads policies and logs but never a secret', async () => {
    const session = (await call('GET', '/api/admin/session', viewer.headers)).json();
    assert.equal(session.role, 'viewer');
    assert.equal((await call('GET', '/api/admin/session', admin.headers)).json().role, 'admin');
    assert.equal((await call('GET', '/api/admin/accounts/roles1/policies', viewer.headers)).statusCode, 200);
    assert.equal(
      (await call('GET', '/api/admin/accounts/roles1/policy-logs', viewer.headers)).statusCode,
      200,
    );
    const secrets = await call('GET', '/api/admin/accounts/roles1/api-authorization', viewer.headers);
    assert.equal(secrets.statusCode, 403);
    const audit = (await call('GET', '/api/admin/audit?accountId=roles1', admin.headers)).json() as {
      action: string;
    }[];
    assert.ok(!audit.some((e) => e.action === 'api-authorization.viewed'), 'a refused view is not a view');
  });

  test('a change of role holds at once, for sessions and tokens; nobody changes their own', async () => {
    const promote = await call('PATCH', '/api/admin/operators/support', admin.headers, { role: 'admin' });
    assert.equal(promote.statusCode, 200, promote.body);
    assert.equal(promote.json().role, 'admin');
    const created = await call('POST', '/api/admin/accounts', viewer.headers, { accountId: 'roles2' });
    assert.equal(created.statusCode, 201, 'the same session, an admin now');
    assert.equal(
      (
        await call('GET', '/api/admin/accounts/roles2/api-authorization', {
          authorization: `Bearer ${viewerToken.token}`,
        })
      ).statusCode,
      200,
    );
    const self = await call('PATCH', '/api/admin/operators/support', viewer.headers, { role: 'viewer' });
    assert.equal(self.statusCode, 409);
    assert.match(self.json().detail, /your own role/);
    assert.equal(
      (await call('PATCH', '/api/admin/operators/nobody', admin.headers, { role: 'viewer' })).statusCode,
      404,
    );
    assert.equal(
      (await call('PATCH', '/api/admin/operators/support', admin.headers, { role: 'root' })).statusCode,
      400,
    );
    assert.equal((await call('PATCH', '/api/admin/operators/support', admin.headers, {})).statusCode, 400);

    assert.equal(
      (await call('PATCH', '/api/admin/operators/support', admin.headers, { role: 'viewer' })).statusCode,
      200,
    );
    assert.equal(
      (await call('POST', '/api/admin/accounts', viewer.headers, { accountId: 'roles3' })).statusCode,
      403,
    );
    assert.equal(
      (
        await call('GET', '/api/admin/accounts/roles2/api-authorization', {
          authorization: `Bearer ${viewerToken.token}`,
        })
      ).statusCode,
      403,
    );
    const events = (await call('GET', '/api/admin/audit', admin.headers)).json() as {
      action: string;
      detail: Record<string, unknown>;
    }[];
    assert.deepEqual(
      events.filter((e) => e.action === 'operator.role-changed').map((e) => e.detail),
      [
        { username: 'support', role: 'viewer' },
        { username: 'support', role: 'admin' },
      ],
    );
  });

  test("a viewer revokes their own tokens, not another's; an admin revokes anyone's", async () => {
    const adminToken = (
      await call('POST', '/api/admin/operator-tokens', admin.headers, { name: 'admin automation' })
    ).json() as { id: string; token: string };
    const refused = await call('DELETE', `/api/admin/operator-tokens/${adminToken.id}`, viewer.headers);
    assert.equal(refused.statusCode, 403);
    assert.match(refused.json().detail, /only their own tokens/);
    assert.equal(
      (await call('GET', '/api/admin/accounts', { authorization: `Bearer ${adminToken.token}` })).statusCode,
      200,
    );
    const second = (
      await call('POST', '/api/admin/operator-tokens', viewer.headers, { name: 'support second' })
    ).json() as { id: string; token: string };
    assert.equal(
      (await call('DELETE', `/api/admin/operator-tokens/${second.id}`, viewer.headers)).statusCode,
      204,
    );
    assert.equal(
      (await call('DELETE', `/api/admin/operator-tokens/${viewerToken.id}`, admin.headers)).statusCode,
      204,
    );
    assert.equal(
      (await call('GET', '/api/admin/accounts', { authorization: `Bearer ${viewerToken.token}` })).statusCode,
      401,
    );
  });
});
