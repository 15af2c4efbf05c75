import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { uuid7 } from '../../src/core/uuid7.js';

const SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('uuid7: RFC 9562 version 7 layout, the time in the first 48 bits', () => {
  const at = Date.UTC(2026, 10, 26, 12, 0, 0, 123);
  const id = uuid7(at, Buffer.alloc(10, 0xff));
  assert.match(id, SHAPE);
  assert.equal(Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16), at);
  assert.match(uuid7(0, Buffer.alloc(10, 0)), /^00000000-0000-7000-8000-000000000000$/);
});

test('uuid7: ordered by time as text, distinct within one millisecond', () => {
  const ids = Array.from({ length: 1000 }, (_, i) => uuid7(1_700_000_000_000 + i, randomBytes(10)));
  assert.deepEqual([...ids].sort(), ids);
  const same = new Set(Array.from({ length: 1000 }, () => uuid7(1_700_000_000_000, randomBytes(10))));
  assert.equal(same.size, 1000);
  for (const id of same) assert.match(id, SHAPE);
});

test('uuid7: refuses too little randomness and times outside 48 bits', () => {
  assert.throws(() => uuid7(1, Buffer.alloc(9)), RangeError);
  assert.throws(() => uuid7(-1, Buffer.alloc(10)), RangeError);
  assert.throws(() => uuid7(2 ** 48, Buffer.alloc(10)), RangeError);
  assert.throws(() => uuid7(1.5, Buffer.alloc(10)), RangeError);
});

test('uuid7: 74 of the 80 random bits reach the id (all but those under the version and variant)', () => {
  const base = Buffer.alloc(10);
  const id = uuid7(1_700_000_000_000, base);
  let reaching = 0;
  for (let bit = 0; bit < 80; bit++) {
    const flipped = Buffer.from(base);
    flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (0x80 >> (bit & 7));
    if (uuid7(1_700_000_000_000, flipped) !== id) reaching++;
  }
  assert.equal(reaching, 74);
});
