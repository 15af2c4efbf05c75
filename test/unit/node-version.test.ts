import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unsupportedNodeVersion } from '../../src/cli/node-version.js';

test('Node.js releases that load ES modules by require run the server', () => {
  for (const version of ['20.19.0', '20.20.2', '22.12.0', '22.20.1', '23.0.0', '24.11.1', '26.1.0']) {
    assert.equal(unsupportedNodeVersion(version), null, version);
  }
});

test('older releases are refused with the releases that would do', () => {
  for (const version of ['18.20.4', '20.12.0', '20.18.3', '21.7.3', '22.11.0', '', 'x.y']) {
    const message = unsupportedNodeVersion(version);
    assert.ok(message, version);
    assert.match(message, /needs Node\.js 20\.19 or a later 20\.x, 22\.12 or a later 22\.x, or 23 and newer/);
    assert.ok(message.includes(`Node.js ${version} cannot run`), message);
  }
});

test('the running Node.js is one the server accepts (the test suite runs on it)', () => {
  assert.equal(unsupportedNodeVersion(process.versions.node), null);
});
