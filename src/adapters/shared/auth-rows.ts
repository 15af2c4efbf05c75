import type { ApiKeyRecord, ClientRecord } from '../../ports/credential-store.js';
import type { SigningKeyRecord } from '../../ports/signing-key-store.js';
import type { TestTokenRecord } from '../../ports/token-store.js';

/** A database row as both SQL drivers hand it over: column name to value. */
export type Row = Record<string, unknown>;

// PostgreSQL BIGINT arrives as text (it may exceed 2^53); epoch milliseconds never do.
export const num = (v: unknown): number => Number(v);
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Row mappers shared by the SQLite and PostgreSQL adapters, whose auth tables have the same columns. */
export const apiKeyFromRow = (row: Row): ApiKeyRecord => ({
  accountId: String(row.account_id),
  keyHash: String(row.key_hash),
  keyCipher: String(row.key_cipher),
  createdAt: num(row.created_at),
  expiresAt: numOrNull(row.expires_at),
  lastUsedAt: numOrNull(row.last_used_at),
});

export const clientFromRow = (row: Row): ClientRecord => ({
  accountId: String(row.account_id),
  clientId: String(row.client_id),
  secretHash: String(row.secret_hash),
  secretCipher: String(row.secret_cipher),
  version: num(row.version),
  createdAt: num(row.created_at),
});

export const testTokenFromRow = (row: Row): TestTokenRecord => ({
  accountId: String(row.account_id),
  jti: String(row.jti),
  tokenCipher: String(row.token_cipher),
  issuedAt: num(row.issued_at),
  expiresAt: num(row.expires_at),
});

export const signingKeyFromRow = (row: Row): SigningKeyRecord => ({
  kid: String(row.kid),
  alg: row.alg === 'ES256' ? 'ES256' : 'EdDSA',
  publicJwk: String(row.public_jwk),
  privateCipher: String(row.private_cipher),
  createdAt: num(row.created_at),
  activatesAt: num(row.activates_at),
  retiredAt: numOrNull(row.retired_at),
  removeAfter: numOrNull(row.remove_after),
});
