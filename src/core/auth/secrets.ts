import { hash, timingSafeEqual } from 'node:crypto';

/**
 * Recognisable prefixes so secret scanners can find leaked values:
 * v1 API keys, v2 client secrets (passwords), v2 client ids (user IDs), operator API tokens.
 */
export const API_KEY_PREFIX = 'orch_key_';
export const CLIENT_SECRET_PREFIX = 'orch_secret_';
export const CLIENT_ID_PREFIX = 'orch_client_';
export const OPERATOR_TOKEN_PREFIX = 'orch_admin_';

/** 32 random bytes (256 bits) as base64url after a prefix. */
export function formatSecret(prefix: string, random: Buffer): string {
  if (random.length < 32) throw new TypeError('a secret needs at least 32 random bytes');
  return prefix + random.toString('base64url');
}

/** A client id: not secret, but unguessable enough that ids cannot be enumerated. */
export function formatClientId(random: Buffer): string {
  return CLIENT_ID_PREFIX + random.subarray(0, 12).toString('base64url');
}

/** SHA-256 of a secret, hex: secrets carry 256 bits of entropy, so a fast hash is the right look-up key. */
export function hashSecret(secret: string): string {
  // One-shot hash: about a quarter of the cost of a Hash object for a value this short.
  return hash('sha256', secret, 'hex');
}

/** Compares two strings in time that depends only on their lengths (hash both to fix even that). */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = hash('sha256', a, 'buffer');
  const hb = hash('sha256', b, 'buffer');
  return timingSafeEqual(ha, hb);
}

/**
 * Compares two SHA-256 digests in hex in constant time. Both have the same public length, so unlike
 * constantTimeEqual they need no hashing again; a malformed stored value simply does not match.
 */
export function digestsEqual(aHex: string, bHex: string): boolean {
  if (aHex.length !== 64 || bHex.length !== 64) return false;
  return timingSafeEqual(Buffer.from(aHex, 'hex'), Buffer.from(bHex, 'hex'));
}

/** Shape check before any look-up, so junk never reaches the store. */
export function looksLikeSecret(value: string, prefix: string): boolean {
  return (
    value.length === prefix.length + 43 &&
    value.startsWith(prefix) &&
    /^[A-Za-z0-9_-]+$/.test(value.slice(prefix.length))
  );
}
