import { createHash, X509Certificate } from 'node:crypto';

/** A client's X.509 certificate as this server compares it: its DER bytes' SHA-256 and its validity. */
export interface ClientCertificate {
  /** RFC 8705 §3.1 `x5t#S256`: the base64url SHA-256 of the DER certificate. */
  thumbprint: string;
  /** Its subject, for messages and the web app. */
  subject: string;
  notBefore: number;
  notAfter: number;
  /** Base64 DER, as a JWK's `x5c` holds it (RFC 7517 §4.7). */
  der: string;
  certificate: X509Certificate;
}

/** A certificate as long as any a client would send (an RSA-4096 certificate with extensions is about 2 KB). */
const MAX_CERTIFICATE_CHARS = 16_384;

/** RFC 8705 §3.1: the thumbprint of a DER certificate. */
export function certificateThumbprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('base64url');
}

/** A DER certificate, or null when the bytes are not one. */
export function parseDerCertificate(der: Buffer): ClientCertificate | null {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(der);
  } catch {
    return null;
  }
  const raw = certificate.raw;
  return {
    thumbprint: certificateThumbprint(raw),
    subject: certificate.subject.replaceAll('\n', ', '),
    notBefore: Date.parse(certificate.validFrom),
    notAfter: Date.parse(certificate.validTo),
    der: raw.toString('base64'),
    certificate,
  };
}

/**
 * The client certificate a TLS-terminating proxy forwards in a header, in any of the forms proxies write: RFC 9440's
 * `Client-Cert` (a structured-field byte sequence, `:base64 DER:`), URL-encoded PEM (nginx's `$ssl_client_escaped_cert`,
 * AWS load balancers), PEM with its line breaks turned into spaces or tabs, or bare base64 DER (Traefik, escaped or
 * not). Null for an empty value (no certificate) or one that is none of these.
 */
export function parseForwardedCertificate(value: string): ClientCertificate | null {
  if (value === '' || value.length > MAX_CERTIFICATE_CHARS) return null;
  let text = value.trim();
  if (text.length > 1 && text.startsWith(':') && text.endsWith(':')) text = text.slice(1, -1);
  else if (text.includes('%')) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return null;
    }
  }
  const pem = /^-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(text.trim());
  const body = (pem ? (pem[1] ?? '') : text).replace(/[\s]+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return null;
  return parseDerCertificate(Buffer.from(body, 'base64'));
}

/** Why a certificate cannot be used at `now` (not yet valid, or expired), or null when it can. */
export function certificateValidity(certificate: ClientCertificate, now: number): string | null {
  if (now < certificate.notBefore)
    return `the certificate is valid from ${new Date(certificate.notBefore).toISOString()}`;
  if (now > certificate.notAfter)
    return `the certificate expired at ${new Date(certificate.notAfter).toISOString()}`;
  return null;
}
