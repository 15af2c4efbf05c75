import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';

/**
 * AES-256-GCM under the master key, for secrets the web app must show again (the v1 key, the client secret,
 * the test token) and for private signing keys. The associated data binds a ciphertext to its row (account
 * and purpose), so a ciphertext copied into another row does not decrypt. Format:
 * `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url parts), the key id naming the master key for rotation.
 */
export function masterKeyId(masterKey: Buffer): string {
  return createHash('sha256').update(masterKey).digest('base64url').slice(0, 8);
}

export function seal(masterKey: Buffer, iv: Buffer, plaintext: string, associatedData: string): string {
  if (masterKey.length !== 32) throw new TypeError('the master key must be 32 bytes');
  if (iv.length !== 12) throw new TypeError('the IV must be 12 bytes');
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    'v1',
    masterKeyId(masterKey),
    iv.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
    body.toString('base64url'),
  ].join('.');
}

export class UnsealError extends Error {
  override name = 'UnsealError';
}

/**
 * Decrypts what `seal` made, with whichever of `masterKeys` sealed it (a previous key stays usable during a
 * rotation); throws UnsealError for an unknown key, wrong associated data or a damaged value.
 */
export function unseal(
  masterKeys: Buffer | readonly Buffer[],
  sealed: string,
  associatedData: string,
): string {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== 'v1') throw new UnsealError('unknown sealed format');
  const [, keyId, iv, tag, body] = parts as [string, string, string, string, string];
  const candidates = Buffer.isBuffer(masterKeys) ? [masterKeys] : masterKeys;
  const masterKey = candidates.find((key) => masterKeyId(key) === keyId);
  if (!masterKey) throw new UnsealError('sealed under another master key');
  try {
    const decipher = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new UnsealError('the sealed value does not authenticate');
  }
}

/** Which master key sealed a value (for rotation), or null for an unknown format. */
export function sealedKeyId(sealed: string): string | null {
  const parts = sealed.split('.');
  return parts.length === 5 && parts[0] === 'v1' ? (parts[1] ?? null) : null;
}
