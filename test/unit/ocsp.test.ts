import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { OcspFailure, ocspRequest, ocspResponderOf, readOcspResponse } from '../../src/core/auth/ocsp.js';

const pem = (name: string) =>
  new X509Certificate(readFileSync(new URL(`../fixtures/pki/${name}.pem`, import.meta.url)));
const leaf = pem('billing');
const issuer = pem('issuing');

test('a certificate without Authority Information Access names no responder', () => {
  assert.equal(ocspResponderOf(leaf), null);
});

test('the request is DER of one CertID: SHA-1 of the issuer name and key, and the serial number', () => {
  const der = Buffer.from(ocspRequest(leaf, issuer));
  assert.equal(der[0], 0x30, 'a SEQUENCE');
  // The serial number appears as itself.
  assert.ok(der.includes(Buffer.from(leaf.serialNumber, 'hex')));
});

test('whatever bytes come back, the answer is refused with a reason (OcspFailure), never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      assert.throws(
        () => readOcspResponse(bytes, leaf, issuer, Date.now()),
        (error: unknown) => error instanceof OcspFailure && error.message.length > 0,
      );
    }),
    { numRuns: 300 },
  );
  // An OCSPResponse that says tryLater (3): said as such.
  const tryLater = Uint8Array.from([0x30, 0x03, 0x0a, 0x01, 0x03]);
  assert.throws(
    () => readOcspResponse(tryLater, leaf, issuer, Date.now()),
    /the responder answered tryLater/,
  );
});
