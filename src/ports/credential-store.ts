/** A v1 API key at rest: SHA-256 hash for look-up, AES-256-GCM ciphertext for display. */
export interface ApiKeyRecord {
  accountId: string;
  keyHash: string;
  keyCipher: string;
  createdAt: number;
  /** null for the current key; for a replaced key still in its grace period, when it stops working. */
  expiresAt: number | null;
  /** Last successful use, rounded down to the minute. */
  lastUsedAt: number | null;
}

/** The v2 client (user ID + password) of an account. */
export interface ClientRecord {
  accountId: string;
  clientId: string;
  secretHash: string;
  secretCipher: string;
  /** Increases by one at every regeneration; tokens carry it so older ones are refused. */
  version: number;
  createdAt: number;
}

export interface CredentialStore {
  /**
   * Makes `next` the account's current key. Every older key of the account is deleted when `graceUntil`
   * is null, or else keeps working until `graceUntil` (never later than an expiry it already had).
   */
  replaceApiKey(
    next: Pick<ApiKeyRecord, 'accountId' | 'keyHash' | 'keyCipher' | 'createdAt'>,
    graceUntil: number | null,
  ): Promise<void>;
  findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  /** The current key and any still in their grace period, newest first. */
  listApiKeys(accountId: string): Promise<ApiKeyRecord[]>;
  /** Records a use; only moves lastUsedAt forward. */
  touchApiKey(keyHash: string, usedAt: number): Promise<void>;
  /** Replaces the account's client; the stored version becomes the previous one plus one, and is returned. */
  replaceClient(next: Omit<ClientRecord, 'version'>): Promise<number>;
  findClientById(clientId: string): Promise<ClientRecord | null>;
  findClientByAccount(accountId: string): Promise<ClientRecord | null>;
  /** Deletes the account's API keys (grace-period ones too) and its client, in one transaction. */
  deleteAccountCredentials(accountId: string): Promise<void>;
}
