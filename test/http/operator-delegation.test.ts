import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { caller, createAccount, createTestApp, signIn, type TestApp } from '../helpers/app.js';

type Listed = { username: string; role: string; accounts: string[] | null };

/**
 * An admin limited to some accounts (a tenant's own administrator) manages the operators limited to some of their
 * accounts: adds them, changes them, removes them, ends their sessions, revokes their tokens. Never an operator of
 * every account or of another tenant's account, and never more than their own accounts to give.
 */
describe('admins limited to some accounts manage the operators of their accounts', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  let tenant: Awaited<ReturnType<typeof signIn>>;
  const call = caller(() => t);
  const add = (headers: Record<string, string>, body: Record<string, unknown>) =>
    call('POST', '/api/admin/operators', headers, { password: `${body.username} password`, ...body });
  const names = async (headers: Record<string, string>) =>
    ((await call('GET', '/api/admin/operators', headers)).json() as Listed[]).map((o) => o.username);

  before(async () => {
    t = await createTestApp();
    admin = await signIn(t);
    for (const id of ['mine', 'second', 'theirs']) await createAccount(t, id);
    for (const [username, role, accounts] of [
      ['tenant', 'admin', ['mine', 'second']],
      ['mixed', 'viewer', ['mine', 'theirs']],
      ['other', 'admin', ['theirs']],
      ['nobody', 'viewer', []],
      ['platform-viewer', 'viewer', null],
    ] as const) {
      const made = await add(admin.headers, { username, role, accounts });
      assert.equal(made.statusCode, 201, made.body);
    }
    tenant = await signIn(t, 'tenant', 'tenant password');
  });
  after(async () => t.close());

  test('they add operators of their own accounts only, and the new operator has exactly those', async () => {
    const made = await add(tenant.headers, { username: 'staff', accounts: ['mine'] });
    assert.equal(made.statusCode, 201, made.body);
    assert.deepEqual([made.json().role, made.json().accounts], ['viewer', ['mine']]);

    const refused: [Record<string, unknown>, number, RegExp][] = [
      [{ accounts: ['theirs'] }, 400, /^accounts: no account theirs$/],
      [{ accounts: ['mine', 'theirs'] }, 400, /^accounts: no account theirs$/],
      [{ accounts: ['ghost'] }, 400, /^accounts: no account ghost$/],
      [{ accounts: null }, 403, /only an operator of every account gives every account/],
      [{ accounts: [] }, 400, /at least one of your accounts/],
      [{}, 400, /give the accounts of yours/],
      [{ role: 'admin' }, 400, /give the accounts of yours/],
    ];
    for (const [body, status, message] of refused) {
      const response = await add(tenant.headers, { username: 'sneaky', ...body });
      assert.equal(response.statusCode, status, `${JSON.stringify(body)}: ${response.body}`);
      assert.match(response.json().detail, message);
    }
    assert.ok(!(await names(admin.headers)).includes('sneaky'), 'nothing was added');

    const staff = await signIn(t, 'staff', 'staff password');
    const session = (await call('GET', '/api/admin/session', staff.headers)).json();
    assert.deepEqual([session.role, session.accounts], ['viewer', ['mine']]);
    assert.equal((await call('GET', '/api/admin/accounts/second/policies', staff.headers)).statusCode, 404);
  });

  test('they see themselves and the operators limited to some of their accounts, no one else', async () => {
    assert.deepEqual(await names(tenant.headers), ['staff', 'tenant']);
    assert.deepEqual(await names(admin.headers), [
      'admin',
      'mixed',
      'nobody',
      'other',
      'platform-viewer',
      'staff',
      'tenant',
    ]);
    // A viewer limited to accounts sees the same way (mixed has theirs too, so other's one account is among
    // them); a viewer of every account sees everyone.
    const mixed = await signIn(t, 'mixed', 'mixed password');
    assert.deepEqual(await names(mixed.headers), ['mixed', 'other', 'staff']);
    const viewer = await signIn(t, 'platform-viewer', 'platform-viewer password');
    assert.equal((await names(viewer.headers)).length, 7);
  });

  test('they change and remove the operators they manage, and no other', async () => {
    const patch = (username: string, body: unknown, headers = tenant.headers) =>
      call('PATCH', `/api/admin/operators/${username}`, headers, body);
    const promoted = await patch('staff', { role: 'admin', accounts: ['second', 'mine'] });
    assert.equal(promoted.statusCode, 200, promoted.body);
    assert.deepEqual([promoted.json().role, promoted.json().accounts], ['admin', ['mine', 'second']]);

    for (const username of ['admin', 'mixed', 'other', 'nobody', 'platform-viewer', 'ghost']) {
      for (const [method, url, body] of [
        ['PATCH', `/api/admin/operators/${username}`, { role: 'viewer' }],
        ['DELETE', `/api/admin/operators/${username}`, undefined],
        ['DELETE', `/api/admin/operators/${username}/sessions`, undefined],
        ['DELETE', `/api/admin/operators/${username}/totp`, undefined],
      ] as const) {
        const response = await call(method, url, tenant.headers, body);
        assert.equal(response.statusCode, 404, `${method} ${url}: ${response.body}`);
        assert.equal(response.json().detail, `no operator ${username}`, `${method} ${url}`);
      }
    }
    for (const [body, status] of [
      [{ accounts: ['theirs'] }, 400],
      [{ accounts: null }, 403],
      [{ accounts: [] }, 400],
    ] as const) {
      const response = await patch('staff', body);
      assert.equal(response.statusCode, status, `${JSON.stringify(body)}: ${response.body}`);
    }
    const own = await patch('tenant', { role: 'viewer' });
    assert.equal(own.statusCode, 409, 'nobody changes their own role');

    const listed = (await call('GET', '/api/admin/operators', admin.headers)).json() as Listed[];
    assert.deepEqual(
      listed.map((o) => [o.username, o.role, o.accounts]),
      [
        ['admin', 'admin', null],
        ['mixed', 'viewer', ['mine', 'theirs']],
        ['nobody', 'viewer', []],
        ['other', 'admin', ['theirs']],
        ['platform-viewer', 'viewer', null],
        ['staff', 'admin', ['mine', 'second']],
        ['tenant', 'admin', ['mine', 'second']],
      ],
      'only staff changed',
    );

    const staff = await signIn(t, 'staff', 'staff password');
    const ended = await call('DELETE', '/api/admin/operators/staff/sessions', tenant.headers);
    assert.deepEqual([ended.statusCode, ended.json().ended], [200, 2], 'this sign-in and the one before');
    assert.equal((await call('GET', '/api/admin/session', staff.headers)).statusCode, 401);
  });

  test('once given an account that is not theirs, an operator is out of their hands', async () => {
    assert.equal(
      (await add(tenant.headers, { username: 'temp', role: 'viewer', accounts: ['second'] })).statusCode,
      201,
    );
    const widened = await call('PATCH', '/api/admin/operators/temp', admin.headers, {
      accounts: ['second', 'theirs'],
    });
    assert.equal(widened.statusCode, 200);
    assert.ok(!(await names(tenant.headers)).includes('temp'));
    for (const [method, body] of [
      ['PATCH', { role: 'admin' }],
      ['DELETE', undefined],
    ] as const) {
      const response = await call(method, '/api/admin/operators/temp', tenant.headers, body);
      assert.equal(response.statusCode, 404, `${method}: ${response.body}`);
    }
    assert.equal(
      ((await call('GET', '/api/admin/operators', admin.headers)).json() as Listed[]).find(
        (o) => o.username === 'temp',
      )?.role,
      'viewer',
    );
    assert.equal((await call('DELETE', '/api/admin/operators/temp', admin.headers)).statusCode, 204);
  });

  test('they list and revoke the API tokens of the operators they manage; a viewer sees them, revokes none', async () => {
    const staff = await signIn(t, 'staff', 'staff password');
    const made = await call('POST', '/api/admin/operator-tokens', staff.headers, { name: 'staff job' });
    const platform = await call('POST', '/api/admin/operator-tokens', admin.headers, {
      name: 'platform job',
    });
    const theirs = await signIn(t, 'other', 'other password');
    const other = await call('POST', '/api/admin/operator-tokens', theirs.headers, { name: 'their job' });
    const tokensOf = async (headers: Record<string, string>) =>
      ((await call('GET', '/api/admin/operator-tokens', headers)).json() as { name: string }[]).map(
        (x) => x.name,
      );
    assert.deepEqual(await tokensOf(tenant.headers), ['staff job']);
    assert.deepEqual(await tokensOf(theirs.headers), ['their job']);
    assert.equal((await tokensOf(admin.headers)).length, 3);

    for (const id of [platform.json().id, other.json().id]) {
      const response = await call('DELETE', `/api/admin/operator-tokens/${id}`, tenant.headers);
      assert.equal(response.statusCode, 404, response.body);
    }
    // staff is of mine and second now: mixed (mine, theirs) does not see them; a viewer of every account does.
    const mixed = await signIn(t, 'mixed', 'mixed password');
    assert.deepEqual(await tokensOf(mixed.headers), ['their job']);
    const viewer = await signIn(t, 'platform-viewer', 'platform-viewer password');
    const byViewer = await call('DELETE', `/api/admin/operator-tokens/${made.json().id}`, viewer.headers);
    assert.equal(byViewer.statusCode, 403, 'a viewer who sees a token does not revoke it');
    assert.match(byViewer.json().detail, /a viewer revokes only their own tokens/);

    const revoked = await call('DELETE', `/api/admin/operator-tokens/${made.json().id}`, tenant.headers);
    assert.equal(revoked.statusCode, 204, revoked.body);
    assert.equal((await tokensOf(admin.headers)).length, 2);
  });

  test('they read the audit events by and about an operator they see, never of another account', async () => {
    const made = await add(tenant.headers, { username: 'auditee', role: 'admin', accounts: ['mine'] });
    assert.equal(made.statusCode, 201);
    const auditee = await signIn(t, 'auditee', 'auditee password');
    const copied = await call('POST', '/api/admin/accounts/mine/audit-events', auditee.headers, {
      action: 'api-key.copied',
    });
    assert.equal(copied.statusCode, 204, copied.body);
    // An operator of every account widens them (the event names "theirs"), they act on the other account,
    // and they are narrowed back.
    const widen = (accounts: string[]) =>
      call('PATCH', '/api/admin/operators/auditee', admin.headers, { accounts });
    assert.equal((await widen(['mine', 'theirs'])).statusCode, 200);
    const elsewhere = await call('POST', '/api/admin/accounts/theirs/audit-events', auditee.headers, {
      action: 'credentials.copied',
    });
    assert.equal(elsewhere.statusCode, 204, elsewhere.body);
    assert.equal((await widen(['mine'])).statusCode, 200);
    const theirs = await signIn(t, 'other', 'other password');
    const read = async (query: string, headers = tenant.headers) => {
      const response = await call('GET', `/api/admin/audit?${query}`, headers);
      assert.equal(response.statusCode, 200, `${query}: ${response.body}`);
      return response.json() as {
        actor: string;
        accountId: string | null;
        action: string;
        detail: Record<string, unknown>;
      }[];
    };
    const events = await read('operator=auditee');
    assert.deepEqual(
      events.map((e) => `${e.actor} ${e.action} ${e.detail.accounts ?? e.accountId ?? ''}`).reverse(),
      [
        'tenant operator.created mine',
        'auditee operator.signed-in ',
        'auditee api-key.copied mine',
        'admin operator.accounts-changed accounts of others too',
        'admin operator.accounts-changed mine',
      ],
    );
    assert.deepEqual(
      (await read('operator=auditee&accountId=mine')).map((e) => e.action),
      ['api-key.copied'],
    );
    // An operator of every account reads the same events as they are.
    const whole = await read('operator=auditee', admin.headers);
    assert.ok(whole.some((e) => e.detail.accounts === 'mine, theirs'));
    assert.ok(whole.some((e) => e.action === 'credentials.copied' && e.accountId === 'theirs'));

    for (const [query, status, detail] of [
      ['operator=admin', 404, 'no operator admin'],
      ['operator=other', 404, 'no operator other'],
      ['operator=auditee&accountId=theirs', 404, 'no account theirs'],
      ['', 403, /this needs an operator of every account/],
    ] as const) {
      const response = await call('GET', `/api/admin/audit?${query}`, tenant.headers);
      assert.equal(response.statusCode, status, `${query}: ${response.body}`);
      if (typeof detail === 'string') assert.equal(response.json().detail, detail);
      else assert.match(response.json().detail, detail);
    }
    // Their own events they read; another tenant does not learn of this one's people.
    assert.ok((await read('operator=tenant')).some((e) => e.action === 'operator.created'));
    const refused = await call('GET', '/api/admin/audit?operator=auditee', theirs.headers);
    assert.equal(refused.statusCode, 404);
    assert.equal((await call('DELETE', '/api/admin/operators/auditee', tenant.headers)).statusCode, 204);
  });

  test('they remove an operator they manage; the audit log says who did what', async () => {
    const removed = await call('DELETE', '/api/admin/operators/staff', tenant.headers);
    assert.equal(removed.statusCode, 204, removed.body);
    assert.deepEqual(await names(tenant.headers), ['tenant']);
    const events = (await call('GET', '/api/admin/audit?limit=500', admin.headers)).json() as {
      actor: string;
      action: string;
      detail: Record<string, unknown>;
    }[];
    const byTenant = events
      .filter((e) => e.actor === 'tenant' && e.action !== 'operator.signed-in')
      .map((e) => `${e.action} ${e.detail.username ?? ''}`)
      .reverse();
    assert.deepEqual(byTenant, [
      'operator.created staff',
      'operator.role-changed staff',
      'operator.accounts-changed staff',
      'operator.sessions-ended staff',
      'operator.created temp',
      'operator-token.revoked staff',
      'operator.created auditee',
      'operator.removed auditee',
      'operator.removed staff',
    ]);
  });
});
