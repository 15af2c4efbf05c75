import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

test("the kept object has the hidden class of nextTick's queue entries, and still has it after full collections", () => {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', '--expose-gc', '--allow-natives-syntax', 'test/helpers/tick-shapes-child.ts'],
    { encoding: 'utf8' },
  );
  // One object, however often it is called. A Node version that builds its entries otherwise fails here.
  assert.deepEqual(JSON.parse(out), { kept: 1, sameShape: true });
});
