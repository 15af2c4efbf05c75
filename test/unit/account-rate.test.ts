import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AccountRateLimiter } from '../../src/core/account-rate.js';

test('a burst, then the rate; each account on its own; the wait is said in milliseconds', () => {
  const limiter = new AccountRateLimiter(10, 3);
  const at = 1_000_000;
  assert.deepEqual(
    [0, 1, 2, 3].map(() => limiter.take('a', at)),
    [0, 0, 0, 100],
  );
  assert.equal(limiter.take('b', at), 0, 'another account has its own bucket');
  assert.equal(limiter.take('a', at + 50), 50, 'half a token back after 50 ms');
  assert.equal(limiter.take('a', at + 100), 0);
  assert.equal(limiter.take('a', at + 100), 100);
  assert.deepEqual(
    [0, 1, 2, 3].map(() => limiter.take('a', at + 10_000)),
    [0, 0, 0, 100],
    'refilled to the burst, no more',
  );
});

test('a clock that steps back refills nothing; unseen accounts are dropped beyond the capacity', () => {
  const limiter = new AccountRateLimiter(1, 1, 2);
  assert.equal(limiter.take('a', 5_000), 0);
  assert.equal(limiter.take('a', 1_000), 1000);
  assert.equal(limiter.take('a', 5_500), 500);
  limiter.take('b', 5_500);
  limiter.take('c', 5_500); // drops a's bucket, the oldest
  assert.equal(limiter.take('a', 5_500), 0, 'a dropped bucket comes back full');
  assert.throws(() => new AccountRateLimiter(0, 1), /positive/);
  assert.throws(() => new AccountRateLimiter(1, 0), /positive/);
});
