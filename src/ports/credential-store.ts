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
  /** When the client last got a token (or logged in), rounded down to the minute; null: not since it was made. */
  lastUsedAt: number | null;
  /**
   * The user ID and password it replaced, while they still work (a regeneration with a grace period): until `until`,
   * they authenticate as their own credentials version, and the tokens of that version are taken. Null: none.
   */
  previous: PreviousClient | null;
}

/** The credentials a client replaced, kept through a grace period: no password copy, only its hash. */
export interface PreviousClient {
  clientId: string;
  secretHash: string;
  /**
   * Their credentials version (the one before the current, unless a node of an older version regenerated the
   * credentials since without knowing of them: then older, and that one's tokens are not taken).
   */
  version: number;
  /** When they stop working (epoch ms); the store keeps them until the next regeneration. */
  until: number;
  /** Their last use, rounded down to the minute (carried over from before the regeneration). */
  lastUsedAt: number | null;
}

/**
 * A public key an account's client signs its assertions with (RFC 7523 client authentication, `private_key_jwt`):
 * the JWK as JSON text, public members only.
 */
export interface ClientKeyRecord {
  accountId: string;
  /** The key's id: the JWK's `kid`, or else its RFC 7638 thumbprint. */
  kid: string;
  /**
   * The signature algorithm it verifies: RS256, PS256, ES256 or EdDSA; or `tls_client_auth` for a certificate
   * subject (RFC 8705 §2.1), which is no key.
   */
  alg: string;
  /** The public JWK (JSON); for a certificate subject, its RFC 8705 §2.1.2 member (`{"tls_client_auth_san_dns":…}`). */
  publicJwk: string;
  createdAt: number;
  /** When it last authenticated the client, rounded down to the minute; null or absent: never. */
  lastUsedAt?: number | null;
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
  /**
   * Replaces the account's client (not used yet: its lastUsedAt is null); the stored version becomes the previous one
   * plus one, and is returned. With `previousUntil`, the client replaced becomes `previous` until then (one replaced
   * before it is forgotten); without, there is no previous one any more. One atomic step.
   */
  replaceClient(
    next: Omit<ClientRecord, 'version' | 'lastUsedAt' | 'previous'>,
    previousUntil?: number | null,
  ): Promise<number>;
  /** Records a use of the client `clientId` (current or previous); only moves that one's lastUsedAt forward. */
  touchClient(clientId: string, usedAt: number): Promise<void>;
  /** The client whose user ID, or previous user ID (whether or not still in its grace period), is `clientId`. */
  findClientById(clientId: string): Promise<ClientRecord | null>;
  findClientByAccount(accountId: string): Promise<ClientRecord | null>;
  /** Deletes the account's API keys (grace-period ones too), its client and its client keys, in one transaction. */
  deleteAccountCredentials(accountId: string): Promise<void>;
  /** The account's client keys, oldest first. */
  listClientKeys(accountId: string): Promise<ClientKeyRecord[]>;
  /** Adds a client key; false when the account has one of that `kid` already. */
  addClientKey(key: ClientKeyRecord): Promise<boolean>;
  /** Deletes one client key; false when there was none. */
  deleteClientKey(accountId: string, kid: string): Promise<boolean>;
  /** Records a use of one client key; only moves lastUsedAt forward. */
  touchClientKey(accountId: string, kid: string, usedAt: number): Promise<void>;
}
