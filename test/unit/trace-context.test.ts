import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { traceIdOf } from '../../src/core/trace-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

test('a traceparent header gives its trace id when it can be relied on (W3C Trace Context §3.2)', () => {
  assert.equal(traceIdOf(`00-${TRACE}-00f067aa0ba902b7-01`), TRACE);
  assert.equal(traceIdOf(`00-${TRACE}-00f067aa0ba902b7-00`), TRACE);
  // A later version may carry more fields; this server reads the ones it knows.
  assert.equal(traceIdOf(`01-${TRACE}-00f067aa0ba902b7-01-what-comes-next`), TRACE);
  assert.equal(traceIdOf(` 00-${TRACE}-00f067aa0ba902b7-01 `), TRACE);
  for (const refused of [
    undefined,
    '',
    [`00-${TRACE}-00f067aa0ba902b7-01`],
    `00-${TRACE}-00f067aa0ba902b7-01, 00-${TRACE}-00f067aa0ba902b7-01`, // sent twice
    `00-${TRACE.toUpperCase()}-00f067aa0ba902b7-01`,
    `00-${TRACE}-00f067aa0ba902b7-01-extra`, // version 00 is exactly so long
    `ff-${TRACE}-00f067aa0ba902b7-01`,
    `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`,
    `00-${TRACE.slice(1)}-00f067aa0ba902b7-01`,
    `00-${TRACE}-00f067aa0ba902b7-1`,
    `00-${TRACE}-00f067aa0ba902b7-01${'-x'.repeat(300)}`,
  ])
    assert.equal(traceIdOf(refused as string), null, String(refused));
});

test('any header value gives a 32-digit hex trace id or null, never a throw', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' })), (text) => {
      const id = traceIdOf(text);
      assert.ok(id === null || /^[0-9a-f]{32}$/.test(id));
    }),
  );
});
