import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { PolicyResult } from '../../src/core/policy/index.js';
import { decodeResults, encodeResults } from '../../src/services/policy-log-format.js';

const line = (result: PolicyResult, reason?: string) => ({
  policyId: 'p',
  name: 'n',
  result,
  ...(reason === undefined ? {} : { reason }),
});

test('runs of one result take a letter and a count', () => {
  const evaluated = [
    line('DISABLED'),
    line('DISABLED'),
    ...Array.from({ length: 997 }, () => line('FALSE')),
    line('TRUE'),
  ];
  assert.deepEqual(encodeResults(evaluated, 0), { results: 'D2F997T', reasons: [] });
});

test('positions before `start` are not evaluated; reasons keep their outline position', () => {
  const encoded = encodeResults([line('ERROR', 'missing attribute custom.x')], 3);
  assert.deepEqual(encoded, {
    results: '-3E',
    reasons: [{ index: 3, reason: 'missing attribute custom.x' }],
  });
  assert.deepEqual(decodeResults(encoded.results, 10), [null, null, null, 'ERROR']);
  assert.deepEqual(encodeResults([], 0), { results: '', reasons: [] });
  assert.deepEqual(decodeResults('', 10), []);
});

test('decoding stops at the outline length and at anything it does not know', () => {
  assert.deepEqual(decodeResults('F5T', 3), ['FALSE', 'FALSE', 'FALSE']);
  assert.deepEqual(decodeResults('FT?F', 10), ['FALSE', 'TRUE']);
  assert.deepEqual(decodeResults('F99999999999T', 2), ['FALSE', 'FALSE']);
});

test('property: decode(encode(x)) gives x back', () => {
  const result = fc.constantFrom<PolicyResult>('TRUE', 'FALSE', 'ERROR', 'INVALID', 'DISABLED');
  fc.assert(
    fc.property(fc.array(result, { maxLength: 300 }), fc.nat({ max: 20 }), (results, start) => {
      const encoded = encodeResults(
        results.map((r) => line(r)),
        start,
      );
      const decoded = decodeResults(encoded.results, start + results.length);
      assert.deepEqual(decoded, [...Array.from({ length: start }, () => null), ...results]);
      assert.ok(encoded.results.length <= 2 * (start + results.length) + 2);
    }),
  );
});
