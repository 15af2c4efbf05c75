import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { seal, unseal } from '../core/auth/sealing.js';
import type { SigningKeyRecord } from '../ports/signing-key-store.js';
import type { ServiceContext } from './context.js';
import { unsealingKeys } from './master-key.js';

/** Longest any token lives (the test token): a retired key stays published this long after it stops signing. */
export const MAX_TOKEN_LIFETIME_MS = 86_400_000;
/** Clock skew allowed between nodes and relying parties. */
const SKEW_MS = 5 * 60_000;

export interface LoadedSigningKey {
  kid: string;
  alg: 'EdDSA' | 'ES256';
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: Record<string, unknown>;
  record: SigningKeyRecord;
}

const aad = (kid: string) => `signing-key:${kid}`;

/** The newest key whose activation time has passed, else the oldest; undefined for none. */
function signingKeyOf(keys: LoadedSigningKey[], now: number): LoadedSigningKey | undefined {
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i] as LoadedSigningKey;
    if (key.record.activatesAt <= now) return key;
  }
  return keys[0];
}

/**
 * The signing keys, loaded from the store and decrypted once, reloaded when another node rotates them.
 * The newest key whose activation time has passed signs; every key not yet removed is published.
 */
export class SigningKeyring {
  #loaded: LoadedSigningKey[] | null = null;
  #loading: Promise<LoadedSigningKey[]> | null = null;

  constructor(private readonly ctx: ServiceContext) {
    ctx.bus.subscribe((event) => {
      if (event.type === 'reset' || event.topic === 'signing-keys') this.#loaded = null;
    });
  }

  async keys(): Promise<LoadedSigningKey[]> {
    if (this.#loaded && this.ctx.bus.healthy()) return this.#loaded;
    this.#loading ??= this.#load().finally(() => {
      this.#loading = null;
    });
    return this.#loading;
  }

  /**
   * The key that signs now; creates the first one on an empty store. At once, with no promise, when the
   * keys are loaded and nothing has invalidated them.
   */
  signingKey(): LoadedSigningKey | Promise<LoadedSigningKey> {
    const loaded = this.#loaded && this.ctx.bus.healthy() ? this.#loaded : null;
    return (loaded && signingKeyOf(loaded, this.ctx.clock.now())) || this.#signingKeyLoading();
  }

  async #signingKeyLoading(): Promise<LoadedSigningKey> {
    let keys = await this.keys();
    if (keys.length === 0) {
      // Several nodes starting on an empty store: one key is made; the others find it.
      await this.#add(undefined, 0, 'EdDSA');
      this.#loaded = null;
      keys = await this.keys();
    }
    const chosen = signingKeyOf(keys, this.ctx.clock.now());
    if (!chosen) throw new Error('no signing key could be created');
    return chosen;
  }

  async findKey(kid: string): Promise<LoadedSigningKey | undefined> {
    const keys = await this.keys();
    return keys.find((k) => k.kid === kid);
  }

  /** Public keys for `/.well-known/jwks.json`. */
  async jwks(): Promise<{ keys: Record<string, unknown>[] }> {
    await this.signingKey();
    const keys = await this.keys();
    return { keys: keys.map((k) => k.publicJwk) };
  }

  /**
   * Makes a new key. It is published at once and signs only after `publishDelayMs`, so relying parties that
   * cache the JWKS learn it first; the key it replaces stays published until its last token has expired.
   */
  async rotate(publishDelayMs: number, alg: 'EdDSA' | 'ES256' = 'EdDSA'): Promise<SigningKeyRecord> {
    // Another node's rotation between our read and our write: read again (it is rare twice in a row).
    for (let attempt = 0; attempt < 5; attempt++) {
      const newest = (await this.ctx.store.signingKeys.listSigningKeys()).at(-1);
      const added = await this.#add(newest, publishDelayMs, alg);
      if (added) return added;
    }
    throw new Error('the signing keys kept changing under this rotation; run it again');
  }

  /**
   * A scheduled rotation (SIGNING_KEY_ROTATION_DAYS): a new key of the same algorithm when the newest is `everyMs`
   * old or older; null when none is due, or another node rotated first. Every node asks; one rotates.
   */
  async rotateIfDue(everyMs: number, publishDelayMs: number): Promise<SigningKeyRecord | null> {
    const newest = (await this.ctx.store.signingKeys.listSigningKeys()).at(-1);
    // No key yet: the first is made at the first token, as on every start.
    if (!newest || this.ctx.clock.now() - newest.createdAt < everyMs) return null;
    return this.#add(newest, publishDelayMs, newest.alg);
  }

  /**
   * Adds a new key if `newest` is still the newest (another node may have rotated since it was read): then retires
   * the others, and tells every node. Null when another rotation came first.
   */
  async #add(
    newest: SigningKeyRecord | undefined,
    publishDelayMs: number,
    alg: 'EdDSA' | 'ES256',
  ): Promise<SigningKeyRecord | null> {
    const now = this.ctx.clock.now();
    // Strictly after the newest, so that it is the newest in the store's order whatever the clocks of two nodes say.
    const createdAt = Math.max(now, (newest?.createdAt ?? 0) + 1);
    const pair =
      alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = this.ctx.random.bytes(12).toString('base64url');
    const publicJwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
    const privateJwk = JSON.stringify(pair.privateKey.export({ format: 'jwk' }));
    const record: SigningKeyRecord = {
      kid,
      alg,
      publicJwk: JSON.stringify(publicJwk),
      privateCipher: seal(this.ctx.masterKey, this.ctx.random.bytes(12), privateJwk, aad(kid)),
      createdAt,
      activatesAt: now + publishDelayMs,
      retiredAt: null,
      removeAfter: null,
    };
    if (!(await this.ctx.store.signingKeys.addSigningKey(record, newest?.kid ?? null))) return null;
    // Only the keys before this one in the store's order: a rotation that came just after this one (by hand, on
    // another node) made a newer key, which this one must not retire.
    const previous = (await this.ctx.store.signingKeys.listSigningKeys()).filter(
      (k) => k.retiredAt === null && (k.createdAt < createdAt || (k.createdAt === createdAt && k.kid < kid)),
    );
    for (const old of previous) {
      await this.ctx.store.signingKeys.retireSigningKey(
        old.kid,
        record.activatesAt,
        record.activatesAt + MAX_TOKEN_LIFETIME_MS + SKEW_MS,
      );
    }
    await this.ctx.store.signingKeys.deleteSigningKeysRemovedBefore(now);
    this.#loaded = null;
    await this.ctx.bus.publish('signing-keys', kid);
    return record;
  }

  async #load(): Promise<LoadedSigningKey[]> {
    const now = this.ctx.clock.now();
    const records = await this.ctx.store.signingKeys.listSigningKeys();
    const loaded = records
      .filter((r) => r.removeAfter === null || r.removeAfter >= now)
      .map((record) => {
        const privateJwk = JSON.parse(unseal(unsealingKeys(this.ctx), record.privateCipher, aad(record.kid)));
        const privateKey = createPrivateKey({ key: privateJwk, format: 'jwk' });
        return {
          kid: record.kid,
          alg: record.alg,
          privateKey,
          publicKey: createPublicKey(privateKey),
          publicJwk: JSON.parse(record.publicJwk) as Record<string, unknown>,
          record,
        };
      });
    this.#loaded = loaded;
    return loaded;
  }
}
