import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, describe, test } from 'node:test';
import { MemoryRateLimitStore } from '../../src/adapters/memory/rate-limit.js';
import { RedisRateLimitStore } from '../../src/adapters/redis/rate-limit.js';
import { type AppError, StoreUnavailableError } from '../../src/core/errors.js';
import type { RateLimitStore } from '../../src/ports/rate-limit.js';
import type { SharedBuckets } from '../../src/ports/shared-buckets.js';
import type { ServiceContext } from '../../src/services/context.js';
import { LoginGuard } from '../../src/services/login-guard.js';
import { leaseSize, SharedRate } from '../../src/services/shared-rate.js';
import { redisUnavailable, redisUrl, uniqueName } from './servers.js';

/** Two stores as two nodes sharing one deployment would hold them. */
interface StorePair {
  a: RateLimitStore;
  b: RateLimitStore;
  close(): Promise<void>;
}

const factories: { name: string; unavailable(): Promise<string | null>; pair(): StorePair }[] = [
  {
    name: 'memory',
    unavailable: async () => null,
    pair: () => {
      const store = new MemoryRateLimitStore();
      return { a: store, b: store, close: async () => {} };
    },
  },
  {
    name: 'redis',
    unavailable: redisUnavailable,
    pair: () => {
      const keyPrefix = uniqueName('orchestrator:test:rl:');
      const a = new RedisRateLimitStore(redisUrl, { keyPrefix });
      const b = new RedisRateLimitStore(redisUrl, { keyPrefix });
      return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
    },
  },
];

const MINUTE = 60_000;
// A window start in the real future, so stores that expire keys on the server's clock keep them.
const t0 = (Math.floor(Date.now() / MINUTE) + 2) * MINUTE;

for (const factory of factories) {
  describe(`rate-limit store contract: ${factory.name}`, async () => {
    const reason = await factory.unavailable();
    const pairs: StorePair[] = [];
    const open = () => {
      const pair = factory.pair();
      pairs.push(pair);
      return pair;
    };
    after(async () => {
      await Promise.all(pairs.map((pair) => pair.close()));
    });
    const it = (name: string, fn: () => Promise<void>) =>
      reason ? test(name, { skip: reason }, () => {}) : test(name, fn);

    it('counts hits in a fixed window and starts over in the next one', async () => {
      const { a, b } = open();
      assert.deepEqual(await a.hit('k', MINUTE, t0 + 5), { count: 1, resetAt: t0 + MINUTE });
      assert.deepEqual(await b.hit('k', MINUTE, t0 + 10), { count: 2, resetAt: t0 + MINUTE });
      assert.deepEqual(await a.hit('k', MINUTE, t0 + MINUTE - 1), { count: 3, resetAt: t0 + MINUTE });
      assert.deepEqual(await b.hit('k', MINUTE, t0 + MINUTE), { count: 1, resetAt: t0 + 2 * MINUTE });
    });

    it('keeps keys apart', async () => {
      const { a } = open();
      await a.hit('x', MINUTE, t0);
      await a.hit('x', MINUTE, t0);
      assert.equal((await a.hit('y', MINUTE, t0)).count, 1);
    });

    it('peeks without counting, and forgets a key on reset', async () => {
      const { a, b } = open();
      assert.equal((await a.peek('p', t0)).count, 0);
      await a.hit('p', MINUTE, t0);
      await a.hit('p', MINUTE, t0);
      assert.deepEqual(await b.peek('p', t0 + 1), { count: 2, resetAt: t0 + MINUTE });
      assert.deepEqual(await b.peek('p', t0 + 1), { count: 2, resetAt: t0 + MINUTE });
      assert.equal((await b.peek('p', t0 + MINUTE)).count, 0, 'a finished window counts nothing');
      await b.reset('p');
      assert.equal((await a.peek('p', t0 + 1)).count, 0);
      assert.equal((await a.hit('p', MINUTE, t0 + 2)).count, 1);
    });

    it('counts many concurrent hits from two nodes exactly', async () => {
      const { a, b } = open();
      const hits = await Promise.all(
        Array.from({ length: 600 }, (_, i) => (i % 2 ? a : b).hit('burst', MINUTE, t0 + (i % 7))),
      );
      assert.deepEqual(
        hits.map((h) => h.count).sort((x, y) => x - y),
        Array.from({ length: 600 }, (_, i) => i + 1),
      );
      assert.equal((await a.peek('burst', t0)).count, 600);
    });

    it('a login guard over it refuses an identity after its failures, on every node, with Retry-After', async () => {
      const { a, b } = open();
      const node = (store: RateLimitStore) =>
        new LoginGuard(
          { clock: { now: () => t0 + 1_000 }, rateLimits: store } as unknown as ServiceContext,
          'c',
          {
            perIdentity: 3,
            perAddress: 100,
            windowMs: MINUTE,
          },
        );
      const [onA, onB] = [node(a), node(b)];
      // Whether the store answers at once (memory) or later (Redis), a throw and a rejection alike refuse.
      const checked = (guard: LoginGuard, id: string) =>
        Promise.resolve().then(() => guard.check(id, '10.0.0.1'));
      await checked(onB, 'client-1');
      for (let i = 0; i < 3; i++) await onA.failed('client-1', '10.0.0.1');
      await assert.rejects(checked(onB, 'client-1'), (error: AppError) => {
        assert.equal(error.code, 'rate_limited');
        assert.equal(error.headers?.['retry-after'], '59');
        return true;
      });
      await checked(onB, 'client-2');
      // Counters in this process: the check answers at once, with no promise.
      if (factory.name === 'memory') assert.equal(onB.check('client-3', '10.0.0.1'), undefined);
    });
  });
}

describe('Redis rate limits when Redis cannot be reached', () => {
  test('every call fails with StoreUnavailableError (a 503 with Retry-After), never as if unlimited', async () => {
    // Nothing listens on port 1: the connection is refused.
    const store = new RedisRateLimitStore('redis://127.0.0.1:1', { keyPrefix: uniqueName('rl:') });
    try {
      const refused = (error: unknown) => {
        assert.ok(error instanceof StoreUnavailableError, String(error));
        assert.equal(error.status, 503);
        assert.deepEqual(error.headers, { 'retry-after': '1' });
        return true;
      };
      await assert.rejects(store.hit('k', MINUTE, t0), refused);
      await assert.rejects(store.peek('k', t0), refused);
      await assert.rejects(store.reset('k'), refused);
      const guard = new LoginGuard(
        { rateLimits: store, clock: { now: () => t0 } } as unknown as ServiceContext,
        'oauth',
      );
      await assert.rejects(
        Promise.resolve().then(() => guard.check('client-1', '10.0.0.1')),
        refused,
      );
    } finally {
      await store.close();
    }
  });
});

describe('a Redis that takes the connection and never answers', () => {
  test('calls fail within the command timeout as unavailable, rather than hold requests up', async () => {
    const silent = createServer((socket) => socket.on('data', () => {}));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const store = new RedisRateLimitStore(`redis://127.0.0.1:${port}`, {
      keyPrefix: uniqueName('rl:'),
      commandTimeoutMs: 200,
    });
    try {
      const started = performance.now();
      await assert.rejects(store.hit('k', MINUTE, t0), StoreUnavailableError);
      await assert.rejects(store.take('k', { perSecond: 1, burst: 1 }, 1), StoreUnavailableError);
      const took = performance.now() - started;
      assert.ok(took < 2_000, `${took.toFixed(0)} ms`);
    } finally {
      await store.close();
      silent.close();
    }
  });
});

describe('shared token buckets in Redis (the accounts request rates of a cluster)', async () => {
  const reason = await redisUnavailable();
  const it = (name: string, fn: () => Promise<void>) =>
    reason ? test(name, { skip: reason }, () => {}) : test(name, fn);
  const keyPrefix = uniqueName('orchestrator:test:bk:');
  const a = new RedisRateLimitStore(redisUrl, { keyPrefix });
  const b = new RedisRateLimitStore(redisUrl, { keyPrefix });
  after(async () => void (await Promise.all([a.close(), b.close()])));

  it('lets the burst through from both nodes together, then says how long until the next', async () => {
    const rate = { perSecond: 1, burst: 3 };
    const takes = [
      await a.take('acct', rate, 1),
      await b.take('acct', rate, 1),
      await a.take('acct', rate, 1),
    ];
    assert.deepEqual(takes, [
      { taken: 1, waitMs: 0 },
      { taken: 1, waitMs: 0 },
      { taken: 1, waitMs: 0 },
    ]);
    const refused = await b.take('acct', rate, 1);
    assert.equal(refused.taken, 0);
    assert.ok(
      refused.waitMs > 900 && refused.waitMs <= 1000,
      `one a second: ${refused.waitMs} ms until the next`,
    );
    assert.ok((await a.take('acct', rate, 1)).waitMs > 900, 'a refusal takes nothing: still about a second');
    assert.equal((await a.take('other', rate, 1)).taken, 1, 'keys apart');
  });

  it('takes several at once, never more than there are', async () => {
    const rate = { perSecond: 1, burst: 10 };
    assert.equal((await a.take('many', rate, 4)).taken, 4);
    assert.equal((await b.take('many', rate, 4)).taken, 4);
    assert.equal((await a.take('many', rate, 4)).taken, 2, 'the two left');
    assert.equal((await b.take('many', rate, 4)).taken, 0);
  });

  it('refills at the rate', async () => {
    const rate = { perSecond: 50, burst: 1 };
    assert.equal((await a.take('refill', rate, 1)).taken, 1);
    const { waitMs } = await b.take('refill', rate, 1);
    assert.ok(waitMs > 0 && waitMs <= 20, `${waitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
    assert.equal((await b.take('refill', rate, 1)).taken, 1);
  });

  it('counts many concurrent takes from two nodes exactly', async () => {
    const rate = { perSecond: 1, burst: 100 };
    const takes = await Promise.all(
      Array.from({ length: 400 }, (_, i) => (i % 2 ? a : b).take('flood', rate, 1)),
    );
    const taken = takes.reduce((sum, t) => sum + t.taken, 0);
    // A second passing meanwhile may add one.
    assert.ok(taken === 100 || taken === 101, `${taken} let through`);
  });

  it('refuses a rate or a count that is not positive', async () => {
    for (const [rate, count] of [
      [{ perSecond: 0, burst: 1 }, 1],
      [{ perSecond: 1, burst: 0 }, 1],
      [{ perSecond: Number.NaN, burst: 1 }, 1],
      [{ perSecond: 1, burst: 1 }, 0],
      [{ perSecond: 1, burst: 1 }, 1.5],
    ] as const)
      await assert.rejects(a.take('bad', rate, count), TypeError);
  });

  it('a node takes a few tokens at a time: one round trip for many requests, one for many waiting together', async () => {
    let asked = 0;
    const counted: SharedBuckets = {
      take: (key, rate, count) => {
        asked++;
        return a.take(key, rate, count);
      },
    };
    const log = { info() {}, warn() {}, error() {} };
    const node = new SharedRate(counted, { now: () => Date.now() }, log);
    const rate = { perSecond: 2_000, burst: 1_000 };
    assert.equal(leaseSize(rate), 100);
    const key = uniqueName('lease');
    for (let i = 0; i < 250; i++) assert.equal(await node.take(key, rate), 0);
    assert.equal(asked, 3, '250 requests, 100 tokens a time');
    // Fifty tokens are left: sixty at once spend them, and the other ten wait for one answer.
    const together = await Promise.all(Array.from({ length: 60 }, () => node.take(key, rate)));
    assert.ok(together.every((wait) => wait === 0));
    assert.equal(asked, 4);

    // An empty bucket: refused here without asking again until it said a token is there.
    const slow = { perSecond: 1, burst: 2 };
    const other = uniqueName('empty');
    assert.deepEqual([await node.take(other, slow), await node.take(other, slow)], [0, 0]);
    const before = asked;
    const waits = [await node.take(other, slow), await node.take(other, slow), await node.take(other, slow)];
    assert.ok(
      waits.every((wait) => wait > 900),
      String(waits),
    );
    assert.equal(asked, before + 1, 'one question for three refusals');
    assert.equal(node.refused, 3);
  });
});
