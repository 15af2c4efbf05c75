import { X509Certificate } from 'node:crypto';
import { type ClientCertificate, certificateThumbprint, certificateValidity } from './certificate.js';

/** A CA whose client certificates this server takes (CLIENT_CA_FILE), for `tls_client_auth` (RFC 8705 §2.1). */
export interface TrustedCa {
  certificate: X509Certificate;
  /** The base64url SHA-256 of its DER certificate: what tokens issued under it name. */
  thumbprint: string;
  subject: string;
  notBefore: number;
  notAfter: number;
  /** Its CRL (CLIENT_CRL_FILE), against which each certificate it issued is checked; null: none is read. */
  crl?: RevocationList | null;
}

/** What a CA's CRL says (RFC 5280 §5): the serial numbers it revoked, and until when it may be relied on. */
export interface RevocationList {
  thisUpdate: number;
  /** After this, the CA has issued (or should have) a later CRL: this one says nothing more. */
  nextUpdate: number;
  /** Revoked serial numbers (`serialNumberOf`) → when. */
  revoked: ReadonlyMap<string, number>;
}

/** RFC 5280 §4.2.1.12: the extended key usages that allow a certificate to authenticate a TLS client. */
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_USAGE = '2.5.29.37.0';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

/**
 * The CAs in a PEM file's text: each block a CA certificate (basic constraints `CA:TRUE`); the same one twice is
 * kept once. Throws an Error that says what is wrong: no certificate, one that does not read, one that is no CA.
 */
export function parseTrustedCas(pem: string): TrustedCa[] {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new Error('it holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  const cas = new Map<string, TrustedCa>();
  blocks.forEach((block, index) => {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(block);
    } catch (error) {
      throw new Error(`its certificate ${index + 1} does not read: ${(error as Error).message}`);
    }
    const subject = (certificate.subject ?? '').replaceAll('\n', ', ');
    if (!certificate.ca)
      throw new Error(
        `its certificate ${index + 1} (${subject}) is not a CA's: list the CAs that issue client certificates`,
      );
    const thumbprint = certificateThumbprint(certificate.raw);
    cas.set(thumbprint, {
      certificate,
      thumbprint,
      subject,
      notBefore: Date.parse(certificate.validFrom),
      notAfter: Date.parse(certificate.validTo),
    });
  });
  return [...cas.values()];
}

/**
 * The CA of `cas` that issued `leaf` — named as its issuer, its signature on the leaf verified, valid at `now` — or
 * why there is none: the leaf is a CA itself, is not for client authentication (its extended key usage, when it
 * has one), or no CA in the list issued it. The CA must have issued the leaf itself: chains are not built, so an
 * intermediate CA that issues client certificates is listed, not only its root. The leaf's own dates are the
 * caller's to check. Never throws.
 */
export function issuingCa(leaf: X509Certificate, cas: readonly TrustedCa[], now: number): TrustedCa | string {
  if (leaf.ca) return 'the certificate is a CA certificate, not a client certificate';
  const usages = leaf.keyUsage;
  if (usages !== undefined && !usages.includes(CLIENT_AUTH) && !usages.includes(ANY_USAGE))
    return 'the certificate is not for client authentication (its extended key usage)';
  // What the operator reads when none did: the issuer's name, and whether a CA of the list has it.
  let outOfDates: TrustedCa | null = null;
  let sameName: TrustedCa | null = null;
  for (const ca of cas) {
    try {
      if (leaf.checkIssued(ca.certificate)) {
        if (now < ca.notBefore || now > ca.notAfter) outOfDates = ca;
        else if (leaf.verify(ca.certificate.publicKey)) return ca;
      }
    } catch {
      // A key Node cannot verify with: not this CA.
    }
    // Named as the issuer but not it (another key: its key identifier or its signature differ).
    if (ca !== outOfDates && leaf.issuer === ca.certificate.subject) sameName = ca;
  }
  if (outOfDates !== null)
    return `the certificate's CA (${outOfDates.subject}) is out of its dates (${new Date(outOfDates.notBefore).toISOString()} to ${new Date(outOfDates.notAfter).toISOString()})`;
  if (sameName !== null)
    return `the certificate was not issued by a CA of CLIENT_CA_FILE: its issuer has the name of ${sameName.subject}, but not its key`;
  const issuer = (leaf.issuer ?? '').replaceAll('\n', ', ');
  return `the certificate was not issued by a CA of CLIENT_CA_FILE: its issuer is ${issuer || 'unnamed'} (list the CA that issues the client certificates itself, an intermediate, not only its root)`;
}

/**
 * A serial number as this server compares them: upper-case hex without leading zeros, from the INTEGER's bytes (a
 * CRL entry's, which may start with a 00 byte so as not to read as negative) or from the hex Node gives a
 * certificate's (`X509Certificate.serialNumber`).
 */
export function serialNumberOf(serial: Uint8Array | string): string {
  const hex = typeof serial === 'string' ? serial : Buffer.from(serial).toString('hex');
  return hex.toUpperCase().replace(/^0+(?=.)/, '');
}

/**
 * Why a certificate of serial number `serial` (`serialNumberOf`) that `ca` issued is not to be taken at `now`
 * according to the CA's CRL — revoked, or the CRL out of date, when nothing can be known — or null: not revoked, or
 * no CRL is read for the CA. Fails closed: a CRL past its nextUpdate vouches for nothing.
 */
export function revocationOf(ca: TrustedCa, serial: string, now: number): string | null {
  const crl = ca.crl;
  if (!crl) return null;
  if (now > crl.nextUpdate)
    return `the CRL of its CA is out of date (a later one was due ${new Date(crl.nextUpdate).toISOString()}): CLIENT_CRL_FILE needs it`;
  const revokedAt = crl.revoked.get(serial);
  return revokedAt === undefined
    ? null
    : `its CA revoked it (${new Date(revokedAt).toISOString()}, in the CRL of CLIENT_CRL_FILE)`;
}

/** What an operator sees of a trusted CA and its CRL (admin API, CLI, web app): times in ms. */
export interface TrustedCaView {
  subject: string;
  thumbprint: string;
  notBefore: number;
  notAfter: number;
  /** Within its dates now: it vouches for the certificates it issued. */
  current: boolean;
  crl: { thisUpdate: number; nextUpdate: number; revoked: number; current: boolean } | null;
}

export function viewOfTrustedCa(ca: TrustedCa, now: number): TrustedCaView {
  return {
    subject: ca.subject,
    thumbprint: ca.thumbprint,
    notBefore: ca.notBefore,
    notAfter: ca.notAfter,
    current: now >= ca.notBefore && now <= ca.notAfter,
    crl: ca.crl
      ? {
          thisUpdate: ca.crl.thisUpdate,
          nextUpdate: ca.crl.nextUpdate,
          revoked: ca.crl.revoked.size,
          current: now <= ca.crl.nextUpdate,
        }
      : null,
  };
}

/** What `checkedByCas` says of a certificate: the CA that issued it (its subject), or why it is not taken. */
export interface CaCheck {
  subject: string;
  serial: string;
  ca: string | null;
  problem: string | null;
}

/**
 * A client certificate as the trusted CAs see it at `now`, whatever account it is for: issued by one of them (for
 * client authentication, not a CA), in its dates, and not revoked by the CA's CRL — or the first reason it is not.
 */
export function checkedByCas(presented: ClientCertificate, cas: readonly TrustedCa[], now: number): CaCheck {
  const serial = serialNumberOf(presented.certificate.serialNumber);
  const found = issuingCa(presented.certificate, cas, now);
  if (typeof found === 'string') return { subject: presented.subject, serial, ca: null, problem: found };
  const problem = certificateValidity(presented, now) ?? revocationOf(found, serial, now);
  return { subject: presented.subject, serial, ca: found.subject, problem };
}
