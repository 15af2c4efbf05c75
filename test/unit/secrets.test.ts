import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBasicAuthorization } from '../../src/core/auth/basic.js';
import { seal, UnsealError, unseal } from '../../src/core/auth/sealing.js';
import {
  API_KEY_PREFIX,
  constantTimeEqual,
  digestsEqual,
  formatSecret,
  hashSecret,
  looksLikeSecret,
} from '../../src/core/auth/secrets.js';

test('secrets: 256 random bits behind a prefix, recognised by shape', () => {
  const key = formatSecret(API_KEY_PREFIX, Buffer.alloc(32, 1));
  assert.ok(key.startsWith('orch_key_'));
  assert.equal(looksLikeSecret(key, API_KEY_PREFIX), true);
  assert.equal(looksLikeSecret(`${key}x`, API_KEY_PREFIX), false);
  assert.equal(looksLikeSecret(key.replace('orch_key_', 'orch_kex_'), API_KEY_PREFIX), false);
  assert.throws(() => formatSecret(API_KEY_PREFIX, Buffer.alloc(31)));
});

test('comparisons: equal and unequal strings and digests', () => {
  assert.equal(constantTimeEqual('a', 'a'), true);
  assert.equal(constantTimeEqual('a', 'ab'), false);
  const h = hashSecret('x');
  assert.equal(digestsEqual(h, hashSecret('x')), true);
  assert.equal(digestsEqual(h, hashSecret('y')), false);
  assert.equal(digestsEqual(h, 'short'), false);
});

test('sealing: round trip, bound to its row and its key', () => {
  const key = Buffer.alloc(32, 7);
  const sealed = seal(key, Buffer.alloc(12, 1), 'secret value', 'api-key:acct');
  assert.equal(unseal(key, sealed, 'api-key:acct'), 'secret value');
  assert.throws(() => unseal(key, sealed, 'api-key:other'), UnsealError);
  assert.throws(() => unseal(Buffer.alloc(32, 8), sealed, 'api-key:acct'), UnsealError);
  assert.throws(() => unseal(key, `${sealed.slice(0, -2)}AA`, 'api-key:acct'), UnsealError);
});

test('Basic credentials: form-decoded for RFC 6749 clients, raw for the compatible login', () => {
  const header = `Basic ${Buffer.from('my%3Aid:p%40ss+word').toString('base64')}`;
  assert.deepEqual(parseBasicAuthorization(header, true), {
    ok: true,
    value: { clientId: 'my:id', clientSecret: 'p@ss word' },
  });
  assert.deepEqual(parseBasicAuthorization(header, false), {
    ok: true,
    value: { clientId: 'my%3Aid', clientSecret: 'p%40ss+word' },
  });
  assert.equal(parseBasicAuthorization('Bearer x', true).ok, false);
  assert.equal(parseBasicAuthorization(`Basic ${Buffer.from('nocolon').toString('base64')}`, true).ok, false);
  assert.equal(
    parseBasicAuthorization(`Basic ${Buffer.from('%E0%A4%A:x').toString('base64')}`, true).ok,
    false,
  );
});
