import { verify as verifySignature } from 'node:crypto';
import { AsnConvert, type OctetString } from '@peculiar/asn1-schema';
import { Certificate, CertificateList, CRLReason, id_ce_keyUsage, KeyUsage } from '@peculiar/asn1-x509';
import { type RevocationList, serialNumberOf, type TrustedCa } from './trusted-cas.js';

/**
 * RFC 5280 §4.1.1.2 / §5.1.1.2: the signature algorithms a CRL is verified with, by OID, and the digest Node's
 * `crypto.verify` takes for each (null: the algorithm names its own, as EdDSA does). SHA-1 is not taken.
 */
const SIGNATURE_DIGESTS = new Map<string, string | null>([
  ['1.2.840.113549.1.1.11', 'sha256'], // sha256WithRSAEncryption
  ['1.2.840.113549.1.1.12', 'sha384'],
  ['1.2.840.113549.1.1.13', 'sha512'],
  ['1.2.840.10045.4.3.2', 'sha256'], // ecdsa-with-SHA256
  ['1.2.840.10045.4.3.3', 'sha384'],
  ['1.2.840.10045.4.3.4', 'sha512'],
  ['1.3.101.112', null], // Ed25519 (RFC 8410)
  ['1.3.101.113', null], // Ed448
]);

const CRL_BLOCK = /-----BEGIN X509 CRL-----([A-Za-z0-9+/=\s]+?)-----END X509 CRL-----/g;

/** One CRL of the file, read and checked: a complete (base) CRL, or a delta CRL (RFC 5280 §5.2.4) on a base. */
interface ReadCrl {
  ca: TrustedCa;
  /** `its CRL 2 (of …)`, for messages. */
  named: string;
  thisUpdate: number;
  nextUpdate: number;
  /** Its CRL number (RFC 5280 §5.2.3); null when it has none. */
  number: bigint | null;
  /** For a delta CRL, the number of the base CRL it builds on (its delta CRL indicator); null for a complete CRL. */
  base: bigint | null;
  /** Serial numbers revoked → when; for a delta, those it adds. */
  revoked: Map<string, number>;
  /** A delta's entries of reason removeFromCRL: no longer revoked (a hold released). */
  released: Set<string>;
}

const DELTA_CRL_INDICATOR = '2.5.29.27';
const CRL_NUMBER = '2.5.29.20';
const REASON_CODE = '2.5.29.21';
const REMOVE_FROM_CRL = 8;

/**
 * The CAs of CLIENT_CA_FILE, each with its CRL from the PEM text of a CLIENT_CRL_FILE (RFC 5280 §5): every CRL
 * issued by one of these CAs (its issuer name, and its signature verified with that CA's key, which may sign CRLs),
 * with a nextUpdate, and no critical extension but a delta CRL indicator (partitioned and indirect CRLs are not
 * taken: a CRL this server cannot read whole must not say a certificate is good); every CA with a complete CRL, so
 * that no certificate goes unchecked; of two complete CRLs of one CA, the later (by CRL number, else thisUpdate).
 * A delta CRL (RFC 5280 §5.2.4, as Active Directory Certificate Services publishes between complete ones) is applied
 * to its CA's complete CRL when it builds on it (its base number at most the complete CRL's number, its own number
 * above it): its entries added, those of reason removeFromCRL taken out, and the two in date together; a delta whose
 * base is later than the complete CRL in the file is refused (the newer complete CRL is needed), one older than the
 * complete CRL is not used. Throws an Error that says what is wrong.
 */
export function withRevocationLists(cas: readonly TrustedCa[], pem: string): TrustedCa[] {
  const blocks = [...pem.matchAll(CRL_BLOCK)].map((m) =>
    Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'),
  );
  if (blocks.length === 0) throw new Error('it holds no PEM CRL (-----BEGIN X509 CRL-----)');
  const issuers = cas.map(crlIssuer);
  const read = blocks.map((der, index) => readCrl(der, `its CRL ${index + 1}`, issuers));
  return cas.map((ca) => {
    const complete = read
      .filter((crl) => crl.ca === ca && crl.base === null)
      .reduce<ReadCrl | null>((latest, crl) => (latest === null || later(crl, latest) ? crl : latest), null);
    const deltas = read.filter((crl) => crl.ca === ca && crl.base !== null);
    if (complete === null)
      throw new Error(
        deltas.length > 0
          ? `it holds only delta CRLs of ${ca.subject}: its complete CRL is needed too`
          : `it holds no CRL of ${ca.subject}: each CA of CLIENT_CA_FILE needs its CRL there`,
      );
    return { ...ca, crl: applied(complete, deltas) };
  });
}

/** Whether complete CRL `a` is later than `b`: by CRL number when both have one (and they differ), else by thisUpdate. */
function later(a: ReadCrl, b: ReadCrl): boolean {
  return a.number !== null && b.number !== null && a.number !== b.number
    ? a.number > b.number
    : a.thisUpdate > b.thisUpdate;
}

/** A complete CRL with the latest of the deltas that build on it, as one list. */
function applied(complete: ReadCrl, deltas: readonly ReadCrl[]): RevocationList {
  const own = { thisUpdate: complete.thisUpdate, nextUpdate: complete.nextUpdate, revoked: complete.revoked };
  if (deltas.length === 0) return own;
  if (complete.number === null)
    throw new Error(`${complete.named} has no CRL number: its delta CRLs cannot be matched to it`);
  let latest: ReadCrl | null = null;
  for (const delta of deltas) {
    const base = delta.base as bigint;
    const number = delta.number as bigint;
    if (base > complete.number)
      throw new Error(
        `${delta.named} is a delta on complete CRL number ${base}, later than the complete CRL in the file (number ${complete.number}): put the CA's current complete CRL there`,
      );
    if (number > complete.number && (latest === null || number > (latest.number as bigint))) latest = delta;
  }
  if (latest === null) return own;
  const revoked = new Map(complete.revoked);
  for (const [serial, at] of latest.revoked) revoked.set(serial, at);
  for (const serial of latest.released) revoked.delete(serial);
  return {
    thisUpdate: latest.thisUpdate,
    nextUpdate: Math.min(complete.nextUpdate, latest.nextUpdate),
    revoked,
  };
}

/** One CRL of the file, checked; an Error that names it and says what is wrong. */
function readCrl(der: Buffer, which: string, issuers: readonly CrlIssuer[]): ReadCrl {
  let crl: CertificateList;
  try {
    crl = AsnConvert.parse(der, CertificateList);
  } catch (error) {
    throw new Error(`${which} does not read: ${(error as Error).message}`);
  }
  const tbs = crl.tbsCertList;
  const issuer = Buffer.from(AsnConvert.serialize(tbs.issuer));
  const found = issuers.find((s) => s.name.equals(issuer));
  if (found === undefined) throw new Error(`${which} was not issued by a CA of CLIENT_CA_FILE`);
  const { ca } = found;
  const named = `${which} (of ${ca.subject})`;
  if (!found.maySignCrls)
    throw new Error(`${named}: that CA may not sign CRLs (its key usage lacks cRLSign)`);
  const algorithm = crl.signatureAlgorithm.algorithm;
  const digest = SIGNATURE_DIGESTS.get(algorithm);
  if (digest === undefined || algorithm !== tbs.signature.algorithm)
    throw new Error(`${named} is signed with an algorithm this server does not verify (${algorithm})`);
  if (!signedBy(crl, digest, ca)) throw new Error(`${named} is not signed by that CA's key`);
  const extensions = tbs.crlExtensions ?? [];
  const entries = tbs.revokedCertificates ?? [];
  const critical = [...extensions, ...entries.flatMap((r) => r.crlEntryExtensions ?? [])].find(
    (e) => e.critical && e.extnID !== DELTA_CRL_INDICATOR,
  );
  if (critical !== undefined)
    throw new Error(
      `${named} has a critical extension (${critical.extnID}): partitioned and indirect CRLs are not supported`,
    );
  if (tbs.nextUpdate === undefined) throw new Error(`${named} has no nextUpdate (RFC 5280 §5.1.2.5)`);
  const number = integerExtension(extensions.find((e) => e.extnID === CRL_NUMBER)?.extnValue, named);
  const base = integerExtension(extensions.find((e) => e.extnID === DELTA_CRL_INDICATOR)?.extnValue, named);
  if (base !== null && number === null) throw new Error(`${named} is a delta CRL without a CRL number`);
  const revoked = new Map<string, number>();
  const released = new Set<string>();
  for (const entry of entries) {
    const serial = serialNumberOf(new Uint8Array(entry.userCertificate));
    const reason = entry.crlEntryExtensions?.find((e) => e.extnID === REASON_CODE);
    if (reason !== undefined && reasonOf(reason.extnValue, named) === REMOVE_FROM_CRL) released.add(serial);
    else revoked.set(serial, entry.revocationDate.getTime().getTime());
  }
  return {
    ca,
    named,
    thisUpdate: tbs.thisUpdate.getTime().getTime(),
    nextUpdate: tbs.nextUpdate.getTime().getTime(),
    number,
    base,
    revoked,
    released,
  };
}

/** A CRL number or delta indicator: a DER INTEGER (up to 20 octets, RFC 5280 §5.2.3) in the extension's value. */
function integerExtension(value: OctetString | undefined, named: string): bigint | null {
  if (value === undefined) return null;
  const der = Buffer.from(value.buffer);
  const length = der[1] ?? 0;
  if (der[0] !== 0x02 || length < 1 || length > 21 || der.length !== length + 2)
    throw new Error(`${named} has a CRL number that does not read`);
  return BigInt(`0x${der.subarray(2).toString('hex')}`);
}

/** A trusted CA as a CRL's issuer: its subject name's DER (what the CRL's issuer name is compared with), and whether
 * it may sign CRLs (RFC 5280 §4.2.1.3: with a key usage, only with `cRLSign` among it). Its certificate read once. */
interface CrlIssuer {
  ca: TrustedCa;
  name: Buffer;
  maySignCrls: boolean;
}

function crlIssuer(ca: TrustedCa): CrlIssuer {
  const tbs = AsnConvert.parse(ca.certificate.raw, Certificate).tbsCertificate;
  const usage = tbs.extensions?.find((e) => e.extnID === id_ce_keyUsage);
  return {
    ca,
    name: Buffer.from(AsnConvert.serialize(tbs.subject)),
    maySignCrls:
      usage === undefined || AsnConvert.parse(usage.extnValue, KeyUsage).toJSON().includes('crlSign'),
  };
}

/** A CRL entry's reason code (RFC 5280 §5.3.1); an Error naming the CRL when it does not read. */
function reasonOf(value: OctetString, named: string): number {
  try {
    return AsnConvert.parse(value, CRLReason).reason;
  } catch {
    throw new Error(`${named} has a reason code that does not read`);
  }
}

function signedBy(crl: CertificateList, digest: string | null, ca: TrustedCa): boolean {
  if (crl.tbsCertListRaw === undefined) return false;
  try {
    return verifySignature(
      digest,
      new Uint8Array(crl.tbsCertListRaw),
      ca.certificate.publicKey,
      new Uint8Array(crl.signature),
    );
  } catch {
    return false;
  }
}
