import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type AccountCredentials,
  caller,
  createAccount,
  createTestApp,
  getToken,
  signIn,
  type TestApp,
} from '../helpers/app.js';

const policy = (name: string, skillId: string) => ({
  name,
  enabled: true,
  conditions: [{ attribute: 'conversation.conversationId', operator: 'EQUAL', value: 'c1' }],
  actions: [{ type: 'TRANSFER_TO_SKILL', payload: { skillId } }],
});

describe("The policies' history: each list saved, by whom and how, and a list made current again", () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  let account: AccountCredentials;
  let token: string;
  const call = caller(() => t);
  const base = () => `/api/admin/accounts/${account.accountId}`;
  const history = async () => (await call('GET', `${base()}/policy-history`, admin.headers)).json();
  const list = () => call('GET', `${base()}/policies`, admin.headers);
  const nextAction = async () =>
    (
      await t.app.inject({
        method: 'POST',
        url: '/v2/policy/nextaction',
        headers: { authorization: `Bearer ${token}` },
        payload: { accountId: account.accountId, conversationId: 'c1' },
      })
    ).json();

  before(async () => {
    t = await createTestApp({ store: 'sqlite' });
    admin = await signIn(t);
    account = await createAccount(t);
    token = await getToken(t, account, 'policies:read policies:write next-actions');
  });
  after(async () => t.close());

  test('every change is kept with its actor, action and size, newest first, from the admin API and the v2 API', async () => {
    assert.deepEqual(await history(), []);
    const first = await call('POST', `${base()}/policies`, admin.headers, policy('Billing', 'billing'));
    assert.equal(first.statusCode, 201, first.body);
    const v2 = await t.app.inject({
      method: 'POST',
      url: '/v2/policies',
      headers: { authorization: `Bearer ${token}` },
      payload: policy('Sales', 'sales'),
    });
    assert.equal(v2.statusCode, 201, v2.body);
    const current = await list();
    const replaced = await call(
      'PUT',
      `${base()}/policies`,
      { ...admin.headers, 'if-match': current.headers.etag as string },
      [current.json()[1], current.json()[0]],
    );
    assert.equal(replaced.statusCode, 200, replaced.body);
    const billing = current.json()[0];
    const removed = await call('DELETE', `${base()}/policies/${billing.id}`, {
      ...admin.headers,
      'if-match': (await call('GET', `${base()}/policies/${billing.id}`, admin.headers)).headers
        .etag as string,
    });
    assert.equal(removed.statusCode, 204);
    // Custom attributes share the set's version but have no history of their own.
    const attributes = await call('GET', `${base()}/custom-attributes`, admin.headers);
    await call(
      'PUT',
      `${base()}/custom-attributes`,
      { ...admin.headers, 'if-match': attributes.headers.etag as string },
      {
        tier: 'gold',
      },
    );

    const kept = (await history()) as {
      version: number;
      at: string;
      actor: string;
      action: string;
      count: number;
    }[];
    assert.deepEqual(
      kept.map(({ actor, action, count }) => [actor, action, count]),
      [
        ['admin', 'policy.deleted', 1],
        ['admin', 'policies.replaced', 2],
        [`client:${account.userId}`, 'policy.created', 2],
        ['admin', 'policy.created', 1],
      ],
    );
    assert.deepEqual(
      kept.map((v) => v.version),
      [4, 3, 2, 1],
    );
    assert.equal(kept[0]?.at, new Date(t.clock.now()).toISOString());

    const second = await call('GET', `${base()}/policy-history/3`, admin.headers);
    assert.equal(second.statusCode, 200);
    assert.deepEqual(
      second.json().policies.map((p: { name: string }) => p.name),
      ['Sales', 'Billing'],
    );
    assert.equal(second.json().action, 'policies.replaced');
    for (const [version, status] of [
      ['9', 404],
      ['0', 400],
      ['x', 400],
      ['-1', 400],
      ['1e3', 400],
    ] as const)
      assert.equal(
        (await call('GET', `${base()}/policy-history/${version}`, admin.headers)).statusCode,
        status,
        version,
      );
  });

  test('restoring a list: If-Match of the current list, ids kept (a deleted policy comes back as itself), evaluated at once, in the history and the audit log', async () => {
    assert.equal((await nextAction())[0]?.payload?.skillId, 'sales', 'Billing was deleted');
    const restore = (version: number, headers: Record<string, string>) =>
      call('POST', `${base()}/policy-history/${version}/restore`, headers, undefined);
    const without = await restore(1, admin.headers);
    assert.equal(without.statusCode, 428);
    const stale = await restore(1, { ...admin.headers, 'if-match': '"stale"' });
    assert.equal(stale.statusCode, 412);
    assert.equal((await restore(99, { ...admin.headers, 'if-match': '*' })).statusCode, 404);

    const original = (await call('GET', `${base()}/policy-history/3`, admin.headers)).json();
    const current = await list();
    const restored = await restore(3, { ...admin.headers, 'if-match': current.headers.etag as string });
    assert.equal(restored.statusCode, 200, restored.body);
    assert.deepEqual(restored.json(), original.policies, 'as it was saved, ids included');
    assert.equal(restored.headers.etag, (await list()).headers.etag);
    // The routing changed at once (the node's compiled policies were dropped): Sales is first again, and matches.
    assert.equal((await nextAction())[0]?.payload?.skillId, 'sales');
    assert.deepEqual(
      (await list()).json().map((p: { name: string }) => p.name),
      ['Sales', 'Billing'],
    );
    const newest = (await history())[0];
    assert.equal(newest.action, 'policies.restored');
    assert.equal(newest.actor, 'admin');
    assert.equal(newest.count, 2);
    const audit = (
      await call('GET', `/api/admin/audit?accountId=${account.accountId}`, admin.headers)
    ).json() as {
      action: string;
      detail: Record<string, unknown>;
    }[];
    assert.deepEqual(audit.find((e) => e.action === 'policies.restored')?.detail, { version: 3, count: 2 });
  });

  test('viewers read the history; only admins restore; the history keeps the last 50 lists', async () => {
    const viewerName = 'history-viewer';
    const made = await call('POST', '/api/admin/operators', admin.headers, {
      username: viewerName,
      role: 'viewer',
    });
    assert.equal(made.statusCode, 201, made.body);
    const viewer = await signIn(t, viewerName, made.json().password);
    assert.equal((await call('GET', `${base()}/policy-history`, viewer.headers)).statusCode, 200);
    const refused = await call('POST', `${base()}/policy-history/1/restore`, {
      ...viewer.headers,
      'if-match': '*',
    });
    assert.equal(refused.statusCode, 403);

    for (let i = 0; i < 55; i++) {
      const created = await call('POST', `${base()}/policies`, admin.headers, policy(`p${i}`, `s${i}`));
      assert.equal(created.statusCode, 201);
    }
    const kept = await history();
    assert.equal(kept.length, 50);
    assert.equal(kept[0].count, 57);
    assert.equal(
      (await call('GET', `${base()}/policy-history/1`, admin.headers)).statusCode,
      404,
      'forgotten',
    );
  });
});
