import { verify as verifySignature } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, CertificateList, id_ce_keyUsage, KeyUsage } from '@peculiar/asn1-x509';
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

/**
 * The CAs of CLIENT_CA_FILE, each with its CRL from the PEM text of a CLIENT_CRL_FILE (RFC 5280 §5): every CRL
 * issued by one of these CAs (its issuer name, and its signature verified with that CA's key, which may sign CRLs),
 * with a nextUpdate, and no critical extension (delta, partitioned and indirect CRLs are not taken: a CRL this
 * server cannot read whole must not say a certificate is good); every CA with a CRL, so that no certificate goes
 * unchecked; of two CRLs of one CA, the later one. Throws an Error that says what is wrong.
 */
export function withRevocationLists(cas: readonly TrustedCa[], pem: string): TrustedCa[] {
  const blocks = [...pem.matchAll(CRL_BLOCK)].map((m) =>
    Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'),
  );
  if (blocks.length === 0) throw new Error('it holds no PEM CRL (-----BEGIN X509 CRL-----)');
  const subjects = cas.map((ca) => ({ ca, name: subjectDer(ca) }));
  const lists = new Map<TrustedCa, RevocationList>();
  blocks.forEach((der, index) => {
    const which = `its CRL ${index + 1}`;
    let crl: CertificateList;
    try {
      crl = AsnConvert.parse(der, CertificateList);
    } catch (error) {
      throw new Error(`${which} does not read: ${(error as Error).message}`);
    }
    const tbs = crl.tbsCertList;
    const issuer = Buffer.from(AsnConvert.serialize(tbs.issuer));
    const ca = subjects.find((s) => s.name.equals(issuer))?.ca;
    if (ca === undefined) throw new Error(`${which} was not issued by a CA of CLIENT_CA_FILE`);
    const named = `${which} (of ${ca.subject})`;
    if (!maySignCrls(ca))
      throw new Error(`${named}: that CA may not sign CRLs (its key usage lacks cRLSign)`);
    const algorithm = crl.signatureAlgorithm.algorithm;
    const digest = SIGNATURE_DIGESTS.get(algorithm);
    if (digest === undefined || algorithm !== tbs.signature.algorithm)
      throw new Error(`${named} is signed with an algorithm this server does not verify (${algorithm})`);
    if (!signedBy(crl, digest, ca)) throw new Error(`${named} is not signed by that CA's key`);
    const critical = [
      ...(tbs.crlExtensions ?? []),
      ...(tbs.revokedCertificates ?? []).flatMap((r) => r.crlEntryExtensions ?? []),
    ].find((e) => e.critical);
    if (critical !== undefined)
      throw new Error(
        `${named} has a critical extension (${critical.extnID}): delta, partitioned and indirect CRLs are not supported`,
      );
    if (tbs.nextUpdate === undefined) throw new Error(`${named} has no nextUpdate (RFC 5280 §5.1.2.5)`);
    const list: RevocationList = {
      thisUpdate: tbs.thisUpdate.getTime().getTime(),
      nextUpdate: tbs.nextUpdate.getTime().getTime(),
      revoked: new Map(
        (tbs.revokedCertificates ?? []).map((r) => [
          serialNumberOf(new Uint8Array(r.userCertificate)),
          r.revocationDate.getTime().getTime(),
        ]),
      ),
    };
    const earlier = lists.get(ca);
    if (earlier === undefined || earlier.thisUpdate < list.thisUpdate) lists.set(ca, list);
  });
  return cas.map((ca) => {
    const crl = lists.get(ca);
    if (crl === undefined)
      throw new Error(`it holds no CRL of ${ca.subject}: each CA of CLIENT_CA_FILE needs its CRL there`);
    return { ...ca, crl };
  });
}

/** The DER of a CA's subject name, as a CRL's issuer name is compared with it. */
function subjectDer(ca: TrustedCa): Buffer {
  const tbs = AsnConvert.parse(ca.certificate.raw, Certificate).tbsCertificate;
  return Buffer.from(AsnConvert.serialize(tbs.subject));
}

/** RFC 5280 §4.2.1.3: a CA whose certificate has a key usage signs CRLs only with `cRLSign` among them. */
function maySignCrls(ca: TrustedCa): boolean {
  const tbs = AsnConvert.parse(ca.certificate.raw, Certificate).tbsCertificate;
  const usage = tbs.extensions?.find((e) => e.extnID === id_ce_keyUsage);
  if (usage === undefined) return true;
  return AsnConvert.parse(usage.extnValue, KeyUsage).toJSON().includes('crlSign');
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
