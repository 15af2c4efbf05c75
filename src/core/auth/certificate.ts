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

/**
 * A DER certificate, or null when the bytes are not exactly one (trailing bytes, or a validity period that does not
 * read as two dates, are refused rather than guessed at). Never throws, whatever the bytes.
 */
export function parseDerCertificate(der: Buffer): ClientCertificate | null {
  try {
    const certificate = new X509Certificate(der);
    const raw = certificate.raw;
    if (raw.length !== der.length) return null;
    const notBefore = Date.parse(certificate.validFrom);
    const notAfter = Date.parse(certificate.validTo);
    if (!Number.isFinite(notBefore) || !Number.isFinite(notAfter)) return null;
    return {
      thumbprint: certificateThumbprint(raw),
      // An empty subject (certificates that name their holder in subjectAltName alone) is undefined in Node.
      subject: (certificate.subject ?? '').replaceAll('\n', ', '),
      notBefore,
      notAfter,
      der: raw.toString('base64'),
      certificate,
    };
  } catch {
    return null;
  }
}

/** One PEM certificate block; what comes after it may only be more whole blocks (a chain), with space between. */
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/y;

/**
 * The client certificate a TLS-terminating proxy forwards in a header, in any of the forms proxies write: RFC 9440's
 * `Client-Cert` (a structured-field byte sequence, `:base64 DER:`), URL-encoded PEM (nginx's `$ssl_client_escaped_cert`,
 * AWS load balancers, which send the chain: its first certificate is the client's), PEM with its line breaks turned
 * into spaces or tabs, or bare base64 DER (Traefik, escaped or not). Null for an empty value (no certificate) or one
 * that is not exactly one of these: in particular a header written twice, which Node joins with a comma, is none.
 */
export function parseForwardedCertificate(value: string): ClientCertificate | null {
  if (value.length > MAX_CERTIFICATE_CHARS) return null;
  let text = value.trim();
  if (text.length > 1 && text.startsWith(':') && text.endsWith(':')) text = text.slice(1, -1);
  else if (text.includes('%')) {
    try {
      text = decodeURIComponent(text).trim();
    } catch {
      return null;
    }
  }
  if (text === '') return null;
  let body = text;
  if (text.startsWith('-----BEGIN')) {
    PEM_BLOCK.lastIndex = 0;
    const first = PEM_BLOCK.exec(text);
    if (!first?.[1]) return null;
    // Whatever follows must be whole certificate blocks: the rest of a chain, never other text.
    for (let rest = PEM_BLOCK.lastIndex; rest < text.length; rest = PEM_BLOCK.lastIndex) {
      while (rest < text.length && /\s/.test(text.charAt(rest))) rest++;
      if (rest === text.length) break;
      PEM_BLOCK.lastIndex = rest;
      if (PEM_BLOCK.exec(text) === null) return null;
    }
    body = first[1];
  }
  body = body.replace(/\s+/g, '');
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
