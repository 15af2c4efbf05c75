import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { certificateValidity, parseForwardedCertificate } from '../../src/core/auth/certificate.js';

const pem = readFileSync(new URL('../fixtures/mtls/client-rsa.pem', import.meta.url), 'utf8');
const raw = new X509Certificate(pem).raw;
const b64 = raw.toString('base64');
const thumbprint = createHash('sha256').update(raw).digest('base64url');

describe('client certificates as proxies forward them', () => {
  test('every form proxies write gives the same certificate', () => {
    const forms: [string, string][] = [
      ['RFC 9440 byte sequence', `:${b64}:`],
      ['URL-encoded PEM (nginx $ssl_client_escaped_cert, AWS)', encodeURIComponent(pem)],
      ['PEM with its line breaks as spaces', pem.replaceAll('\n', ' ')],
      ['PEM with tabs', pem.replaceAll('\n', '\t')],
      ['PEM as is', pem],
      ['bare base64 DER (Traefik)', b64],
      ['bare base64 DER, URL-encoded', encodeURIComponent(b64)],
    ];
    for (const [name, value] of forms) {
      const parsed = parseForwardedCertificate(value);
      assert.ok(parsed, name);
      assert.equal(parsed.thumbprint, thumbprint, name);
      assert.equal(parsed.subject, 'CN=client-rsa', name);
    }
  });

  test('a chain (AWS load balancers send one): its first certificate', () => {
    const other = readFileSync(new URL('../fixtures/mtls/client-ec.pem', import.meta.url), 'utf8');
    assert.equal(parseForwardedCertificate(encodeURIComponent(`${pem}${other}`))?.thumbprint, thumbprint);
    assert.equal(parseForwardedCertificate(`${pem}\n${other}\n`)?.thumbprint, thumbprint);
  });

  test('an empty subject reads as an empty string', () => {
    const empty = readFileSync(new URL('../fixtures/mtls/empty-subject.pem', import.meta.url), 'utf8');
    assert.equal(parseForwardedCertificate(encodeURIComponent(empty))?.subject, '');
  });

  test('anything else is no certificate, never a throw', () => {
    for (const value of [
      '',
      ':',
      '::',
      ':not base64!:',
      `:${b64.slice(0, 100)}:`,
      '%E0%A4%A',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
      'a'.repeat(20_000),
      `:${Buffer.from('hello').toString('base64')}:`,
      // DER with bytes after the certificate.
      `:${Buffer.concat([raw, Buffer.from([0])]).toString('base64')}:`,
      // Two headers as Node joins them: in each form, neither is taken.
      `${encodeURIComponent(pem)}, ${encodeURIComponent(pem)}`,
      `:${b64}:, :${b64}:`,
      `${b64}, ${b64}`,
      `${pem}, ${pem}`,
      `${pem}trailing text`,
    ])
      assert.equal(parseForwardedCertificate(value), null, value.slice(0, 40));
  });

  test('validity: not before, not after', () => {
    const parsed = parseForwardedCertificate(`:${b64}:`);
    assert.ok(parsed);
    assert.equal(certificateValidity(parsed, Date.UTC(2030, 0, 1)), null);
    assert.match(String(certificateValidity(parsed, Date.UTC(2024, 0, 1))), /valid from 2025-01-01/);
    assert.match(String(certificateValidity(parsed, Date.UTC(2046, 0, 1))), /expired at 2045-12-31/);
  });
});
