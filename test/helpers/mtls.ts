import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The header the test apps' TLS proxy forwards clients' certificates in (CLIENT_CERT_HEADER). */
export const CLIENT_CERT_HEADER = 'client-cert';

/**
 * A certificate of test/fixtures/mtls (PEM), made for these tests with `openssl ca -selfsign`: valid from 2025 to
 * the end of 2045. `client-ec`, `other-ec` (P-256), `client-ed25519`, `client-rsa` (2,048 bits), `client-p384`.
 */
export const certificate = (name: string): string =>
  readFileSync(new URL(`../fixtures/mtls/${name}.pem`, import.meta.url), 'utf8');

/** A certificate's base64 DER, as a JWK's x5c holds it. */
export const der = (pem: string): string => new X509Certificate(pem).raw.toString('base64');

/** RFC 8705 §3.1 x5t#S256. */
export const thumbprint = (pem: string): string =>
  createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');

/** RFC 9440 Client-Cert: the DER certificate as a structured-field byte sequence. */
export const clientCert = (pem: string): string => `:${der(pem)}:`;
