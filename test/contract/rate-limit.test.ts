import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { MemoryRateLimitStore } from '../../src/adapters/memory/rate-limit.js';
import { RedisRateLimitStore } from '../../src/adapters/redis/rate-limit.js';
import { type AppError, StoreUnavailableError } from '../../src/core/errors.js';
import type { RateLimitStore } from '../../src/ports/rate-limit.js';
import type { ServiceContext } from '../../src/services/context.js';
import { LoginGuard } from '../../src/services/login-guard.js';
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
