import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';

/** A JWK's members that only a private key has: such a key is refused, never used or stored. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** A public key a client signs with: its public members, the algorithm it verifies, and the key itself. */
export interface CheckedJwk {
  jwk: Record<string, string>;
  alg: 'ES256' | 'EdDSA' | 'RS256' | 'PS256';
  key: KeyObject;
}

/**
 * The public key a client may sign with — EC P-256 (ES256), Ed25519 (EdDSA) or RSA of 2,048 bits or more with the
 * exponent 65537 (RS256, or PS256 when its `alg` says so) — or why it is not one (a private key, another kind, a key
 * that does not parse). Used for the keys accounts register (RFC 7523) and the keys of DPoP proofs (RFC 9449).
 */
export function checkPublicJwk(input: Record<string, unknown>): CheckedJwk | string {
  if (PRIVATE_MEMBERS.some((member) => member in input))
    return 'a private or secret key: send the public key alone (without d, p, q, dp, dq, qi or k)';
  if (input.use !== undefined && input.use !== 'sig') return 'use must be sig';
  let bad: string | null = null;
  const text = (name: string) => {
    const value = input[name];
    if (typeof value !== 'string' || !/^[A-Za-z0-9_-]+$/.test(value) || value.length > 1024) {
      bad ??= `${name} must be base64url text`;
      return '';
    }
    return value;
  };
  let jwk: Record<string, string>;
  let alg: CheckedJwk['alg'];
  if (input.kty === 'EC') {
    if (input.crv !== 'P-256') return 'an EC key must be on P-256 (ES256)';
    jwk = { kty: 'EC', crv: 'P-256', x: text('x'), y: text('y') };
    alg = 'ES256';
  } else if (input.kty === 'OKP') {
    if (input.crv !== 'Ed25519') return 'an OKP key must be Ed25519 (EdDSA)';
    jwk = { kty: 'OKP', crv: 'Ed25519', x: text('x') };
    alg = 'EdDSA';
  } else if (input.kty === 'RSA') {
    jwk = { kty: 'RSA', n: text('n'), e: text('e') };
    // A tiny exponent (1 makes any signature forgeable) has no place here; keys are made with 65537.
    if (bad === null && jwk.e !== 'AQAB') return 'an RSA key must have the public exponent 65537 (e: AQAB)';
    alg = input.alg === 'PS256' ? 'PS256' : 'RS256';
  } else {
    return 'kty must be EC (P-256), OKP (Ed25519) or RSA';
  }
  if (bad !== null) return bad;
  if (input.alg !== undefined && input.alg !== alg && !(alg === 'EdDSA' && input.alg === 'Ed25519'))
    return `alg ${JSON.stringify(input.alg)} does not go with this key (${alg})`;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as unknown as JWK & { kty: string }, format: 'jwk' });
  } catch {
    return 'not a valid public key';
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (jwk.kty === 'RSA' && (bits === undefined || bits < 2048))
    return `an RSA key must have 2,048 bits or more (this one has ${bits})`;
  return { jwk, alg, key };
}
