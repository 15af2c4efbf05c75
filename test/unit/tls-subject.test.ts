import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { certificateNames } from '../../src/core/auth/certificate-names.js';
import {
  type CheckedTlsSubject,
  checkTlsSubject,
  parseDistinguishedName,
  subjectMatches,
} from '../../src/core/auth/tls-subject.js';
import { issuingCa, parseTrustedCas } from '../../src/core/auth/trusted-cas.js';

const pem = (name: string) => readFileSync(new URL(`../fixtures/pki/${name}.pem`, import.meta.url), 'utf8');
const x509 = (name: string) => new X509Certificate(pem(name));
const BILLING = certificateNames(x509('billing').raw);
const ROUTER = certificateNames(x509('router').raw);
const NOW = Date.UTC(2026, 5, 1);

function subject(member: string, value: string): CheckedTlsSubject {
  const checked = checkTlsSubject(member, value);
  assert.notEqual(typeof checked, 'string', String(checked));
  return checked as CheckedTlsSubject;
}

describe('distinguished names (RFC 4514)', () => {
  test('read most specific first, returned in the certificate order, with escapes and multi-valued names', () => {
    assert.deepEqual(parseDistinguishedName('CN=billing-bot,OU=Contact Centre,O=Acme,C=US'), [
      [{ type: '2.5.4.6', value: 'US' }],
      [{ type: '2.5.4.10', value: 'Acme' }],
      [{ type: '2.5.4.11', value: 'Contact Centre' }],
      [{ type: '2.5.4.3', value: 'billing-bot' }],
    ]);
    assert.deepEqual(parseDistinguishedName('CN=router+OU=Bots, O=Acme\\, Inc., C=US'), [
      [{ type: '2.5.4.6', value: 'US' }],
      [{ type: '2.5.4.10', value: 'Acme, Inc.' }],
      [
        { type: '2.5.4.3', value: 'router' },
        { type: '2.5.4.11', value: 'Bots' },
      ],
    ]);
    assert.deepEqual(parseDistinguishedName('2.5.4.3=Z\\C3\\BCrich\\20'), [
      [{ type: '2.5.4.3', value: 'Zürich ' }],
    ]);
    assert.deepEqual(parseDistinguishedName('cn=a;o=b'), [
      [{ type: '2.5.4.10', value: 'b' }],
      [{ type: '2.5.4.3', value: 'a' }],
    ]);
  });

  test('what does not read is said', () => {
    for (const [text, said] of [
      ['', /expected TYPE=value/],
      ['CN', /expected TYPE=value/],
      ['CN=a,', /expected TYPE=value/],
      ['XX=a', /unknown attribute type "XX"/],
      ['CN=#0403', /hex/],
      ['CN=', /empty/],
      ['CN=a"b', /must be escaped/],
      ['CN=a\\q', /escapes nothing/],
      ['CN=\\FF', /not UTF-8/],
    ] as const)
      assert.match(String(parseDistinguishedName(text)), said, text);
  });

  test('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const read = parseDistinguishedName(text);
        assert.ok(typeof read === 'string' || Array.isArray(read));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('CN', 'O', '=', ',', '+', '\\', '2C', ' ', 'a', '#', '"')),
        (parts) => {
          parseDistinguishedName(parts.join(''));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('certificate subjects (RFC 8705 §2.1.2)', () => {
  test("a certificate's names are read from its structure", () => {
    assert.deepEqual(BILLING.dns, ['billing.acme.example']);
    assert.deepEqual(BILLING.uris, ['spiffe://acme.example/billing']);
    assert.deepEqual(BILLING.ips, ['10.1.2.3', '2001:db8::7']);
    assert.deepEqual(BILLING.emails, ['billing@acme.example']);
    assert.deepEqual(certificateNames(Buffer.from('not a certificate')), {
      subject: [],
      dns: [],
      uris: [],
      ips: [],
      emails: [],
    });
  });

  test('each member matches its own kind of name, and nothing else', () => {
    const matches = (member: string, value: string, names = BILLING) =>
      subjectMatches(subject(member, value), names);
    assert.ok(matches('tls_client_auth_subject_dn', 'CN=billing-bot,OU=Contact Centre,O=Acme,C=US'));
    assert.ok(matches('tls_client_auth_subject_dn', 'cn=BILLING-BOT, ou=contact  centre, o=acme, c=us'));
    assert.ok(!matches('tls_client_auth_subject_dn', 'CN=billing-bot,O=Acme,C=US'), 'an attribute fewer');
    assert.ok(
      !matches('tls_client_auth_subject_dn', 'C=US,O=Acme,OU=Contact Centre,CN=billing-bot'),
      'reversed',
    );
    assert.ok(matches('tls_client_auth_subject_dn', 'OU=Bots+CN=router,O=Acme\\, Inc.,C=US', ROUTER));
    assert.ok(!matches('tls_client_auth_subject_dn', 'CN=router,OU=Bots,O=Acme\\, Inc.,C=US', ROUTER));
    assert.ok(matches('tls_client_auth_san_dns', 'Billing.Acme.Example'));
    assert.ok(!matches('tls_client_auth_san_dns', 'acme.example'));
    assert.ok(!matches('tls_client_auth_san_dns', '*.acme.example'), 'a wildcard is matched as written');
    assert.ok(matches('tls_client_auth_san_uri', 'spiffe://acme.example/billing'));
    assert.ok(!matches('tls_client_auth_san_uri', 'spiffe://acme.example/Billing'));
    assert.ok(matches('tls_client_auth_san_ip', '2001:DB8:0::7'));
    assert.ok(matches('tls_client_auth_san_ip', '10.1.2.3'));
    assert.ok(!matches('tls_client_auth_san_ip', '10.1.2.4'));
    assert.ok(matches('tls_client_auth_san_email', 'Billing@Acme.Example'));
    // A name of one kind is no name of another.
    assert.ok(!matches('tls_client_auth_san_dns', 'router.acme.example'));
    assert.ok(!matches('tls_client_auth_san_email', 'billing.acme.example@x'));
  });

  test('values each member cannot take are refused with why', () => {
    for (const [member, value, said] of [
      ['tls_client_auth_san_dns', 'not a host!', /host name/],
      ['tls_client_auth_san_uri', 'relative/path', /absolute URI/],
      ['tls_client_auth_san_ip', '10.1.2', /IPv4 or IPv6/],
      ['tls_client_auth_san_email', 'nobody', /email address/],
      ['tls_client_auth_subject_dn', 'CN', /expected TYPE=value/],
      ['tls_client_auth_san_dns', '', /non-empty string/],
      ['tls_client_auth_san_dns', 'a\u0007b', /control character/],
      ['tls_client_auth_subject', 'x', /one of tls_client_auth_subject_dn/],
      ['tls_client_auth_san_dns', 'a'.repeat(1025), /longer than 1024/],
    ] as const)
      assert.match(String(checkTlsSubject(member, value)), said, `${member} ${value}`);
    assert.match(String(checkTlsSubject('tls_client_auth_san_dns', 42)), /non-empty string/);
    assert.deepEqual(checkTlsSubject('tls_client_auth_san_ip', ' 2001:DB8::0:7 '), {
      member: 'tls_client_auth_san_ip',
      value: '2001:db8::7',
      dn: null,
    });
  });
});

describe('trusted CAs (CLIENT_CA_FILE)', () => {
  const issuingOnly = parseTrustedCas(pem('issuing'));
  const both = parseTrustedCas(pem('root') + pem('other-ca') + pem('root'));

  test('a file of CA certificates, each kept once; anything else is refused with why', () => {
    assert.deepEqual(
      both.map((ca) => ca.subject),
      ['C=US, O=Acme, CN=Acme Root CA', 'C=US, O=Elsewhere, CN=Elsewhere CA'],
    );
    assert.throws(() => parseTrustedCas(''), /no PEM certificate/);
    assert.throws(() => parseTrustedCas(pem('billing')), /certificate 1 .*billing-bot.* is not a CA's/);
    assert.throws(
      () => parseTrustedCas('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'),
      /certificate 1 does not read/,
    );
  });

  test('a client certificate is taken from the CA that issued it, in its dates; chains are not built', () => {
    const ca = issuingCa(x509('billing'), issuingOnly, NOW);
    assert.equal(typeof ca === 'string' ? ca : ca.subject, 'C=US, O=Acme, CN=Acme Client CA');
    // The root issued the issuing CA, not the client's certificate: not enough alone.
    // The operator is told which CA to list.
    assert.equal(
      issuingCa(x509('billing'), both, NOW),
      'the certificate was not issued by a CA of CLIENT_CA_FILE: its issuer is C=US, O=Acme, CN=Acme Client CA (list the CA that issues the client certificates itself, an intermediate, not only its root)',
    );
    // The same names from another CA.
    assert.match(
      String(issuingCa(x509('impostor'), issuingOnly, NOW)),
      /not issued by a CA of CLIENT_CA_FILE: its issuer is C=US, O=Elsewhere, CN=Elsewhere CA/,
    );
    // Issued in the name of the listed CA, signed by another key.
    assert.equal(
      issuingCa(x509('forged'), issuingOnly, NOW),
      'the certificate was not issued by a CA of CLIENT_CA_FILE: its issuer has the name of C=US, O=Acme, CN=Acme Client CA, but not its key',
    );
    assert.equal(typeof issuingCa(x509('impostor'), both, NOW), 'object');
    // A CA out of its dates issues nothing.
    assert.match(
      String(issuingCa(x509('billing'), issuingOnly, Date.UTC(2046, 0, 1))),
      /^the certificate's CA \(C=US, O=Acme, CN=Acme Client CA\) is out of its dates \(\d{4}-.* to \d{4}-/,
    );
    assert.match(String(issuingCa(x509('server-only'), issuingOnly, NOW)), /not for client authentication/);
    assert.match(
      String(issuingCa(x509('issuing'), parseTrustedCas(pem('root')), NOW)),
      /is a CA certificate/,
    );
    // No extended key usage at all: any use, client authentication too.
    assert.equal(typeof issuingCa(x509('router'), issuingOnly, NOW), 'object');
  });
});
