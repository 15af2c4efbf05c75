import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  newRecoveryCodes,
  normalRecoveryCode,
  RECOVERY_CODE_PATTERN,
  recoveryCodeHash,
} from '../../src/core/auth/recovery-codes.js';

test('ten codes of four groups of four, from letters and digits that cannot be misread', () => {
  const codes = newRecoveryCodes(randomBytes);
  assert.equal(codes.length, 10);
  assert.equal(new Set(codes).size, 10);
  for (const code of codes) {
    assert.match(code, /^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}$/);
    assert.match(code, new RegExp(RECOVERY_CODE_PATTERN));
  }
});

test('every character equally likely: bytes that would favour some are skipped', () => {
  // Bytes 248–255 would make the first 8 letters likelier (256 = 8 × 31 + 8): they must be thrown away.
  let calls = 0;
  const biased = (n: number) => {
    calls++;
    return Buffer.alloc(n, calls === 1 ? 250 : 0);
  };
  assert.deepEqual(newRecoveryCodes(biased, 1), ['aaaa-aaaa-aaaa-aaaa']);
  assert.equal(calls, 2, 'the first draw of only high bytes gave nothing');
  const counts = new Map<string, number>();
  for (const code of newRecoveryCodes(randomBytes, 2000))
    for (const c of code.replaceAll('-', '')) counts.set(c, (counts.get(c) ?? 0) + 1);
  assert.equal(counts.size, 31);
  const expected = (2000 * 16) / 31;
  for (const [c, n] of counts) assert.ok(Math.abs(n - expected) < expected * 0.15, `${c}: ${n}`);
});

test('a typed code is read whatever its case, spaces and dashes; anything else is not a code', () => {
  assert.equal(normalRecoveryCode('ABCD EFGH-jkmn pqrs'), 'abcdefghjkmnpqrs');
  assert.equal(recoveryCodeHash('abcd-efgh-jkmn-pqrs'), recoveryCodeHash('ABCDEFGHJKMNPQRS'));
  assert.match(recoveryCodeHash('abcd-efgh-jkmn-pqrs') ?? '', /^[0-9a-f]{64}$/);
  for (const junk of [
    '',
    'abcd-efgh-jkmn-pqr',
    'abcd-efgh-jkmn-pqrst',
    'abcd-efgh-jkmn-pqr0',
    'abcd-efgh-jkmn-pqrl',
  ])
    assert.equal(recoveryCodeHash(junk), null, junk);
});
