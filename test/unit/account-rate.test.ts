import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccountRateLimiter } from '../../src/core/account-rate.js';

test('a burst, then the rate; each account on its own; the wait is said in milliseconds', () => {
  const limiter = new AccountRateLimiter();
  const rate = { perSecond: 10, burst: 3 };
  const at = 1_000_000;
  assert.deepEqual(
    [0, 1, 2, 3].map(() => limiter.take('a', at, rate)),
    [0, 0, 0, 100],
  );
  assert.equal(limiter.take('b', at, rate), 0, 'another account has its own bucket');
  assert.equal(limiter.take('a', at + 50, rate), 50, 'half a token back after 50 ms');
  assert.equal(limiter.take('a', at + 100, rate), 0);
  assert.equal(limiter.take('a', at + 100, rate), 100);
  assert.deepEqual(
    [0, 1, 2, 3].map(() => limiter.take('a', at + 10_000, rate)),
    [0, 0, 0, 100],
    'refilled to the burst, no more',
  );
  assert.equal(limiter.refused, 4);
});

test('a rate changed for an account holds from its next request, with the tokens its bucket has', () => {
  const limiter = new AccountRateLimiter();
  const slow = { perSecond: 1, burst: 1 };
  assert.equal(limiter.take('a', 0, slow), 0);
  assert.equal(limiter.take('a', 0, slow), 1000);
  const fast = { perSecond: 100, burst: 50 };
  assert.equal(limiter.take('a', 10, fast), 0, 'one token back after 10 ms at the new rate');
  assert.equal(limiter.take('a', 10, fast), 10);
  assert.equal(limiter.take('a', 1_000, fast), 0);
  assert.equal(limiter.take('a', 1_000, slow), 0, 'a lower burst caps what the bucket held');
  assert.equal(limiter.take('a', 1_000, slow), 1000);
});

test('a clock that steps back refills nothing; unseen accounts are dropped beyond the capacity', () => {
  const limiter = new AccountRateLimiter(2);
  const rate = { perSecond: 1, burst: 1 };
  assert.equal(limiter.take('a', 5_000, rate), 0);
  assert.equal(limiter.take('a', 1_000, rate), 1000);
  assert.equal(limiter.take('a', 5_500, rate), 500);
  limiter.take('b', 5_500, rate);
  limiter.take('c', 5_500, rate); // drops a's bucket, the oldest
  assert.equal(limiter.take('a', 5_500, rate), 0, 'a dropped bucket comes back full');
  assert.throws(() => limiter.take('a', 1, { perSecond: 0, burst: 1 }), /positive/);
  assert.throws(() => limiter.take('a', 1, { perSecond: 1, burst: 0 }), /positive/);
});
