import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type AccountCredentials,
  basic,
  createAccount,
  createTestApp,
  getToken,
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
        .filter((line) => line.msg.startsWith('an account is over ACCOUNT_RATE_LIMIT'));
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

describe('without ACCOUNT_RATE_LIMIT', () => {
  test('no limit, and no metric for it', async () => {
    const t = await createTestApp();
    try {
      assert.doesNotMatch(
        (await t.app.inject({ method: 'GET', url: '/metrics' })).body,
        /orchestrator_account_rate_limited_total/,
      );
      const account = await createAccount(t);
      for (let i = 0; i < 50; i++) {
        const answer = await t.app.inject({
          method: 'GET',
          url: `/v1/account/${account.accountId}`,
          headers: { 'maven-api-key': account.apiKey },
        });
        assert.equal(answer.statusCode, 200);
      }
    } finally {
      await t.close();
    }
  });
});
