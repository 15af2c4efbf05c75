import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, id_ce_subjectAltName, SubjectAlternativeName } from '@peculiar/asn1-x509';
import { type CertificateNames, canonicalIp } from './tls-subject.js';

export type { CertificateNames, NameAttribute } from './tls-subject.js';

const NONE: CertificateNames = { subject: [], dns: [], uris: [], ips: [], emails: [] };

/**
 * The names in a DER certificate, read from its ASN.1 structure (not from Node's text, which joins and escapes
 * them). A certificate that does not read gives no names, so it matches nothing. Never throws.
 */
export function certificateNames(der: Uint8Array): CertificateNames {
  try {
    const tbs = AsnConvert.parse(der, Certificate).tbsCertificate;
    const subject = tbs.subject.map((rdn) =>
      rdn.map((attribute) => ({ type: attribute.type, value: attribute.value.toString() })),
    );
    const names: CertificateNames = { subject, dns: [], uris: [], ips: [], emails: [] };
    const san = tbs.extensions?.find((e) => e.extnID === id_ce_subjectAltName);
    if (san === undefined) return names;
    for (const name of AsnConvert.parse(san.extnValue, SubjectAlternativeName)) {
      if (name.dNSName !== undefined) names.dns.push(name.dNSName);
      if (name.uniformResourceIdentifier !== undefined) names.uris.push(name.uniformResourceIdentifier);
      const ip = name.iPAddress === undefined ? null : canonicalIp(name.iPAddress);
      if (ip !== null) names.ips.push(ip);
      if (name.rfc822Name !== undefined) names.emails.push(name.rfc822Name);
    }
    return names;
  } catch {
    return NONE;
  }
}
