export interface TestTokenRecord {
  accountId: string;
  jti: string;
  tokenCipher: string;
  issuedAt: number;
  expiresAt: number;
}

/** Revoked token ids and the per-account token for testing. */
export interface TokenStore {
  revokeToken(jti: string, accountId: string, expiresAt: number): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
  /** Stores the account's test token and returns the one it replaced, atomically. */
  replaceTestToken(next: TestTokenRecord): Promise<TestTokenRecord | null>;
  getTestToken(accountId: string): Promise<TestTokenRecord | null>;
  /** Deletes the account's test token, if any (its revocations stay until they expire). */
  deleteTestToken(accountId: string): Promise<void>;
  /**
   * Records that a client used the assertion `jti` (RFC 7523 §3: an assertion is used once), kept until it expires;
   * false when that client used it already — the same answer on every node, whichever asks first.
   */
  useClientAssertion(clientId: string, jti: string, expiresAt: number): Promise<boolean>;
  /** Deletes revocations and test tokens that expired before `now`; returns how many. */
  purgeExpiredTokens(now: number): Promise<number>;
  /**
   * Deletes up to `limit` used assertions (and DPoP proofs) whose time ran out before `now`, oldest first; returns
   * how many. Busy DPoP clients leave thousands a second: they are purged in small batches, as the policy log is.
   */
  purgeUsedAssertionsBefore(now: number, limit: number): Promise<number>;
}
