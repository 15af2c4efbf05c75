import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createMemoryStore } from '../../src/adapters/memory/store.js';
import {
  type AccountCredentials,
  basic,
  createAccount,
  createTestApp,
  send,
  signIn,
  type TestApp,
} from '../helpers/app.js';

describe("an account's networks: where its credentials are accepted from", () => {
  let t: TestApp;
  let admin: Record<string, string>;
  let fenced: AccountCredentials;
  let open: AccountCredentials;
  before(async () => {
    t = await createTestApp();
    admin = (await signIn(t)).headers;
    fenced = await createAccount(t);
    open = await createAccount(t);
  });
  after(async () => t.close());

  const v1 = (account: AccountCredentials, from: string) =>
    t.app.inject({
      method: 'GET',
      url: `/v1/account/${account.accountId}`,
      remoteAddress: from,
      headers: { 'maven-api-key': account.apiKey },
    });
  const tokenFrom = (account: AccountCredentials, from: string, password = account.password) =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      remoteAddress: from,
      headers: {
        authorization: basic(account.userId, password),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: 'grant_type=client_credentials',
    });
  const setNetworks = (accountId: string, body: unknown) =>
    send(t, 'PUT', `/api/admin/accounts/${accountId}/allowed-networks`, admin, body);

  test('set, only those addresses are accepted, for the v1 key, the token endpoint and tokens alike', async () => {
    const issued = await tokenFrom(fenced, '198.51.100.1');
    assert.equal(issued.statusCode, 200, 'any address before');
    const token = issued.json().access_token as string;

    const set = await setNetworks(fenced.accountId, {
      networks: ['203.0.113.0/24', ' 2001:db8::1', '203.0.113.0/24'],
    });
    assert.equal(set.statusCode, 200, set.body);
    assert.deepEqual(
      set.json().allowedNetworks,
      ['203.0.113.0/24', '2001:db8::1'],
      'trimmed, without repeats',
    );

    for (const from of ['203.0.113.9', '::ffff:203.0.113.200', '2001:db8::1'])
      assert.equal((await v1(fenced, from)).statusCode, 200, from);
    for (const from of ['198.51.100.1', '203.0.114.1', '2001:db8::2', '::ffff:198.51.100.1']) {
      const refused = await v1(fenced, from);
      assert.equal(refused.statusCode, 403, from);
      assert.equal(
        refused.json().detail,
        `account ${fenced.accountId} does not accept requests from ${from}`,
      );
    }
    assert.equal((await v1(open, '198.51.100.1')).statusCode, 200, 'another account is not fenced');

    // A token issued before, used from elsewhere: refused; from inside: accepted.
    const read = (from: string) =>
      t.app.inject({
        method: 'GET',
        url: `/v2/context/document/${fenced.accountId}/ns/s1`,
        remoteAddress: from,
        headers: { authorization: `Bearer ${token}` },
      });
    assert.equal((await read('198.51.100.1')).statusCode, 403);
    assert.equal((await read('203.0.113.9')).statusCode, 404, 'accepted: no such document');

    // The token endpoint: the right secret from outside is told why; a wrong one is a wrong one.
    const outside = await tokenFrom(fenced, '198.51.100.1');
    assert.equal(outside.statusCode, 400, outside.body);
    assert.equal(outside.json().error, 'unauthorized_client');
    assert.match(outside.json().error_description, /does not accept requests from 198\.51\.100\.1/);
    assert.equal((await tokenFrom(fenced, '198.51.100.1', 'orch_secret_wrong')).statusCode, 401);
    assert.equal((await tokenFrom(fenced, '203.0.113.9')).statusCode, 200);

    const removed = await send(
      t,
      'DELETE',
      `/api/admin/accounts/${fenced.accountId}/allowed-networks`,
      admin,
    );
    assert.equal(removed.statusCode, 200, removed.body);
    assert.equal(removed.json().allowedNetworks, null);
    assert.equal((await v1(fenced, '198.51.100.1')).statusCode, 200, 'any address again');

    const audit = (
      (await send(t, 'GET', `/api/admin/audit?accountId=${fenced.accountId}`, admin)).json() as {
        action: string;
        detail: Record<string, unknown>;
      }[]
    )
      .filter((e) => e.action === 'account.networks-changed')
      .map((e) => e.detail.networks)
      .reverse();
    assert.deepEqual(audit, ['203.0.113.0/24, 2001:db8::1', null]);
  });

  test("calls refused for their address do not take from the account's rate", async () => {
    const account = await createAccount(t);
    await setNetworks(account.accountId, { networks: ['10.0.0.0/8'] });
    const rate = await send(t, 'PUT', `/api/admin/accounts/${account.accountId}/rate-limit`, admin, {
      perSecond: 1,
      burst: 1,
    });
    assert.equal(rate.statusCode, 200, rate.body);
    for (let i = 0; i < 5; i++) assert.equal((await v1(account, '192.0.2.1')).statusCode, 403);
    assert.equal((await v1(account, '10.1.2.3')).statusCode, 200);
    assert.equal((await v1(account, '10.1.2.3')).statusCode, 429);
  });

  test('an admin limited to the account sets its networks too; a viewer, or an admin of other accounts, does not', async () => {
    const other = await createAccount(t);
    for (const [username, role] of [
      ['net-admin', 'admin'],
      ['net-viewer', 'viewer'],
    ] as const) {
      const made = await send(t, 'POST', '/api/admin/operators', admin, {
        username,
        password: `${username} password`,
        role,
        accounts: [open.accountId],
      });
      assert.equal(made.statusCode, 201, made.body);
    }
    const tenant = (await signIn(t, 'net-admin', 'net-admin password')).headers;
    const viewer = (await signIn(t, 'net-viewer', 'net-viewer password')).headers;
    const url = (accountId: string) => `/api/admin/accounts/${accountId}/allowed-networks`;
    const body = { networks: ['192.0.2.0/24'] };
    const set = await send(t, 'PUT', url(open.accountId), tenant, body);
    assert.equal(set.statusCode, 200, set.body);
    assert.deepEqual(set.json().allowedNetworks, ['192.0.2.0/24']);
    assert.equal((await v1(open, '198.51.100.1')).statusCode, 403, 'it holds');
    const byViewer = await send(t, 'DELETE', url(open.accountId), viewer);
    assert.equal(byViewer.statusCode, 403);
    assert.match(byViewer.json().detail, /needs an admin operator/);
    const elsewhere = await send(t, 'PUT', url(other.accountId), tenant, body);
    assert.equal(elsewhere.statusCode, 404);
    assert.equal(elsewhere.json().detail, `no account ${other.accountId}`);
    // The rate stays the platform's.
    const rate = await send(t, 'PUT', `/api/admin/accounts/${open.accountId}/rate-limit`, tenant, {
      perSecond: 5,
    });
    assert.equal(rate.statusCode, 403);
    assert.equal((await send(t, 'DELETE', url(open.accountId), tenant)).statusCode, 200);
    assert.equal((await v1(open, '198.51.100.1')).statusCode, 200);
  });

  test('bad lists get 400 with the entry named, unknown accounts 404, and change nothing', async () => {
    const account = await createAccount(t);
    const cases: [unknown, RegExp][] = [
      [{ networks: [] }, /networks/],
      [{ networks: ['not-an-address'] }, /"not-an-address" is not an IPv4 or IPv6 address or network/],
      [{ networks: ['10.0.0.0/33'] }, /"10\.0\.0\.0\/33"/],
      [{ networks: ['2001:db8::/129'] }, /2001:db8::\/129/],
      [{ networks: ['10.0.0.1/8/1'] }, /10\.0\.0\.1\/8\/1/],
      [{ networks: ['   '] }, /is not an IPv4/],
      [{ networks: Array.from({ length: 101 }, (_, i) => `10.0.0.${i % 250}/32`) }, /networks/],
      [{ networks: '10.0.0.0/8' }, /networks/],
      [{}, /networks/],
    ];
    for (const [body, message] of cases) {
      const response = await setNetworks(account.accountId, body);
      assert.equal(response.statusCode, 400, `${JSON.stringify(body).slice(0, 50)}: ${response.body}`);
      assert.match(response.json().detail, message);
    }
    assert.equal((await setNetworks('no-such-account', { networks: ['10.0.0.1'] })).statusCode, 404);
    assert.equal(
      (await send(t, 'GET', `/api/admin/accounts/${account.accountId}`, admin)).json().allowedNetworks,
      null,
    );
    assert.equal((await v1(account, '192.0.2.1')).statusCode, 200);
  });
});

describe("an account's networks on a node that could not read them at its start", () => {
  test('read again until it works: the networks hold without any change to announce them', async () => {
    const store = createMemoryStore();
    // The store is down when the node starts: the first reads of the limits fail.
    const listAccountLimits = store.accounts.listAccountLimits.bind(store.accounts);
    let failures = 2;
    store.accounts.listAccountLimits = async () => {
      if (failures-- > 0) throw new Error('the store is down');
      return listAccountLimits();
    };
    await store.accounts.createAccount({ accountId: 'fenced-early', createdAt: 0 });
    await store.accounts.setAccountNetworks('fenced-early', ['10.0.0.0/8']);
    const t = await createTestApp({ store });
    try {
      await t.services.apiKeys.regenerate('fenced-early');
      const key = (await t.services.apiKeys.reveal('fenced-early'))?.key as string;
      const from = (address: string) =>
        t.app.inject({
          method: 'GET',
          url: '/v1/account/fenced-early',
          remoteAddress: address,
          headers: { 'maven-api-key': key },
        });
      // Two failed reads, retried after 0.5 s and 1 s: within 3 s the node holds the account's networks.
      for (let waited = 0; failures >= 0 && waited < 3000; waited += 100)
        await new Promise((resolve) => setTimeout(resolve, 100));
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(
        t.logs.some((line) => line.includes('read again shortly')),
        'the failure is said',
      );
      assert.equal((await from('192.0.2.1')).statusCode, 403, 'an address outside the networks is refused');
      assert.notEqual((await from('10.1.2.3')).statusCode, 403);
    } finally {
      await t.close();
    }
  });
});
