export interface SigningKeyRecord {
  kid: string;
  alg: 'EdDSA' | 'ES256';
  /** The public JWK, as JSON text. */
  publicJwk: string;
  /** The private JWK, encrypted under the master key. */
  privateCipher: string;
  createdAt: number;
  /** From this time on the key signs new tokens (it is published in the JWKS from createdAt). */
  activatesAt: number;
  /** When a newer key took over signing; null while it is the newest active key. */
  retiredAt: number | null;
  /** Removed from the JWKS after this time (the last token it signed has expired); null while active. */
  removeAfter: number | null;
}

export interface SigningKeyStore {
  /**
   * Adds the key if the newest key (latest `createdAt`, then `kid`) is still `newestKid` (null: there is no key yet),
   * at once for every node; false when another rotation came first. Two nodes that rotate together (a cluster's
   * first start, a scheduled rotation) so make one key, not two.
   */
  addSigningKey(key: SigningKeyRecord, newestKid: string | null): Promise<boolean>;
  /** Every key not yet deleted, oldest first (by `createdAt`, then `kid`). */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  retireSigningKey(kid: string, retiredAt: number, removeAfter: number): Promise<void>;
  deleteSigningKeysRemovedBefore(now: number): Promise<number>;
}
