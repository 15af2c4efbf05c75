import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

test('the kept queue entries outlive full collections, and new entries still share their hidden class', () => {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', '--expose-gc', '--allow-natives-syntax', 'test/helpers/tick-shapes-child.ts'],
    { encoding: 'utf8' },
  );
  // Two entries (with and without arguments), however often it is called.
  assert.deepEqual(JSON.parse(out), { kept: 2, sameShape: true });
});
