import type {
  AccountFlag,
  AccountLimits,
  AccountRateLimit,
  AccountRecord,
  AccountStatus,
} from '../../ports/account-store.js';
import type { AuditEvent } from '../../ports/audit-store.js';
import type { ApiKeyRecord, ClientKeyRecord, ClientRecord } from '../../ports/credential-store.js';
import type {
  OperatorListing,
  OperatorPasskeyRecord,
  OperatorRecord,
  OperatorSessionRecord,
  OperatorTokenRecord,
  OperatorTotpRecord,
} from '../../ports/operator-store.js';
import type { SigningKeyRecord } from '../../ports/signing-key-store.js';
import type { TestTokenRecord } from '../../ports/token-store.js';

/** A database row as both SQL drivers hand it over: column name to value. */
export type Row = Record<string, unknown>;

// PostgreSQL BIGINT arrives as text (it may exceed 2^53); epoch milliseconds never do.
export const num = (v: unknown): number => Number(v);
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
/** A boolean column: PostgreSQL's boolean, or SQLite's 0/1 (a number or, read as such, a bigint). */
const isTrue = (v: unknown): boolean => v === true || v === 1 || v === 1n;

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
  lastUsedAt: numOrNull(row.last_used_at),
  previous:
    row.previous_client_id === null || row.previous_client_id === undefined
      ? null
      : {
          clientId: String(row.previous_client_id),
          secretHash: String(row.previous_secret_hash),
          version: num(row.previous_version),
          until: num(row.previous_until),
          lastUsedAt: numOrNull(row.previous_last_used_at),
        },
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

const ACCOUNT_STATUSES: readonly AccountStatus[] = ['active', 'suspended', 'deleted'];

/** An account's own request rate: both columns set, else none (the server's applies). */
export const rateLimitFromRow = (row: Row): AccountRateLimit | null => {
  const perSecond = numOrNull(row.rate_per_second);
  const burst = numOrNull(row.rate_burst);
  return perSecond === null || burst === null ? null : { perSecond, burst };
};

/** The column of each account flag. */
export const FLAG_COLUMNS: Record<AccountFlag, string> = {
  signedAssertionsOnly: 'assertions_only',
  dpopRequired: 'dpop_required',
  certificateRequired: 'certificate_required',
};

/**
 * A suspended account's end, when it has one: one set for this suspension (`suspension_end_for` its start). A node of
 * an earlier version (during a rolling upgrade) resumes and suspends without touching these columns, and must not
 * leave an old end behind that would resume a later suspension (resumeDueAccounts asks the same).
 */
function suspensionEnd(row: Row): number | null {
  const until = numOrNull(row.suspended_until);
  return row.status === 'suspended' &&
    until !== null &&
    numOrNull(row.suspension_end_for) === numOrNull(row.status_changed_at)
    ? until
    : null;
}

export const accountFromRow = (row: Row): AccountRecord => {
  const status = ACCOUNT_STATUSES.find((s) => s === row.status);
  // A status this code does not know refuses the account's credentials rather than accept them.
  return {
    accountId: String(row.account_id),
    createdAt: num(row.created_at),
    status: status ?? 'suspended',
    statusChangedAt: numOrNull(row.status_changed_at),
    suspendedUntil: suspensionEnd(row),
    rateLimit: rateLimitFromRow(row),
    // Only NULL is any address; a damaged value reads as none (every call refused), never as any.
    allowedNetworks: row.allowed_networks === null ? null : stringList(row.allowed_networks),
    signedAssertionsOnly: isTrue(row.assertions_only),
    dpopRequired: isTrue(row.dpop_required),
    certificateRequired: isTrue(row.certificate_required),
  };
};

/** What of an account each node keeps in memory for its requests (AccountLimits). */
export const limitsOf = ({ accountId, rateLimit, allowedNetworks }: AccountRecord): AccountLimits => ({
  accountId,
  rateLimit,
  allowedNetworks,
});

export const operatorFromRow = (row: Row): OperatorRecord => ({
  username: String(row.username),
  passwordHash: String(row.password_hash),
  role: row.role === 'viewer' ? 'viewer' : 'admin',
  // Only NULL is every account; anything but a list of names (a damaged row, a query without the column) reads
  // as none, never as every account.
  accounts: row.accounts === null ? null : stringList(row.accounts),
  createdAt: num(row.created_at),
});

export const sessionFromRow = (row: Row): OperatorSessionRecord => ({
  idHash: String(row.id_hash),
  id: String(row.id),
  username: String(row.username),
  csrfToken: String(row.csrf_token),
  createdAt: num(row.created_at),
  expiresAt: num(row.expires_at),
  lastSeenAt: num(row.last_seen_at),
  address: strOrNull(row.address),
  userAgent: strOrNull(row.user_agent),
  signedInWith:
    row.signed_in_with === 'sso' || row.signed_in_with === 'passkey' ? row.signed_in_with : 'password',
  provider:
    row.provider_subject === null || row.provider_subject === undefined
      ? null
      : { subject: String(row.provider_subject), session: strOrNull(row.provider_session) },
});

/**
 * A row of `operators` with `totp_enabled` (1 or 0, true or false) from a join with `operator_totp`, and `passkeys`
 * (their count).
 */
export const operatorListingFromRow = (row: Row): OperatorListing => ({
  ...operatorFromRow(row),
  totpEnabled: row.totp_enabled === true || row.totp_enabled === 1 || row.totp_enabled === 1n,
  passkeys: num(row.passkeys),
});

export const totpFromRow = (row: Row): OperatorTotpRecord => ({
  username: String(row.username),
  secretCipher: String(row.secret_cipher),
  createdAt: num(row.created_at),
  enabledAt: numOrNull(row.enabled_at),
  lastStep: numOrNull(row.last_step),
  recoveryCodes: stringList(row.recovery_codes),
});

export const passkeyFromRow = (row: Row): OperatorPasskeyRecord => ({
  id: String(row.id),
  username: String(row.username),
  name: String(row.name),
  publicKey: String(row.public_key),
  counter: num(row.counter),
  transports: stringList(row.transports),
  createdAt: num(row.created_at),
  lastUsedAt: numOrNull(row.last_used_at),
});

/** A JSON array of strings (SQLite's text, PostgreSQL's parsed JSONB); anything else reads as none. */
function stringList(value: unknown): string[] {
  let list = value;
  if (typeof value === 'string') {
    try {
      list = JSON.parse(value);
    } catch {
      return [];
    }
  }
  return Array.isArray(list) ? list.filter((v): v is string => typeof v === 'string') : [];
}

export const operatorTokenFromRow = (row: Row): OperatorTokenRecord => ({
  id: String(row.id),
  tokenHash: String(row.token_hash),
  username: String(row.username),
  name: String(row.name),
  createdAt: num(row.created_at),
  expiresAt: numOrNull(row.expires_at),
  lastUsedAt: numOrNull(row.last_used_at),
  role: row.role === 'viewer' ? 'viewer' : null,
});

/** `detail` is JSON text in SQLite and already parsed JSONB in PostgreSQL. */
export const auditEventFromRow = (row: Row): AuditEvent => ({
  id: String(row.id),
  at: num(row.at),
  actor: String(row.actor),
  accountId: strOrNull(row.account_id),
  action: String(row.action),
  address: strOrNull(row.address),
  detail: (typeof row.detail === 'string' ? JSON.parse(row.detail) : row.detail) as AuditEvent['detail'],
});

export const clientKeyFromRow = (row: Row): ClientKeyRecord => ({
  accountId: String(row.account_id),
  kid: String(row.kid),
  alg: String(row.alg),
  publicJwk: String(row.public_jwk),
  createdAt: num(row.created_at),
  lastUsedAt: numOrNull(row.last_used_at),
});
