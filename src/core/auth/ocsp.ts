import { createHash, type KeyObject, verify, X509Certificate } from 'node:crypto';
import {
  BasicOCSPResponse,
  CertID,
  id_kp_OCSPSigning,
  id_pkix_ocsp_basic,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  Request,
  TBSRequest,
} from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';

/**
 * OCSP (RFC 6960) for the certificates of trusted CAs: the request for one certificate, and what a responder's answer
 * says of it once its signature, its certificate and its times are checked. No network here (services/ocsp.ts asks).
 */

/** What a responder said of a certificate, verified. */
export interface OcspAnswer {
  status: 'good' | 'revoked' | 'unknown';
  /** When the responder knew it to be so (ms since the epoch). */
  thisUpdate: number;
  /** When a newer answer is due; null: the responder did not say (newer information is always there). */
  nextUpdate: number | null;
  /** With `revoked`: since when. */
  revokedAt: number | null;
}

/** An answer that cannot be relied on: why. */
export class OcspFailure extends Error {
  override name = 'OcspFailure';
}

const SHA1 = '1.3.14.3.2.26';
const SHA256 = '2.16.840.1.101.3.4.2.1';
const HASHES: Record<string, string> = { [SHA1]: 'sha1', [SHA256]: 'sha256' };

/**
 * The signature algorithms a response may be signed with: the digest node's `verify` takes (null for Ed25519).
 * SHA-1 signatures are refused (RFC 9155 for TLS; a responder that still uses them should be replaced).
 */
const SIGNATURES: Record<string, string | null> = {
  '1.2.840.113549.1.1.11': 'sha256', // sha256WithRSAEncryption
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256', // ecdsa-with-SHA256
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null, // Ed25519
};

/** Clocks differ: a `thisUpdate` this far ahead, or a `nextUpdate` this far behind, still counts. */
const SKEW_MS = 5 * 60_000;
/** Without a `nextUpdate`, an answer is taken this long after its `thisUpdate`. */
export const UNDATED_ANSWER_MS = 60 * 60_000;

/** The OCSP responder a certificate names (its Authority Information Access, `http:` or `https:`), or null. */
export function ocspResponderOf(certificate: X509Certificate): string | null {
  for (const line of (certificate.infoAccess ?? '').split('\n')) {
    const match = /^OCSP - URI:(https?:\/\/\S+)$/.exec(line.trim());
    if (match) return match[1] as string;
  }
  return null;
}

/** The CertID (SHA-1, as RFC 5019 profiles it and every responder takes) of `leaf` issued by `issuer`. */
function certIdOf(leaf: X509Certificate, issuer: X509Certificate, hash = SHA1): CertID {
  const ca = AsnConvert.parse(issuer.raw, Certificate).tbsCertificate;
  const digest = (data: ArrayBuffer) =>
    createHash(HASHES[hash] as string)
      .update(new Uint8Array(data))
      .digest();
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: hash, parameters: null }),
    issuerNameHash: new OctetString(digest(AsnConvert.serialize(ca.subject))),
    issuerKeyHash: new OctetString(digest(ca.subjectPublicKeyInfo.subjectPublicKey)),
    serialNumber: AsnConvert.parse(leaf.raw, Certificate).tbsCertificate.serialNumber,
  });
}

/** The DER of an OCSP request for `leaf` (no nonce: answers are cached, RFC 5019 §2.1). */
export function ocspRequest(leaf: X509Certificate, issuer: X509Certificate): Uint8Array {
  const request = new OCSPRequest({
    tbsRequest: new TBSRequest({ requestList: [new Request({ reqCert: certIdOf(leaf, issuer) })] }),
  });
  return new Uint8Array(AsnConvert.serialize(request));
}

const same = (a: ArrayBuffer | ArrayBufferView, b: ArrayBuffer | ArrayBufferView) => {
  const bytes = (x: ArrayBuffer | ArrayBufferView) =>
    x instanceof ArrayBuffer ? Buffer.from(x) : Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  return bytes(a).equals(bytes(b));
};

/**
 * What a responder's answer (DER) says of `leaf`, issued by `issuer`, at `now`: signed by the issuer itself or by a
 * responder certificate the issuer issued for OCSP signing (RFC 6960 §4.2.2.2), about this very certificate, and
 * current. Throws OcspFailure with the reason otherwise.
 */
export function readOcspResponse(
  der: Uint8Array,
  leaf: X509Certificate,
  issuer: X509Certificate,
  now: number,
): OcspAnswer {
  let basic: BasicOCSPResponse;
  try {
    const response = AsnConvert.parse(der, OCSPResponse);
    if (response.responseStatus !== OCSPResponseStatus.successful)
      throw new OcspFailure(
        `the responder answered ${OCSPResponseStatus[response.responseStatus] ?? response.responseStatus}`,
      );
    if (response.responseBytes?.responseType !== id_pkix_ocsp_basic)
      throw new OcspFailure('the answer is not a basic OCSP response');
    basic = AsnConvert.parse(response.responseBytes.response.buffer, BasicOCSPResponse);
  } catch (error) {
    if (error instanceof OcspFailure) throw error;
    throw new OcspFailure(`the answer does not read as OCSP (${(error as Error).message})`);
  }
  const digest = SIGNATURES[basic.signatureAlgorithm.algorithm];
  if (digest === undefined)
    throw new OcspFailure(
      `the answer is signed with an algorithm not taken here (${basic.signatureAlgorithm.algorithm})`,
    );
  const signed = basic.tbsResponseDataRaw;
  if (!signed) throw new OcspFailure('the answer does not read as OCSP (no response data)');
  const verifies = (key: KeyObject) => {
    try {
      return verify(digest, new Uint8Array(signed), key, new Uint8Array(basic.signature));
    } catch {
      return false;
    }
  };
  if (!verifies(issuer.publicKey)) {
    // Each certificate the answer carries that the CA issued for OCSP signing and is current; one that does not
    // read is skipped (several may be there during a responder's key rollover).
    const delegated = (basic.certs ?? []).flatMap((c) => {
      try {
        return [new X509Certificate(Buffer.from(AsnConvert.serialize(c)))];
      } catch {
        return [];
      }
    });
    const signedByResponder = delegated.some(
      (c) =>
        c.verify(issuer.publicKey) &&
        c.checkIssued(issuer) &&
        (c.keyUsage ?? []).includes(id_kp_OCSPSigning) &&
        Date.parse(c.validFrom) <= now &&
        now <= Date.parse(c.validTo) &&
        verifies(c.publicKey),
    );
    if (!signedByResponder)
      throw new OcspFailure(
        "the answer's signature is neither the CA's nor that of a current OCSP responder certificate the CA issued",
      );
  }
  const wanted = AsnConvert.parse(leaf.raw, Certificate).tbsCertificate.serialNumber;
  const single = basic.tbsResponseData.responses.find((r) => {
    const hash = r.certID.hashAlgorithm.algorithm;
    if (!HASHES[hash] || !same(r.certID.serialNumber, wanted)) return false;
    const expected = certIdOf(leaf, issuer, hash);
    return (
      same(r.certID.issuerKeyHash, expected.issuerKeyHash) &&
      same(r.certID.issuerNameHash, expected.issuerNameHash)
    );
  });
  if (!single) throw new OcspFailure('the answer says nothing of this certificate');
  const thisUpdate = single.thisUpdate.getTime();
  const nextUpdate = single.nextUpdate ? single.nextUpdate.getTime() : null;
  if (thisUpdate > now + SKEW_MS) throw new OcspFailure('the answer is dated ahead of this clock');
  if (nextUpdate !== null ? nextUpdate < now - SKEW_MS : thisUpdate < now - UNDATED_ANSWER_MS)
    throw new OcspFailure('the answer is out of date');
  const { certStatus } = single;
  if (certStatus.revoked)
    return {
      status: 'revoked',
      thisUpdate,
      nextUpdate,
      revokedAt: certStatus.revoked.revocationTime.getTime(),
    };
  return {
    status: certStatus.good !== undefined ? 'good' : 'unknown',
    thisUpdate,
    nextUpdate,
    revokedAt: null,
  };
}
