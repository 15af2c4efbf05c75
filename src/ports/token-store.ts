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
  /** Deletes revocations and test tokens whose token has expired before `now`; returns how many. */
  purgeExpiredTokens(now: number): Promise<number>;
}
