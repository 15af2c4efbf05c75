import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { withRevocationLists } from '../../src/core/auth/revocation-lists.js';
import { parseTrustedCas, revocationOf, serialNumberOf } from '../../src/core/auth/trusted-cas.js';

const pem = (name: string) => readFileSync(new URL(`../fixtures/pki/${name}.pem`, import.meta.url), 'utf8');
const serial = (name: string) => serialNumberOf(new X509Certificate(pem(name)).serialNumber);
const ISSUING = parseTrustedCas(pem('issuing'));
const BOTH = parseTrustedCas(pem('issuing') + pem('other-ca'));
const JUNE_2026 = Date.parse('2026-06-01T00:00:00Z');

describe('CRLs of the client CAs (CLIENT_CRL_FILE, RFC 5280 §5)', () => {
  test('each CA gets its CRL, which revokes what it lists and nothing else', () => {
    const [ca] = withRevocationLists(ISSUING, pem('crl'));
    assert.ok(ca?.crl);
    assert.equal(ca.crl.thisUpdate, Date.parse('2025-06-01T00:00:00Z'));
    assert.equal(ca.crl.nextUpdate, Date.parse('2045-12-31T23:59:59Z'));
    assert.match(
      revocationOf(ca, serial('revoked'), JUNE_2026) ?? '',
      /its CA revoked it \(2025-03-01T00:00:00\.000Z/,
    );
    assert.equal(revocationOf(ca, serial('billing'), JUNE_2026), null);
    assert.equal(
      revocationOf(ISSUING[0] ?? ca, serial('revoked'), JUNE_2026),
      null,
      'a CA without a CRL read',
    );
  });

  test('of two CRLs of one CA, the later one counts, whatever their order in the file', () => {
    for (const text of [pem('crl') + pem('crl-later'), pem('crl-later') + pem('crl')]) {
      const [ca] = withRevocationLists(ISSUING, text);
      assert.ok(ca);
      assert.notEqual(revocationOf(ca, serial('billing'), JUNE_2026), null);
      assert.notEqual(revocationOf(ca, serial('revoked'), JUNE_2026), null);
    }
  });

  test('a CRL past its nextUpdate vouches for nothing (fails closed)', () => {
    const [ca] = withRevocationLists(ISSUING, pem('crl-stale'));
    assert.ok(ca);
    assert.match(
      revocationOf(ca, serial('billing'), JUNE_2026) ?? '',
      /out of date .*2025-02-01T00:00:00\.000Z/,
    );
    assert.equal(revocationOf(ca, serial('billing'), Date.parse('2025-01-15T00:00:00Z')), null);
  });

  test('a delta CRL on the complete one (RFC 5280 §5.2.4): its entries added, removeFromCRL released, in date together', () => {
    const [ca] = withRevocationLists(ISSUING, pem('crl-base') + pem('crl-delta'));
    assert.ok(ca?.crl);
    assert.notEqual(revocationOf(ca, serial('billing'), JUNE_2026), null, 'revoked by the delta');
    assert.equal(revocationOf(ca, serial('revoked'), JUNE_2026), null, 'its hold released by the delta');
    assert.equal(ca.crl.thisUpdate, Date.parse('2025-06-02T00:00:00Z'), 'as of the delta');
    const [alone] = withRevocationLists(ISSUING, pem('crl-base'));
    assert.ok(alone);
    assert.match(
      revocationOf(alone, serial('revoked'), JUNE_2026) ?? '',
      /revoked it/,
      'on hold in the complete CRL',
    );
    assert.equal(revocationOf(alone, serial('billing'), JUNE_2026), null);
    // A delta older than the complete CRL is not used; of two deltas, the later counts, whatever the order.
    const [old] = withRevocationLists(ISSUING, pem('crl-delta-old') + pem('crl-base'));
    assert.equal(old && revocationOf(old, serial('billing'), JUNE_2026), null);
    const [stale] = withRevocationLists(ISSUING, pem('crl-delta-stale') + pem('crl-base') + pem('crl-delta'));
    assert.ok(stale);
    assert.match(
      revocationOf(stale, serial('billing'), JUNE_2026) ?? '',
      /out of date .*2025-06-04/,
      'the later delta, out of date',
    );
  });

  test('several CAs: each needs its CRL', () => {
    const cas = withRevocationLists(BOTH, pem('crl') + pem('crl-other-ca'));
    assert.deepEqual(
      cas.map((ca) => ca.crl?.revoked.size),
      [1, 0],
    );
    assert.throws(
      () => withRevocationLists(BOTH, pem('crl')),
      /no CRL of .*Elsewhere CA: each CA .* needs its CRL/,
    );
  });

  test('what cannot be relied on is refused with why', () => {
    for (const [text, said] of [
      ['', /no PEM CRL/],
      [pem('issuing'), /no PEM CRL/],
      ['-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----', /CRL 1 does not read/],
      [pem('crl-other-ca'), /CRL 1 was not issued by a CA of CLIENT_CA_FILE/],
      [pem('crl') + pem('crl-forged'), /CRL 2 \(of .*Acme Client CA\) is not signed by that CA's key/],
      [pem('crl-partitioned'), /critical extension \(2\.5\.29\.28\): partitioned and indirect CRLs/],
      [pem('crl-delta'), /only delta CRLs of .*Acme Client CA: its complete CRL is needed too/],
      [
        pem('crl-base') + pem('crl-delta-ahead'),
        /CRL 2 .* is a delta on complete CRL number 32, later than the complete CRL in the file \(number 16\)/,
      ],
      [
        pem('crl') + pem('crl-delta'),
        /CRL 2 .* is a delta on complete CRL number 16, later than .* \(number 1\)/,
      ],
    ] as const)
      assert.throws(() => withRevocationLists(ISSUING, text), said);
  });

  test('serial numbers compare whatever their leading zeros and case', () => {
    assert.equal(serialNumberOf(new Uint8Array([0x00, 0x8f, 0x01])), '8F01');
    assert.equal(serialNumberOf('008f01'), '8F01');
    assert.equal(serialNumberOf(new Uint8Array([0])), '0');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 20 }), (bytes) => {
        const hex = Buffer.from(bytes).toString('hex');
        return serialNumberOf(bytes) === serialNumberOf(`00${hex.toUpperCase()}`);
      }),
    );
  });

  test('random text never throws anything but an Error that says why', () => {
    fc.assert(
      fc.property(fc.string(), fc.uint8Array({ maxLength: 200 }), (text, bytes) => {
        const block = `-----BEGIN X509 CRL-----\n${Buffer.from(bytes).toString('base64')}\n-----END X509 CRL-----`;
        for (const input of [text, block])
          try {
            withRevocationLists(ISSUING, input);
          } catch (error) {
            assert.ok(error instanceof Error && /CRL/.test(error.message), String(error));
          }
      }),
    );
  });
});
