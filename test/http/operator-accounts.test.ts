import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminRoutes, endsSweepSessions, MANAGED_ROUTES, OWN_ROUTES } from '../helpers/admin-routes.js';
import { caller, createAccount, createTestApp, signIn, type TestApp } from '../helpers/app.js';

/**
 * Routes without an account in their path that an operator limited to accounts may use: what is theirs alone, and
 * the operators they manage.
 */
const OWN = new Set([...OWN_ROUTES, ...MANAGED_ROUTES]);

/** Routes that name an account and are for operators of every account all the same. */
const PLATFORM_ACCOUNT_ROUTES = new Set([
  'POST /api/admin/accounts/{accountId}/suspend',
  'POST /api/admin/accounts/{accountId}/resume',
  'DELETE /api/admin/accounts/{accountId}',
  'PUT /api/admin/accounts/{accountId}/rate-limit',
  'DELETE /api/admin/accounts/{accountId}/rate-limit',
]);

const EVERY_ACCOUNT = /this needs an operator of every account; (tenant|helpdesk) acts on some accounts only/;

describe('operators limited to some accounts', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  let tenant: Awaited<ReturnType<typeof signIn>>;
  let tenantToken: { id: string; token: string };
  let adminTokenId: string;
  before(async () => {
    t = await createTestApp();
    admin = await signIn(t);
    await createAccount(t, 'mine');
    await createAccount(t, 'theirs');
    const made = await call('POST', '/api/admin/operators', admin.headers, {
      username: 'tenant',
      password: 'tenant password 1',
      role: 'admin',
      accounts: ['mine'],
    });
    assert.equal(made.statusCode, 201, made.body);
    assert.deepEqual(made.json().accounts, ['mine']);
    tenant = await signIn(t, 'tenant', 'tenant password 1');
    const token = await call('POST', '/api/admin/operator-tokens', tenant.headers, {
      name: 'tenant automation',
    });
    assert.equal(token.statusCode, 201, token.body);
    tenantToken = token.json();
    const adminToken = await call('POST', '/api/admin/operator-tokens', admin.headers, {
      name: 'platform job',
    });
    adminTokenId = adminToken.json().id;
  });
  after(async () => t.close());

  const call = caller(() => t);

  test('on every admin route: another account is not found, what belongs to no account is refused', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const before = JSON.stringify(await t.services.policies.list('theirs'));
    let named = 0;
    for (const { key, method, path, url } of adminRoutes(spec)) {
      for (const [how, headers] of [
        ['token', { authorization: `Bearer ${tenantToken.token}` }],
        ['session', tenant.headers],
      ] as const) {
        if (endsSweepSessions(key, how)) continue;
        const ask = (accountId: string) =>
          call(method, url(accountId), headers, method === 'GET' ? undefined : {});
        if (path.includes('{accountId}')) {
          named++;
          const other = await ask('theirs');
          const mine = await ask('mine');
          if (PLATFORM_ACCOUNT_ROUTES.has(key)) {
            for (const response of [other, mine]) {
              assert.equal(response.statusCode, 403, `${key} (${how}): ${response.body}`);
              assert.match(response.json().detail, EVERY_ACCOUNT);
            }
            continue;
          }
          assert.equal(other.statusCode, 404, `${key} (${how}) let another account in: ${other.body}`);
          assert.equal(other.json().detail, 'no account theirs', key);
          assert.ok(mine.statusCode < 500, `${key} (${how}): ${mine.statusCode}`);
          if (mine.statusCode === 403 || mine.statusCode === 404)
            assert.doesNotMatch(mine.json().detail, /every account|no account mine/, `${key} (${how})`);
        } else {
          const response = await ask('mine');
          if (OWN.has(key)) {
            assert.ok(response.statusCode < 500, `${key} (${how}): ${response.statusCode}`);
            if (response.statusCode === 403)
              assert.doesNotMatch(response.json().detail, EVERY_ACCOUNT, `${key} (${how})`);
          } else {
            assert.equal(response.statusCode, 403, `${key} (${how}) let them in: ${response.body}`);
            assert.match(response.json().detail, EVERY_ACCOUNT);
          }
        }
      }
    }
    assert.ok(named > 20, `only ${named} account routes seen`);
    for (const key of [...OWN, ...PLATFORM_ACCOUNT_ROUTES]) {
      const [method, path] = key.split(' ') as [string, string];
      assert.ok(spec.paths[path]?.[method.toLowerCase()], `${key} is not a route`);
    }
    assert.equal(
      JSON.stringify(await t.services.policies.list('theirs')),
      before,
      'nothing of theirs changed',
    );
    const accounts = (await call('GET', '/api/admin/accounts', admin.headers)).json() as { status: string }[];
    assert.deepEqual(
      accounts.map((a) => a.status),
      ['active', 'active'],
      'no account was suspended or deleted',
    );
    const operators = (await call('GET', '/api/admin/operators', admin.headers)).json() as unknown[];
    assert.equal(operators.length, 2, 'no operator was added');
  });

  test('within their accounts they act with their role; they see only their accounts and their own tokens', async () => {
    const session = (await call('GET', '/api/admin/session', tenant.headers)).json();
    assert.deepEqual([session.role, session.accounts], ['admin', ['mine']]);
    assert.deepEqual((await call('GET', '/api/admin/session', admin.headers)).json().accounts, null);

    const listed = (await call('GET', '/api/admin/accounts', tenant.headers)).json() as {
      accountId: string;
    }[];
    assert.deepEqual(
      listed.map((a) => a.accountId),
      ['mine'],
    );
    const secrets = await call('GET', '/api/admin/accounts/mine/api-authorization', tenant.headers);
    assert.equal(secrets.statusCode, 200, secrets.body);
    const regenerated = await call('POST', '/api/admin/accounts/mine/api-key/regenerate', tenant.headers, {});
    assert.equal(regenerated.statusCode, 200, regenerated.body);
    const key = regenerated.json().key as string;
    const read = await t.app.inject({
      method: 'GET',
      url: '/v1/account/mine/next-actions?conversationId=c1',
      headers: { 'maven-api-key': key },
    });
    assert.equal(read.statusCode, 200, `the key a scoped admin regenerated works: ${read.body}`);

    const tokens = (await call('GET', '/api/admin/operator-tokens', tenant.headers)).json() as {
      username: string;
    }[];
    assert.deepEqual(
      tokens.map((x) => x.username),
      ['tenant'],
    );
    assert.equal(
      ((await call('GET', '/api/admin/operator-tokens', admin.headers)).json() as unknown[]).length,
      2,
      'an operator of every account sees every token',
    );
    const revoke = await call('DELETE', `/api/admin/operator-tokens/${adminTokenId}`, tenant.headers);
    assert.equal(revoke.statusCode, 404, "another operator's token is not theirs to know of");
    assert.equal(
      ((await call('GET', '/api/admin/operator-tokens', admin.headers)).json() as unknown[]).length,
      2,
    );

    // The audit log of one of their accounts, never of another or of the whole server.
    const audit = await call('GET', '/api/admin/audit?accountId=mine', tenant.headers);
    assert.equal(audit.statusCode, 200, audit.body);
    const events = audit.json() as { accountId: string | null; action: string }[];
    assert.ok(events.some((e) => e.action === 'api-key.regenerated'));
    assert.ok(events.every((e) => e.accountId === 'mine'));
    const theirs = await call('GET', '/api/admin/audit?accountId=theirs', tenant.headers);
    assert.equal(theirs.statusCode, 404);
    assert.equal(theirs.json().detail, 'no account theirs');
    const whole = await call('GET', '/api/admin/audit', tenant.headers);
    assert.equal(whole.statusCode, 403);
    assert.match(whole.json().detail, EVERY_ACCOUNT);
    const twice = await call('GET', '/api/admin/audit?accountId=mine&accountId=theirs', tenant.headers);
    assert.equal(twice.statusCode, 400, 'one account at a time');
  });

  test('a viewer limited to an account reads it, without its secrets', async () => {
    const made = await call('POST', '/api/admin/operators', admin.headers, {
      username: 'helpdesk',
      password: 'helpdesk password',
      accounts: ['theirs', 'mine', 'theirs'],
    });
    assert.equal(made.statusCode, 201, made.body);
    assert.deepEqual(made.json(), {
      username: 'helpdesk',
      role: 'viewer',
      accounts: ['mine', 'theirs'],
      createdAt: made.json().createdAt,
    });
    const helpdesk = await signIn(t, 'helpdesk', 'helpdesk password');
    assert.equal(
      (await call('GET', '/api/admin/accounts/theirs/policies', helpdesk.headers)).statusCode,
      200,
    );
    const secrets = await call('GET', '/api/admin/accounts/theirs/api-authorization', helpdesk.headers);
    assert.equal(secrets.statusCode, 403);
    assert.match(secrets.json().detail, /needs an admin operator/);
    // They see themselves and the operators of their accounts, and change none of them.
    const operators = await call('GET', '/api/admin/operators', helpdesk.headers);
    assert.equal(operators.statusCode, 200, operators.body);
    assert.deepEqual(
      (operators.json() as { username: string }[]).map((o) => o.username),
      ['helpdesk', 'tenant'],
    );
    const change = await call('PATCH', '/api/admin/operators/tenant', helpdesk.headers, { role: 'viewer' });
    assert.equal(change.statusCode, 403);
    assert.match(change.json().detail, /needs an admin operator/);
    assert.equal((await call('DELETE', '/api/admin/operators/helpdesk', admin.headers)).statusCode, 204);
  });

  test('a change of accounts holds at once, for sessions and API tokens', async () => {
    const bearer = { authorization: `Bearer ${tenantToken.token}` };
    const change = (accounts: string[] | null) =>
      call('PATCH', '/api/admin/operators/tenant', admin.headers, { accounts });
    const widened = await change(null);
    assert.equal(widened.statusCode, 200, widened.body);
    assert.deepEqual(widened.json(), {
      username: 'tenant',
      role: 'admin',
      accounts: null,
      createdAt: widened.json().createdAt,
    });
    assert.equal((await call('GET', '/api/admin/accounts/theirs/policies', bearer)).statusCode, 200);
    assert.equal(((await call('GET', '/api/admin/accounts', tenant.headers)).json() as unknown[]).length, 2);
    assert.equal((await call('GET', '/api/admin/operators', bearer)).statusCode, 200);

    assert.equal((await change([])).statusCode, 200);
    assert.deepEqual((await call('GET', '/api/admin/accounts', tenant.headers)).json(), []);
    assert.equal((await call('GET', '/api/admin/accounts/mine/policies', bearer)).statusCode, 404);
    assert.equal(
      (await call('GET', '/api/admin/session', tenant.headers)).statusCode,
      200,
      'still signed in',
    );

    // The role alone changes the role; the accounts stay as they were.
    assert.equal((await change(['mine'])).statusCode, 200);
    const demoted = await call('PATCH', '/api/admin/operators/tenant', admin.headers, { role: 'viewer' });
    assert.deepEqual([demoted.json().role, demoted.json().accounts], ['viewer', ['mine']]);
    const promoted = await call('PATCH', '/api/admin/operators/tenant', admin.headers, { role: 'admin' });
    assert.deepEqual([promoted.json().role, promoted.json().accounts], ['admin', ['mine']]);

    const audit = (await call('GET', '/api/admin/audit?limit=500', admin.headers)).json() as {
      action: string;
      detail: Record<string, unknown>;
    }[];
    const changes = audit
      .filter((e) => e.action === 'operator.accounts-changed')
      .map((e) => e.detail.accounts)
      .reverse();
    assert.deepEqual(changes, ['every account', 'none', 'mine']);
    const created = audit.find((e) => e.action === 'operator.created' && e.detail.username === 'tenant');
    assert.equal(created?.detail.accounts, 'mine');
  });

  test('bad accounts are refused with a clear message and change nothing', async () => {
    const cases: [unknown, RegExp][] = [
      [['ghost'], /accounts: no account ghost/],
      ['mine', /accounts/],
      [['bad id!'], /accounts/],
      [[1], /accounts/],
      [Array.from({ length: 1001 }, (_, i) => `a${i}`), /accounts/],
    ];
    for (const [accounts, message] of cases) {
      for (const [method, url, body] of [
        ['POST', '/api/admin/operators', { username: 'newcomer', password: 'newcomer password', accounts }],
        ['PATCH', '/api/admin/operators/tenant', { accounts }],
      ] as const) {
        const response = await call(method, url, admin.headers, body);
        assert.equal(
          response.statusCode,
          400,
          `${method} ${JSON.stringify(accounts).slice(0, 40)}: ${response.body}`,
        );
        assert.match(response.json().detail, message);
      }
    }
    const empty = await call('PATCH', '/api/admin/operators/tenant', admin.headers, {});
    assert.equal(empty.statusCode, 400);
    const own = await call('PATCH', '/api/admin/operators/admin', admin.headers, { accounts: ['mine'] });
    assert.equal(own.statusCode, 409);
    assert.match(own.json().detail, /your own role or accounts/);
    const operators = (await call('GET', '/api/admin/operators', admin.headers)).json() as {
      username: string;
      accounts: string[] | null;
    }[];
    assert.deepEqual(
      operators.map((o) => [o.username, o.accounts]),
      [
        ['admin', null],
        ['tenant', ['mine']],
      ],
    );
  });

  test('a deleted account leaves every operator limited to it; its id is never granted to a later account', async () => {
    await createAccount(t, 'leaving');
    assert.equal(
      (await call('PATCH', '/api/admin/operators/tenant', admin.headers, { accounts: ['leaving', 'mine'] }))
        .statusCode,
      200,
    );
    assert.equal(
      (await call('POST', '/api/admin/accounts/leaving/suspend', admin.headers, {})).statusCode,
      200,
    );
    assert.equal((await call('DELETE', '/api/admin/accounts/leaving', admin.headers)).statusCode, 204);
    const tenantNow = (
      (await call('GET', '/api/admin/operators', admin.headers)).json() as {
        username: string;
        accounts: string[] | null;
      }[]
    ).find((o) => o.username === 'tenant');
    assert.deepEqual(tenantNow?.accounts, ['mine']);
    const grant = await call('PATCH', '/api/admin/operators/tenant', admin.headers, {
      accounts: ['leaving'],
    });
    assert.equal(grant.statusCode, 400, 'a deleted account cannot be granted');
  });
});
