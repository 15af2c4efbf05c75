import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newTotpSecret, totpCode, totpStep, totpUri } from '../../src/core/auth/totp.js';

// RFC 6238 appendix B: the SHA-1 seed is the ASCII "12345678901234567890"; these are the 8-digit codes' last 6.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const VECTORS: [number, string][] = [
  [59, '287082'],
  [1111111109, '081804'],
  [1111111111, '050471'],
  [1234567890, '005924'],
  [2000000000, '279037'],
  [20000000000, '353130'],
];

test('codes are those of RFC 6238 appendix B (SHA-1, 30 s)', () => {
  for (const [seconds, code] of VECTORS)
    assert.equal(totpCode(RFC_SECRET, seconds * 1000), code, `T=${seconds}`);
});

test('a code matches its own step and the steps either side, never further', () => {
  const at = 1_234_567_890_000;
  const step = Math.floor(at / 30_000);
  assert.equal(totpStep(RFC_SECRET, '005924', at), step);
  assert.equal(totpStep(RFC_SECRET, '005924', at + 30_000), step, 'one step late');
  assert.equal(totpStep(RFC_SECRET, '005924', at - 30_000), step, 'one step early');
  assert.equal(totpStep(RFC_SECRET, '005924', at + 60_000), null);
  assert.equal(totpStep(RFC_SECRET, '005924', at - 60_000), null);
  for (const junk of ['', '05924', '0059240', 'abcdef', ' 005924', '００５９２４'])
    assert.equal(totpStep(RFC_SECRET, junk, at), null, JSON.stringify(junk));
});

test('a new secret is 160 bits of the given randomness, in base32; the URI names the issuer and the operator', () => {
  const secret = newTotpSecret(Buffer.from('12345678901234567890'));
  assert.equal(secret, RFC_SECRET);
  assert.throws(() => newTotpSecret(Buffer.alloc(10)), /at least 20 random bytes/);
  const uri = new URL(totpUri(secret, 'ops@example', 'Conversation Orchestrator (orch.example)'));
  assert.equal(uri.protocol, 'otpauth:');
  assert.equal(uri.searchParams.get('secret'), RFC_SECRET);
  assert.equal(uri.searchParams.get('issuer'), 'Conversation Orchestrator (orch.example)');
  assert.equal(uri.searchParams.get('digits'), '6');
  assert.equal(uri.searchParams.get('period'), '30');
  assert.match(decodeURIComponent(uri.pathname), /ops@example$/);
});
