import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogThrottle } from '../../src/core/log-throttle.js';

test('one occurrence per interval gets through, with how many were held back since the last', () => {
  let now = 10_000;
  const throttle = new LogThrottle(1000, () => now);
  assert.equal(throttle.admit(), 0);
  assert.equal(throttle.admit(), null);
  now += 999;
  assert.equal(throttle.admit(), null);
  now += 1;
  assert.equal(throttle.admit(), 2);
  now += 5000;
  assert.equal(throttle.admit(), 0);
});

test('occurrences may come several at a time; what was held back can be taken for a closing line', () => {
  let now = 0;
  const throttle = new LogThrottle(60_000, () => now);
  assert.equal(throttle.admit(500), 0);
  assert.equal(throttle.admit(500), null);
  assert.equal(throttle.admit(20), null);
  assert.equal(throttle.takeHeldBack(), 520);
  assert.equal(throttle.takeHeldBack(), 0);
  now += 60_000;
  assert.equal(throttle.admit(7), 0);
});
