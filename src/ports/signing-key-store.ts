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
  addSigningKey(key: SigningKeyRecord): Promise<void>;
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  retireSigningKey(kid: string, retiredAt: number, removeAfter: number): Promise<void>;
  deleteSigningKeysRemovedBefore(now: number): Promise<number>;
}
