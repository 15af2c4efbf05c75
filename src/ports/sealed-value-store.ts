/**
 * What a sealed value is: the v1 key, the client secret, the token for testing, the private signing key, an
 * operator's one-time-password secret. The kind is also the prefix of the value's associated data
 * (`<kind>:<owner>`).
 */
export type SealedKind = 'api-key' | 'client-secret' | 'test-token' | 'signing-key' | 'operator-totp';

/** Names one sealed value: its kind and the key of its row (key hash, account id, account id, kid, username). */
export interface SealedRef {
  kind: SealedKind;
  key: string;
}

export interface SealedValue {
  ref: SealedRef;
  /** The account (or, for a signing key, the kid) the value is bound to by its associated data. */
  owner: string;
  cipher: string;
}

/** Every sealed value in the store, for re-sealing them under a new master key. */
export interface SealedValueStore {
  /**
   * Up to `limit` values after `after` (null: from the start), in a stable order: kinds in the order of
   * SEALED_KINDS, rows by key. Fewer than `limit` means the end was reached.
   */
  listSealed(after: SealedRef | null, limit: number): Promise<SealedValue[]>;
  /**
   * Compare-and-set: stores `next` only if the value still is `expected`, so a secret regenerated in the
   * meantime is never overwritten. Returns whether it was stored.
   */
  replaceSealed(ref: SealedRef, expected: string, next: string): Promise<boolean>;
}

export const SEALED_KINDS: readonly SealedKind[] = [
  'api-key',
  'client-secret',
  'test-token',
  'signing-key',
  'operator-totp',
];
