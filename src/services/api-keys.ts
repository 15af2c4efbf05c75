import { seal, unseal } from '../core/auth/sealing.js';
import { API_KEY_PREFIX, formatSecret, hashSecret, looksLikeSecret } from '../core/auth/secrets.js';
import { BoundedMap } from '../core/bounded-map.js';
import { AppError } from '../core/errors.js';
import type { ServiceContext } from './context.js';
import { unsealingKeys } from './master-key.js';
import { UseRecorder } from './use-recorder.js';

export const MAX_GRACE_SECONDS = 86_400;

/** A regeneration's grace period (the v1 key's, the v2 credentials'): a whole number of seconds up to a day. */
export function requireGraceSeconds(graceSeconds: number): void {
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_GRACE_SECONDS)
    throw new AppError(
      'validation_failed',
      `graceSeconds must be a whole number from 0 to ${MAX_GRACE_SECONDS}`,
    );
}
/** A remembered answer is checked against the store again after this long, message or not. */
export const CACHE_MAX_AGE_MS = 60_000;
const aad = (accountId: string) => `api-key:${accountId}`;

interface CachedKey {
  accountId: string;
  expiresAt: number | null;
  /** The account was suspended when the key was read (a status change drops the entry on every node). */
  suspended: boolean;
}

/** What `verify` answers for a key that is right but whose account is suspended. */
export const ACCOUNT_SUSPENDED = Symbol('account suspended');
export type KeyCheck = string | null | typeof ACCOUNT_SUSPENDED;

export interface ApiKeyView {
  key: string;
  createdAt: number;
  lastUsedAt: number | null;
  /** Older keys still in their grace period. */
  previous: { createdAt: number; expiresAt: number; lastUsedAt: number | null }[];
}

/**
 * v1 API keys: one per account, 256 random bits behind a recognisable prefix, stored as a SHA-256 hash
 * (look-up) and an AES-256-GCM ciphertext (display). Verified keys are cached per node; a regeneration
 * anywhere drops the account's entries on every node through the bus.
 */
export class ApiKeyService {
  readonly #cache = new BoundedMap<string, CachedKey>(50_000, CACHE_MAX_AGE_MS);
  readonly #uses: UseRecorder;
  #generation = 0;

  constructor(private readonly ctx: ServiceContext) {
    this.#uses = new UseRecorder(ctx, 'API key', (hash, minute) =>
      ctx.store.credentials.touchApiKey(hash, minute),
    );
    ctx.bus.subscribe((event) => {
      this.#generation++;
      if (event.type === 'reset') this.#cache.clear();
      else if (event.topic === 'api-key') this.#dropAccount(event.key);
    });
  }

  /**
   * The account that owns `presented`, null for a key that is unknown, malformed or past its grace period,
   * or ACCOUNT_SUSPENDED. Answers synchronously when the node already knows the key (the hot path), else
   * reads the store.
   */
  verify(presented: string): KeyCheck | Promise<KeyCheck> {
    if (!looksLikeSecret(presented, API_KEY_PREFIX)) return null;
    const hash = hashSecret(presented);
    const now = this.ctx.clock.now();
    const useCache = this.ctx.bus.healthy();
    const cached = useCache ? this.#cache.get(hash, now) : undefined;
    if (cached) return this.#accept(cached, hash, now);
    return this.#verifyFromStore(hash, now, useCache);
  }

  async #verifyFromStore(hash: string, now: number, useCache: boolean): Promise<KeyCheck> {
    const generation = this.#generation;
    const record = await this.ctx.store.credentials.findApiKeyByHash(hash);
    if (!record) return null;
    const account = await this.ctx.store.accounts.getAccount(record.accountId);
    if (account?.status !== 'active' && account?.status !== 'suspended') return null;
    const entry = {
      accountId: record.accountId,
      expiresAt: record.expiresAt,
      suspended: account.status === 'suspended',
    };
    // An invalidation that arrived while we read must win over what we read.
    if (useCache && generation === this.#generation) this.#cache.set(hash, entry, now);
    return this.#accept(entry, hash, now);
  }

  #accept(entry: CachedKey, hash: string, now: number): KeyCheck {
    if (entry.expiresAt !== null && entry.expiresAt <= now) return null;
    if (entry.suspended) return ACCOUNT_SUSPENDED;
    this.#uses.record(hash, now);
    return entry.accountId;
  }

  /** Makes a new key; older keys stop at once, or after `graceSeconds`. Returns the new key. */
  async regenerate(accountId: string, graceSeconds = 0): Promise<string> {
    requireGraceSeconds(graceSeconds);
    const now = this.ctx.clock.now();
    const key = formatSecret(API_KEY_PREFIX, this.ctx.random.bytes(32));
    await this.ctx.store.credentials.replaceApiKey(
      {
        accountId,
        keyHash: hashSecret(key),
        keyCipher: seal(this.ctx.masterKey, this.ctx.random.bytes(12), key, aad(accountId)),
        createdAt: now,
      },
      graceSeconds === 0 ? null : now + graceSeconds * 1000,
    );
    this.#dropAccount(accountId);
    await this.ctx.bus.publish('api-key', accountId);
    return key;
  }

  async reveal(accountId: string): Promise<ApiKeyView | null> {
    const now = this.ctx.clock.now();
    const keys = await this.ctx.store.credentials.listApiKeys(accountId);
    const current = keys.find((k) => k.expiresAt === null);
    if (!current) return null;
    return {
      key: unseal(unsealingKeys(this.ctx), current.keyCipher, aad(accountId)),
      createdAt: current.createdAt,
      lastUsedAt: current.lastUsedAt,
      previous: keys
        .filter((k) => k.expiresAt !== null && k.expiresAt > now)
        .map((k) => ({ createdAt: k.createdAt, expiresAt: k.expiresAt as number, lastUsedAt: k.lastUsedAt })),
    };
  }

  /**
   * Forgets what every node knows of the account's keys: after its status changed. This node's first, so that a
   * bus that fails to send (SQLite's writes its event before it delivers it) cannot leave this node trusting them.
   */
  async forgetAccount(accountId: string): Promise<void> {
    this.#dropAccount(accountId);
    await this.ctx.bus.publish('api-key', accountId);
  }

  #dropAccount(accountId: string): void {
    for (const [hash, entry] of this.#cache.entries())
      if (entry.accountId === accountId) this.#cache.delete(hash);
  }
}
