import { type KeyObject, type SignKeyObjectInput, sign } from 'node:crypto';
import type { LoadedSigningKey } from './signing-keys.js';

/** What signing needs of a key. */
export type SigningKey = Pick<LoadedSigningKey, 'alg' | 'privateKey'>;

/** The part of libsodium (through `sodium-native`) that signs Ed25519. */
interface Sodium {
  crypto_sign_detached(signature: Buffer, message: Buffer, secretKey: Buffer): void;
  crypto_sign_verify_detached(signature: Buffer, message: Buffer, publicKey: Buffer): boolean;
  sodium_malloc(size: number): Buffer;
}

/**
 * libsodium, when its binary loads on this platform. Ed25519 signatures are deterministic (RFC 8032 §5.1.6):
 * libsodium and OpenSSL sign the same input with the same key into the same bytes, and libsodium does it in
 * half the time of Node's `crypto.sign` (18 against 35 µs on the machine of docs/benchmarks.md's session 9).
 * Where the binary does not load, Node's crypto signs.
 */
const sodium: Sodium | undefined = await import('sodium-native').then(
  (loaded) => loaded.default as unknown as Sodium,
  () => undefined,
);

/**
 * libsodium's Ed25519 verification, when it loaded (70 µs against OpenSSL's 125 on session 23's machine; it also
 * refuses keys of small order and non-canonical encodings, which no honest signer makes); undefined otherwise.
 */
export const verifyEd25519: ((signature: Buffer, message: Buffer, publicKey: Buffer) => boolean) | undefined =
  sodium
    ? (signature, message, publicKey) =>
        publicKey.length === 32 && sodium.crypto_sign_verify_detached(signature, message, publicKey)
    : undefined;

/** Which library signs Ed25519, on the event loop and on the signing thread: `libsodium` if it loaded. */
export const ed25519Library: 'libsodium' | 'node' = sodium ? 'libsodium' : 'node';

/**
 * libsodium's form of an Ed25519 private key (the 32-byte seed, then the public key), made once per key in
 * memory that libsodium guards (`sodium_malloc`: kept out of swap, fenced by pages that cannot be read).
 */
const sodiumKeys = new WeakMap<KeyObject, Buffer>();

function sodiumKeyOf(privateKey: KeyObject, library: Sodium): Buffer {
  let secret = sodiumKeys.get(privateKey);
  if (!secret) {
    const { d, x } = privateKey.export({ format: 'jwk' });
    if (privateKey.asymmetricKeyType !== 'ed25519' || typeof d !== 'string' || typeof x !== 'string') {
      throw new Error('not an Ed25519 private key');
    }
    secret = library.sodium_malloc(64);
    Buffer.from(d, 'base64url').copy(secret, 0);
    Buffer.from(x, 'base64url').copy(secret, 32);
    sodiumKeys.set(privateKey, secret);
  }
  return secret;
}

/** The digest and key arguments of `crypto.sign` for a key's JWS algorithm. */
function signArguments(key: SigningKey): [string | null, KeyObject | SignKeyObjectInput] {
  return key.alg === 'EdDSA'
    ? [null, key.privateKey]
    : ['sha256', { key: key.privateKey, dsaEncoding: 'ieee-p1363' }];
}

/**
 * Signs one JWS signing input with the key's algorithm; the signature in base64url (RFC 7515 §5.1). Ed25519
 * through libsodium unless `library` says `node` (or libsodium did not load); ES256 always through Node.
 */
export function signJws(key: SigningKey, input: string, library = ed25519Library): string {
  const message = Buffer.from(input);
  if (key.alg === 'EdDSA' && library === 'libsodium' && sodium) {
    const signature = Buffer.allocUnsafe(64);
    sodium.crypto_sign_detached(signature, message, sodiumKeyOf(key.privateKey, sodium));
    return signature.toString('base64url');
  }
  const [digest, privateKey] = signArguments(key);
  return sign(digest, message, privateKey).toString('base64url');
}
