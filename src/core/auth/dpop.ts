import { constants, hash, type KeyObject, verify } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { checkPublicJwk } from './jwk.js';

/**
 * RFC 9449 (DPoP): a client proves, on each request, that it holds the private key its access token is bound to, by
 * a short JWT signed with that key (the proof) in the `DPoP` header. A token stolen without the key is worth nothing.
 */

/**
 * The algorithms a proof may be signed with (RFC 8414 `dpop_signing_alg_values_supported`): `Ed25519` is RFC 9864's
 * name for EdDSA with that curve, which libraries (oauth4webapi) now write.
 */
export const DPOP_ALGORITHMS = ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'] as const;
/** A proof's header holds its public key: an RSA key of 4,096 bits fits in 1,000 characters. */
const MAX_HEADER_LENGTH = 2_048;
const MAX_RSA_BITS = 4_096;
/** A proof is taken up to this long after its `iat`: enough for a slow network, short for a stolen one. */
const DPOP_MAX_AGE_S = 300;
/** A proof may say it was made this far ahead of this server's clock. */
const DPOP_SKEW_S = 60;
/** Longer than any proof a client makes (a JWT with an RSA key of 4,096 bits is about 1,600 characters). */
const MAX_PROOF_LENGTH = 8_192;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** What a proof must match: the request it came with. */
export interface DpopRequest {
  /** The request's method (`htm`). */
  method: string;
  /** The request's URL as the client sees it, without query or fragment (`htu`). */
  url: string;
  /** The same URL at the server's other public address (MTLS_BASE_URL, RFC 8705 §5), which `htu` may name instead. */
  aliasUrl?: string;
  /** At a protected resource: the access token the proof goes with (its hash is `ath`). None at the token endpoint. */
  accessToken?: string;
  /** The thumbprint of the key the token is bound to: a proof of another key is refused before any signature. */
  boundTo?: string;
  /** With server nonces (RFC 9449 §8–9): whether the proof's `nonce` is one this server gave out and still takes. */
  nonce?: (value: unknown) => boolean;
  now: number;
}

/** A proof that holds: the key's RFC 7638 thumbprint (what a token is bound to), and what makes it used once. */
export interface DpopProof {
  jkt: string;
  jti: string;
  /** Until when the proof would be taken: its jti must be remembered (refused a second time) until then. */
  keepUntil: number;
}

/** Why a proof was refused: said in the answer (a proof holds no secret). */
export class DpopRefused extends Error {
  override name = 'DpopRefused';
}

/** A proof without a nonce this server takes (RFC 9449 §8–9): the answer gives one to use (`use_dpop_nonce`). */
export class DpopNonceRequired extends DpopRefused {
  override name = 'DpopNonceRequired';
}

/** A proof's header, checked once and kept by its exact text: a client sends the same header with every proof. */
export interface DpopHeaderKey {
  key: KeyObject;
  alg: string;
  jkt: string;
  /** An Ed25519 key's 32 bytes, for a verifier of its own (libsodium); null for other keys. */
  raw: Buffer | null;
}

/** Verifies an Ed25519 signature with the raw public key (libsodium's, twice as quick as OpenSSL's here). */
export type Ed25519Verify = (signature: Buffer, message: Buffer, publicKey: Buffer) => boolean;

/** Where checked headers are kept between proofs (a bounded map of the caller's). */
export interface DpopHeaderCache {
  get(header: string): DpopHeaderKey | undefined;
  set(header: string, value: DpopHeaderKey): void;
}

/** RFC 9449 §4.2: `ath` is the base64url SHA-256 of the access token's ASCII. */
function accessTokenHash(token: string): string {
  return hash('sha256', token, 'base64url');
}

/** The URL a proof's `htu` is compared with: scheme, host, port and path, normalised (RFC 9449 §4.3, RFC 3986 §6). */
function comparable(url: string): string | null {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return null;
  }
}

/**
 * Checks a DPoP proof against its request (RFC 9449 §4.3): a compact JWS of type `dpop+jwt`, signed with an algorithm
 * of DPOP_ALGORITHMS by the public key in its header (never a private one), with `jti`, `htm` the request's method,
 * `htu` its URL, `iat` within the last 5 minutes (a minute ahead at most), and at a protected resource `ath` the
 * access token's hash. Throws DpopRefused with the reason. That the jti was not used before is the caller's to check.
 */
export async function checkDpopProof(
  proof: string,
  request: DpopRequest,
  cache: DpopHeaderCache,
  ed25519?: Ed25519Verify,
): Promise<DpopProof> {
  if (proof.length > MAX_PROOF_LENGTH || !COMPACT_JWS.test(proof))
    throw new DpopRefused('the DPoP header is not one compact JWS');
  const headerText = proof.slice(0, proof.indexOf('.'));
  if (headerText.length > MAX_HEADER_LENGTH) throw new DpopRefused("the proof's header is too long");
  const cached = cache.get(headerText);
  const header = cached ?? (await checkedHeader(headerText, request.boundTo));
  if (request.boundTo !== undefined && header.jkt !== request.boundTo) throw new DpopRefused(ANOTHER_KEY);
  const lastDot = proof.lastIndexOf('.');
  // The claims first: a proof for another request, too old, or without the nonce asked for costs no signature.
  const payload = jsonObject(proof.slice(proof.indexOf('.') + 1, lastDot));
  if (payload === null) throw new DpopRefused("the proof's claims are not a JSON object");
  const { jti, htm, htu, iat, ath, exp, nbf } = payload;
  const nowS = request.now / 1000;
  if (typeof exp === 'number' && exp <= nowS) throw new DpopRefused('the proof has expired (exp)');
  if (typeof nbf === 'number' && nbf > nowS + DPOP_SKEW_S)
    throw new DpopRefused('the proof is not valid yet (nbf)');
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256)
    throw new DpopRefused('the proof has no usable jti (a string of 1 to 256 characters)');
  if (htm !== request.method)
    throw new DpopRefused(`the proof's htm is not this request's method ${request.method}`);
  const named = typeof htu === 'string' && htu.length <= 2_048 ? comparable(htu) : null;
  if (
    named === null ||
    (named !== comparable(request.url) &&
      (request.aliasUrl === undefined || named !== comparable(request.aliasUrl)))
  )
    throw new DpopRefused(`the proof's htu is not this request's URL ${request.url}`);
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new DpopRefused('the proof has no iat');
  if (iat > nowS + DPOP_SKEW_S)
    throw new DpopRefused('the proof was made in the future (iat): check the clock');
  if (iat < nowS - DPOP_MAX_AGE_S)
    throw new DpopRefused(
      `the proof is older than ${DPOP_MAX_AGE_S} seconds (iat): make a new one per request`,
    );
  if (request.accessToken !== undefined && ath !== accessTokenHash(request.accessToken))
    throw new DpopRefused("the proof's ath is not the hash of this access token");
  if (request.nonce && !request.nonce(payload.nonce))
    throw new DpopNonceRequired(
      payload.nonce === undefined
        ? 'this server asks for a nonce in each DPoP proof: use the one in the DPoP-Nonce header'
        : "the proof's nonce is not one this server takes now: use the one in the DPoP-Nonce header",
    );
  // Verified here, at once, with the key kept from the header: a proof comes with every call, and through WebCrypto
  // (jose) a verification cost three times as much.
  if (!verifies(header, proof.slice(0, lastDot), Buffer.from(proof.slice(lastDot + 1), 'base64url'), ed25519))
    throw new DpopRefused("the proof's signature does not verify with the key in its header");
  // Kept only once a signature verified with it: headers that no key signs cannot push out the clients' own.
  if (cached === undefined) cache.set(headerText, header);
  return { jkt: header.jkt, jti, keepUntil: (Math.ceil(iat) + DPOP_MAX_AGE_S + DPOP_SKEW_S) * 1000 };
}

/** A base64url part of a JWS as a JSON object; null when it is not one. */
function jsonObject(encoded: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** Whether `signature` is the header's key's signature of `input` with the header's algorithm (RFC 7518 §3). */
function verifies(
  { key, alg, raw }: DpopHeaderKey,
  input: string,
  signature: Buffer,
  ed25519: Ed25519Verify | undefined,
): boolean {
  const data = Buffer.from(input);
  try {
    if (alg === 'EdDSA')
      return ed25519 && raw !== null
        ? signature.length === 64 && ed25519(signature, data, raw)
        : verify(null, data, key, signature);
    if (alg === 'ES256') return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (alg === 'PS256')
      return verify(
        'sha256',
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        signature,
      );
    return verify('sha256', data, key, signature);
  } catch {
    return false;
  }
}

/** Why a proof is refused whose key is not the one its token is bound to. */
const ANOTHER_KEY = 'the DPoP proof is signed by another key than the one the token is bound to';

/**
 * The header of a proof: `typ` dpop+jwt, an allowed `alg`, and a public `jwk` that goes with it (of `boundTo`'s
 * thumbprint when given: compared before the key is made).
 */
async function checkedHeader(encoded: string, boundTo: string | undefined): Promise<DpopHeaderKey> {
  const header = jsonObject(encoded);
  if (header === null) throw new DpopRefused("the proof's header is not a JSON object");
  const { typ, alg, jwk, crit } = header;
  // RFC 7515 §4.1.11: an extension this server does not know of must not be ignored.
  if (crit !== undefined)
    throw new DpopRefused("the proof's header has crit: no extension is understood here");
  if (typ !== 'dpop+jwt') throw new DpopRefused("the proof's typ must be dpop+jwt");
  if (typeof alg !== 'string' || !(DPOP_ALGORITHMS as readonly string[]).includes(alg))
    throw new DpopRefused(`the proof's alg must be one of ${DPOP_ALGORITHMS.join(', ')}`);
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk))
    throw new DpopRefused("the proof's header has no jwk (the public key)");
  const members = jwk as Record<string, unknown>;
  let jkt: string;
  try {
    jkt = await calculateJwkThumbprint(members as JWK, 'sha256');
  } catch {
    throw new DpopRefused("the proof's jwk is not a public key (its members)");
  }
  if (boundTo !== undefined && jkt !== boundTo) throw new DpopRefused(ANOTHER_KEY);
  // The key's own alg, when it says one, must be the header's (EdDSA and Ed25519 name the same).
  const same = (a: unknown) =>
    a === alg || (a === 'EdDSA' && alg === 'Ed25519') || (a === 'Ed25519' && alg === 'EdDSA');
  if (members.alg !== undefined && !same(members.alg))
    throw new DpopRefused(`the proof's alg ${alg} is not its key's (${String(members.alg)})`);
  const checked = checkPublicJwk({ ...members, alg });
  if (typeof checked === 'string') throw new DpopRefused(`the proof's jwk: ${checked}`);
  const bits = checked.key.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && bits > MAX_RSA_BITS)
    throw new DpopRefused(`the proof's RSA key has more than ${MAX_RSA_BITS} bits`);
  const x = checked.jwk.x;
  return {
    key: checked.key,
    alg: checked.alg,
    jkt,
    raw: checked.alg === 'EdDSA' && x !== undefined ? Buffer.from(x, 'base64url') : null,
  };
}
