import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RedisRateLimitStore } from '../../src/adapters/redis/rate-limit.js';
import { redisUnavailable, redisUrl, uniqueName } from '../contract/servers.js';
import {
  type AccountCredentials,
  basic,
  createAccount,
  createTestApp,
  getToken,
  send,
  signIn,
  type TestApp,
} from '../helpers/app.js';

describe('ACCOUNT_RATE_LIMIT: each account its own request rate', () => {
  let t: TestApp;
  let busy: AccountCredentials;
  let calm: AccountCredentials;
  let token: string;
  before(async () => {
    t = await createTestApp({ accountRate: { perSecond: 2, burst: 3 } });
    busy = await createAccount(t);
    calm = await createAccount(t);
    token = await getToken(t, busy, 'context:read'); // takes one of busy's three
    t.clock.advance(10_000); // full again
  });
  after(async () => t.close());

  const v1 = (account: AccountCredentials, key = account.apiKey) =>
    t.app.inject({
      method: 'GET',
      url: `/v1/account/${account.accountId}`,
      headers: { 'maven-api-key': key },
    });
  const v2 = () =>
    t.app.inject({
      method: 'GET',
      url: `/v2/context/document/${busy.accountId}/shop/s1`,
      headers: { authorization: `Bearer ${token}` },
    });
  const tokenRequest = () =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: {
        authorization: basic(busy.userId, busy.password),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: 'grant_type=client_credentials',
    });

  test('a burst, then 429 with Retry-After; v1, v2 and the token endpoint share the account’s rate', async () => {
    const statuses = [(await v1(busy)).statusCode, (await v2()).statusCode, (await v1(busy)).statusCode];
    assert.ok(
      statuses.every((s) => s !== 429 && s < 500),
      statuses.join(','),
    );
    const limited = await v1(busy);
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.headers['retry-after'], '1');
    assert.equal(limited.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.match(limited.json().detail, /over its request rate/);
    assert.equal((await v2()).statusCode, 429);
    const issued = await tokenRequest();
    assert.equal(issued.statusCode, 429);
    assert.ok(Number(issued.headers['retry-after']) >= 1);
    assert.equal((await v1(calm)).statusCode, 200, 'another account is not held back');

    t.clock.advance(500); // one request's worth at 2 a second
    assert.equal((await v1(busy)).statusCode, 200);
    assert.equal((await v1(busy)).statusCode, 429);
    t.clock.advance(10_000);
    assert.equal((await tokenRequest()).statusCode, 200);
  });

  test('the refusals are counted in /metrics, and the log names the account, a line a second at most', async () => {
    const counted = async () => {
      const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      const line = /^orchestrator_account_rate_limited_total (\d+)$/m.exec(text);
      assert.ok(line, 'the metric is there');
      return Number(line[1]);
    };
    const warned = () =>
      t.logs
        .map(
          (line) => JSON.parse(line) as { level: number; msg: string; accountId?: string; heldBack?: number },
        )
        .filter((line) => line.msg.startsWith('an account is over its request rate'));
    const before = await counted();
    const linesBefore = warned().length;
    t.clock.advance(10_000);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await v1(busy)).statusCode);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429, 429, 429]);
    assert.equal((await counted()) - before, 5);
    const lines = warned().slice(linesBefore);
    assert.equal(lines.length, 1, 'one line for five refusals within a second');
    assert.equal(lines[0]?.accountId, busy.accountId);
    assert.equal(lines[0]?.level, 40);
    t.clock.advance(1_000);
    for (let i = 0; i < 4; i++) await v1(busy);
    const next = warned().slice(linesBefore);
    assert.equal(next.length, 2, 'a second later, one more line');
    assert.ok((next[1]?.heldBack ?? 0) >= 4, 'saying how many it stands for');
  });

  test('refused credentials do not count against the account', async () => {
    t.clock.advance(10_000);
    for (let i = 0; i < 10; i++) assert.equal((await v1(busy, 'orch_key_wrong')).statusCode, 401);
    for (let i = 0; i < 10; i++)
      assert.equal(
        (
          await t.app.inject({
            method: 'GET',
            url: `/v1/account/${busy.accountId}`,
            headers: { 'maven-api-key': calm.apiKey },
          })
        ).statusCode,
        403,
        "another account's key",
      );
    assert.equal((await v1(busy)).statusCode, 200, 'busy still has its burst');
  });
});

describe("an account's own request rate", () => {
  let t: TestApp;
  let admin: Record<string, string>;
  before(async () => {
    t = await createTestApp({ accountRate: { perSecond: 2, burst: 2 } });
    admin = (await signIn(t)).headers;
  });
  after(async () => t.close());

  const v1 = (account: AccountCredentials) =>
    t.app.inject({
      method: 'GET',
      url: `/v1/account/${account.accountId}`,
      headers: { 'maven-api-key': account.apiKey },
    });
  /** How many of `count` calls at one instant are let through. */
  const allowed = async (account: AccountCredentials, count: number) => {
    t.clock.advance(60_000);
    let ok = 0;
    for (let i = 0; i < count; i++) if ((await v1(account)).statusCode === 200) ok++;
    return ok;
  };
  const setRate = (accountId: string, body: unknown) =>
    send(t, 'PUT', `/api/admin/accounts/${accountId}/rate-limit`, admin, body);

  test('set, it holds at the next request in place of the server’s; 0 is no limit; removed, the server’s again', async () => {
    const big = await createAccount(t);
    const other = await createAccount(t);
    assert.equal(await allowed(big, 10), 2, "the server's burst");

    const set = await setRate(big.accountId, { perSecond: 100, burst: 7 });
    assert.equal(set.statusCode, 200, set.body);
    assert.deepEqual(set.json().rateLimit, { perSecond: 100, burst: 7 });
    assert.equal(await allowed(big, 10), 7, 'its own burst');
    assert.equal(await allowed(other, 10), 2, 'other accounts keep the server’s');
    const listed = (await send(t, 'GET', '/api/admin/accounts', admin)).json() as {
      accountId: string;
      rateLimit: unknown;
      effectiveRateLimit: unknown;
    }[];
    assert.deepEqual(
      listed
        .filter((a) => [big.accountId, other.accountId].includes(a.accountId))
        .map((a) => a.effectiveRateLimit),
      [big.accountId, other.accountId]
        .sort()
        .map((id) => (id === big.accountId ? { perSecond: 100, burst: 7 } : { perSecond: 2, burst: 2 })),
    );
    assert.deepEqual(listed.find((a) => a.accountId === big.accountId)?.rateLimit, {
      perSecond: 100,
      burst: 7,
    });
    assert.equal(listed.find((a) => a.accountId === other.accountId)?.rateLimit, null);
    assert.equal(set.json().rateScope, 'node', 'without REDIS_URL each node counts on its own');

    const defaultBurst = await setRate(big.accountId, { perSecond: 5 });
    assert.deepEqual(
      defaultBurst.json().rateLimit,
      { perSecond: 5, burst: 5 },
      'the burst defaults to the rate',
    );
    assert.equal(await allowed(big, 10), 5);

    const unlimited = await setRate(big.accountId, { perSecond: 0 });
    assert.equal(unlimited.statusCode, 200);
    assert.equal(unlimited.json().effectiveRateLimit, null, 'no limit in force');
    assert.equal(await allowed(big, 30), 30, '0: no limit for this account');

    const removed = await send(t, 'DELETE', `/api/admin/accounts/${big.accountId}/rate-limit`, admin);
    assert.equal(removed.statusCode, 200, removed.body);
    assert.equal(removed.json().rateLimit, null);
    assert.equal(await allowed(big, 10), 2, "the server's again");

    const audit = (
      (await send(t, 'GET', `/api/admin/audit?accountId=${big.accountId}`, admin)).json() as {
        action: string;
        detail: Record<string, unknown>;
      }[]
    )
      .filter((e) => e.action === 'account.rate-limit-changed')
      .map((e) => [e.detail.perSecond, e.detail.burst])
      .reverse();
    assert.deepEqual(audit, [
      [100, 7],
      [5, 5],
      [0, 1],
      [null, null],
    ]);
  });

  test('bad rates get 400, unknown accounts 404, and change nothing', async () => {
    const account = await createAccount(t);
    for (const body of [
      { perSecond: -1 },
      { perSecond: 1.5 },
      { perSecond: '10' },
      { perSecond: 1_000_001 },
      { perSecond: 10, burst: 0 },
      { perSecond: 10, burst: 10_000_001 },
      { perSecond: 10, extra: true },
      {},
    ]) {
      const response = await setRate(account.accountId, body);
      assert.equal(response.statusCode, 400, `${JSON.stringify(body)}: ${response.body}`);
    }
    assert.equal((await setRate('no-such-account', { perSecond: 10 })).statusCode, 404);
    assert.equal(
      (await send(t, 'DELETE', '/api/admin/accounts/no-such-account/rate-limit', admin)).statusCode,
      404,
    );
    const shown = await send(t, 'GET', `/api/admin/accounts/${account.accountId}`, admin);
    assert.equal(shown.json().rateLimit, null);
    assert.equal(await allowed(account, 10), 2);
  });
});

describe('without ACCOUNT_RATE_LIMIT', () => {
  test("no limit but an account's own; the refusals metric reads 0", async () => {
    const t = await createTestApp();
    try {
      assert.match(
        (await t.app.inject({ method: 'GET', url: '/metrics' })).body,
        /^orchestrator_account_rate_limited_total 0$/m,
      );
      const free = await createAccount(t);
      const held = await createAccount(t);
      const admin = (await signIn(t)).headers;
      const set = await send(t, 'PUT', `/api/admin/accounts/${held.accountId}/rate-limit`, admin, {
        perSecond: 1,
        burst: 3,
      });
      assert.equal(set.statusCode, 200, set.body);
      const statuses = async (account: AccountCredentials) => {
        const out: number[] = [];
        for (let i = 0; i < 5; i++)
          out.push(
            (
              await t.app.inject({
                method: 'GET',
                url: `/v1/account/${account.accountId}`,
                headers: { 'maven-api-key': account.apiKey },
              })
            ).statusCode,
          );
        return out;
      };
      assert.deepEqual(await statuses(free), [200, 200, 200, 200, 200]);
      assert.deepEqual(await statuses(held), [200, 200, 200, 429, 429]);
    } finally {
      await t.close();
    }
  });
});

describe('with REDIS_URL: one rate for the account on every node', async () => {
  const reason = await redisUnavailable();
  const it = (name: string, fn: () => Promise<void>) =>
    reason ? test(name, { skip: reason }, () => {}) : test(name, fn);
  const v1 = (t: TestApp, account: AccountCredentials) =>
    t.app.inject({
      method: 'GET',
      url: `/v1/account/${account.accountId}`,
      headers: { 'maven-api-key': account.apiKey },
    });
  const statuses = async (t: TestApp, account: AccountCredentials, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await v1(t, account)).statusCode);
    return out;
  };

  it("two nodes share the account's bucket: what one used, the other cannot", async () => {
    const keyPrefix = uniqueName('orchestrator:test:rl:');
    const rate = { perSecond: 1, burst: 3 };
    const buckets = [0, 1].map(() => new RedisRateLimitStore(redisUrl, { keyPrefix }));
    const a = await createTestApp({ accountRate: rate, sharedBuckets: buckets[0] });
    const b = await createTestApp({ accountRate: rate, sharedBuckets: buckets[1] });
    try {
      // The same account id on both nodes (each test node has a store of its own).
      const accountId = uniqueName('shared');
      const onA = await createAccount(a, accountId);
      const onB = await createAccount(b, accountId);
      const view = await send(a, 'GET', `/api/admin/accounts/${accountId}`, (await signIn(a)).headers);
      assert.equal(view.json().rateScope, 'cluster', 'the account view says the rate holds for every node');
      assert.deepEqual(await statuses(a, onA, 3), [200, 200, 200]);
      const refused = await v1(b, onB);
      assert.equal(refused.statusCode, 429, 'B has tokens of its own, the account has none left');
      assert.equal(refused.headers['retry-after'], '1');
      const metrics = await b.app.inject({ method: 'GET', url: '/metrics' });
      assert.match(metrics.body, /orchestrator_account_rate_limited_total 1\b/);
    } finally {
      await a.close();
      await b.close();
      for (const store of buckets) await store.close();
    }
  });

  it("when Redis cannot answer, each node counts the account's rate alone, and says so once", async () => {
    // Nothing listens on port 1.
    const unreachable = new RedisRateLimitStore('redis://127.0.0.1:1', { keyPrefix: uniqueName('rl:') });
    const t = await createTestApp({ accountRate: { perSecond: 1, burst: 3 }, sharedBuckets: unreachable });
    try {
      const account = await createAccount(t);
      assert.deepEqual(await statuses(t, account, 5), [200, 200, 200, 429, 429]);
      const warnings = t.logs.filter((line) => line.includes('shared request rates cannot be counted'));
      assert.equal(warnings.length, 1, 'one line a minute, not one a request');
    } finally {
      await t.close();
      await unreachable.close();
    }
  });
});
