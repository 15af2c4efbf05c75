import type { Scope } from './scopes.js';

/** RFC 9068 §2.2 claims of our access tokens, plus `cv` (the client's credentials version) and `kind`. */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  client_id: string;
  scope: string;
  jti: string;
  iat: number;
  exp: number;
  /** Credentials version the token was issued under; regenerating the credentials makes older ones invalid. */
  cv: number;
  /** `client` for tokens issued to code, `test` for the 24-hour token issued from the web app. */
  kind: 'client' | 'test';
  /**
   * What the token is bound to: a key (DPoP, RFC 9449 §6.1: its RFC 7638 thumbprint), the client's TLS certificate
   * (RFC 8705 §3.1: its SHA-256 thumbprint), or both.
   */
  cnf?: { jkt?: string; 'x5t#S256'?: string };
  /**
   * For a token bound to a certificate that authenticated by its subject under a trusted CA (RFC 8705 §2.1,
   * `tls_client_auth`): the account's subject entry (its `kid`) and the CA (its certificate's thumbprint). The token
   * holds while both do.
   */
  tls_client_auth?: SubjectBinding;
}

/** Which subject entry of its account, under which trusted CA, a certificate-bound token's certificate matched. */
export interface SubjectBinding {
  kid: string;
  ca: string;
  /** The certificate's serial number (upper-case hex), checked against its CA's CRL; absent in older tokens. */
  serial?: string;
}

export interface VerifiedToken {
  accountId: string;
  clientId: string;
  scopes: ReadonlySet<Scope>;
  jti: string;
  expiresAt: number;
  issuedAt: number;
  credentialsVersion: number;
  kind: 'client' | 'test';
  /** The thumbprint of the key the token is bound to (DPoP, RFC 9449); null for a bearer token. */
  jkt: string | null;
  /** The thumbprint of the client certificate the token is bound to (mutual TLS, RFC 8705); null if none. */
  x5t: string | null;
  /** Set when the certificate authenticated by its subject under a trusted CA (`tls_client_auth`). */
  subject: SubjectBinding | null;
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** The JWS signing input `header.payload` (RFC 7515 §5.1), with `typ: at+jwt` as RFC 9068 §2.1 requires. */
export function jwtSigningInput(alg: 'EdDSA' | 'ES256', kid: string, claims: AccessTokenClaims): string {
  return `${encodedHeader(alg, kid)}.${b64(claims)}`;
}

/** The encoded header of the last key used: it is the same for every token that key signs. */
let lastHeader = { alg: '', kid: '', encoded: '' };

function encodedHeader(alg: 'EdDSA' | 'ES256', kid: string): string {
  if (lastHeader.alg !== alg || lastHeader.kid !== kid) {
    lastHeader = { alg, kid, encoded: b64({ alg, typ: 'at+jwt', kid }) };
  }
  return lastHeader.encoded;
}

/** Reads the header's `kid` without trusting anything else; null for a value that is not a compact JWS. */
export function peekKid(token: string): string | null {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.length > 4096) return null;
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8')) as unknown;
    if (typeof header !== 'object' || header === null) return null;
    const kid = (header as { kid?: unknown }).kid;
    return typeof kid === 'string' ? kid : null;
  } catch {
    return null;
  }
}

/** Checks that verified claims have every field of our tokens, with the right types. */
export function toVerifiedToken(
  payload: Record<string, unknown>,
  isScope: (s: string) => s is Scope,
): VerifiedToken | null {
  const { sub, client_id, scope, jti, exp, iat, cv, kind, cnf, tls_client_auth } = payload;
  if (typeof sub !== 'string' || typeof client_id !== 'string' || typeof scope !== 'string') return null;
  if (typeof jti !== 'string' || typeof exp !== 'number' || typeof iat !== 'number' || typeof cv !== 'number')
    return null;
  if (kind !== 'client' && kind !== 'test') return null;
  let jkt: string | null = null;
  let x5t: string | null = null;
  if (cnf !== undefined) {
    if (typeof cnf !== 'object' || cnf === null) return null;
    const { jkt: key, 'x5t#S256': certificate } = cnf as { jkt?: unknown; 'x5t#S256'?: unknown };
    if (key !== undefined) {
      if (typeof key !== 'string') return null;
      jkt = key;
    }
    if (certificate !== undefined) {
      if (typeof certificate !== 'string') return null;
      x5t = certificate;
    }
    // A confirmation that binds to nothing this server knows is not taken as no binding.
    if (jkt === null && x5t === null) return null;
  }
  let subject: SubjectBinding | null = null;
  if (tls_client_auth !== undefined) {
    const { kid, ca, serial } = (tls_client_auth ?? {}) as { kid?: unknown; ca?: unknown; serial?: unknown };
    if (typeof kid !== 'string' || typeof ca !== 'string' || x5t === null) return null;
    if (serial !== undefined && typeof serial !== 'string') return null;
    subject = serial === undefined ? { kid, ca } : { kid, ca, serial };
  }
  const scopes = new Set<Scope>();
  for (const s of scope.split(' ')) if (isScope(s)) scopes.add(s);
  return {
    accountId: sub,
    clientId: client_id,
    scopes,
    jti,
    expiresAt: exp * 1000,
    issuedAt: iat * 1000,
    credentialsVersion: cv,
    kind,
    jkt,
    x5t,
    subject,
  };
}
