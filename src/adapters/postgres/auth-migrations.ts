import type { PostgresMigration } from './database.js';

/** Times are BIGINT milliseconds since the epoch, as in every other adapter. */
export const authMigrations: PostgresMigration[] = [
  {
    id: 'auth-001',
    sql: `
      CREATE TABLE accounts (account_id TEXT PRIMARY KEY, created_at BIGINT NOT NULL);
      CREATE TABLE api_keys (
        key_hash TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts(account_id),
        key_cipher TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        last_used_at BIGINT
      );
      CREATE INDEX api_keys_account ON api_keys(account_id);
      CREATE TABLE clients (
        client_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL UNIQUE REFERENCES accounts(account_id),
        secret_hash TEXT NOT NULL,
        secret_cipher TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE revoked_tokens (jti TEXT PRIMARY KEY, account_id TEXT NOT NULL, expires_at BIGINT NOT NULL);
      CREATE INDEX revoked_tokens_expiry ON revoked_tokens(expires_at);
      CREATE TABLE test_tokens (
        account_id TEXT PRIMARY KEY,
        jti TEXT NOT NULL,
        token_cipher TEXT NOT NULL,
        issued_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX test_tokens_expiry ON test_tokens(expires_at);
      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        private_cipher TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        activates_at BIGINT NOT NULL,
        retired_at BIGINT,
        remove_after BIGINT
      );
      CREATE TABLE operators (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, created_at BIGINT NOT NULL);
      CREATE TABLE operator_sessions (
        id_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES operators(username),
        csrf_token TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX operator_sessions_username ON operator_sessions(username);
      CREATE TABLE operator_tokens (
        token_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES operators(username),
        name TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE audit_events (
        id TEXT PRIMARY KEY,
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        account_id TEXT,
        action TEXT NOT NULL,
        address TEXT,
        detail JSONB NOT NULL
      );
      CREATE INDEX audit_events_account_at ON audit_events(account_id, at);
      CREATE INDEX audit_events_at ON audit_events(at);
    `,
  },
  {
    // Events of the same millisecond list in the order they were appended.
    id: 'auth-002',
    sql: 'ALTER TABLE audit_events ADD COLUMN seq BIGSERIAL',
  },
  {
    // Operator API tokens can be listed (by a public id), revoked, made to expire, and show their last use.
    id: 'auth-003',
    sql: `
      ALTER TABLE operator_tokens ADD COLUMN id TEXT, ADD COLUMN expires_at BIGINT, ADD COLUMN last_used_at BIGINT;
      UPDATE operator_tokens SET id = md5(token_hash || random()::text);
      ALTER TABLE operator_tokens ALTER COLUMN id SET NOT NULL;
      CREATE UNIQUE INDEX operator_tokens_id ON operator_tokens(id);
      CREATE INDEX operator_tokens_username ON operator_tokens(username);
    `,
  },
  {
    // Roles: the operators there were could do everything, and still can.
    id: 'auth-004',
    sql: `ALTER TABLE operators ADD COLUMN role TEXT NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'viewer'))`,
  },
  {
    // Operators' one-time-password secrets (RFC 6238), sealed like every other secret.
    id: 'auth-005',
    sql: `
      CREATE TABLE operator_totp (
        username TEXT PRIMARY KEY REFERENCES operators(username),
        secret_cipher TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        enabled_at BIGINT,
        last_step BIGINT
      );
    `,
  },
  {
    // Accounts can be suspended (every credential refused) and deleted (a tombstone until their tokens expire).
    id: 'auth-006',
    sql: `
      ALTER TABLE accounts ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'suspended', 'deleted'));
      ALTER TABLE accounts ADD COLUMN status_changed_at BIGINT;
    `,
  },
  {
    // Recovery codes of one-time codes: the hashes of those not used yet, as a JSON array.
    id: 'auth-007',
    sql: `ALTER TABLE operator_totp ADD COLUMN recovery_codes JSONB NOT NULL DEFAULT '[]'::jsonb`,
  },
  {
    // Operators limited to some accounts: a JSON array of account ids; NULL (every operator until now) is every account.
    id: 'auth-008',
    sql: `ALTER TABLE operators ADD COLUMN accounts JSONB`,
  },
  {
    // An account's own request rate (both NULL: the server's ACCOUNT_RATE_LIMIT applies).
    id: 'auth-009',
    sql: `
      ALTER TABLE accounts ADD COLUMN rate_per_second INTEGER CHECK (rate_per_second BETWEEN 0 AND 1000000);
      ALTER TABLE accounts ADD COLUMN rate_burst INTEGER CHECK (rate_burst BETWEEN 1 AND 10000000);
    `,
  },
  {
    // The networks an account's credentials are accepted from, as a JSON array (NULL: any address).
    id: 'auth-010',
    sql: `ALTER TABLE accounts ADD COLUMN allowed_networks JSONB`,
  },
  {
    // Operators see their sessions and end them: a public id, where each signed in from, and its browser.
    id: 'auth-011',
    sql: `
      ALTER TABLE operator_sessions ADD COLUMN id TEXT;
      ALTER TABLE operator_sessions ADD COLUMN address TEXT;
      ALTER TABLE operator_sessions ADD COLUMN user_agent TEXT;
      UPDATE operator_sessions SET id = md5(id_hash || random()::text);
      CREATE UNIQUE INDEX operator_sessions_id ON operator_sessions(id);
    `,
  },
  {
    // The audit events by an operator or about them (detail.username), newest first.
    id: 'auth-012',
    sql: `
      CREATE INDEX audit_events_actor_at ON audit_events(actor, at);
      CREATE INDEX audit_events_username_at ON audit_events((detail->>'username'), at);
    `,
  },
  {
    // An operator API token may act as a viewer whatever its operator's role (null: the operator's role).
    id: 'auth-013',
    sql: 'ALTER TABLE operator_tokens ADD COLUMN role TEXT',
  },
  {
    // Operators' passkeys (WebAuthn credentials), a second factor beside one-time codes.
    id: 'auth-014',
    sql: `
      CREATE TABLE operator_passkeys (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES operators(username),
        name TEXT NOT NULL,
        public_key TEXT NOT NULL,
        counter BIGINT NOT NULL,
        transports JSONB NOT NULL DEFAULT '[]'::jsonb,
        created_at BIGINT NOT NULL,
        last_used_at BIGINT
      );
      CREATE INDEX operator_passkeys_username ON operator_passkeys(username, created_at);
    `,
  },
  {
    // How a session signed in: 'password' (with a second factor when the operator has one) or 'sso'.
    id: 'auth-015',
    sql: `ALTER TABLE operator_sessions ADD COLUMN signed_in_with TEXT NOT NULL DEFAULT 'password'`,
  },
  {
    // A single sign-on session's person (sub) and session (sid) at the provider, for its back-channel logout.
    id: 'auth-016',
    sql: `
      ALTER TABLE operator_sessions ADD COLUMN provider_subject TEXT;
      ALTER TABLE operator_sessions ADD COLUMN provider_session TEXT;
      CREATE INDEX operator_sessions_provider_subject ON operator_sessions(provider_subject);
      CREATE INDEX operator_sessions_provider_session ON operator_sessions(provider_session);
    `,
  },
  {
    // A session's last request, to the minute, for OPERATOR_SESSION_IDLE_MINUTES; sessions from before: the upgrade
    // (their sign-in would end every one older than the idle limit at once).
    id: 'auth-017',
    sql: `
      ALTER TABLE operator_sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
      UPDATE operator_sessions SET last_seen_at = (extract(epoch FROM now()) * 1000)::bigint;
    `,
  },
  {
    // Accounts' public keys for signed client assertions (RFC 7523, private_key_jwt), and the assertions used.
    id: 'auth-018',
    sql: `
      CREATE TABLE client_keys (
        account_id TEXT NOT NULL,
        kid TEXT NOT NULL,
        alg TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, kid)
      );
      CREATE TABLE client_assertions (
        client_id TEXT NOT NULL,
        jti TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (client_id, jti)
      );
      CREATE INDEX client_assertions_expires_at ON client_assertions(expires_at);
    `,
  },
  {
    // An account whose v2 client authenticates with signed assertions alone (its password refused).
    id: 'auth-019',
    sql: `ALTER TABLE accounts ADD COLUMN assertions_only BOOLEAN NOT NULL DEFAULT false`,
  },
  {
    // An account whose access tokens must be bound to a key of its client's (RFC 9449, DPoP).
    id: 'auth-020',
    sql: `ALTER TABLE accounts ADD COLUMN dpop_required BOOLEAN NOT NULL DEFAULT false`,
  },
  {
    // An account whose access tokens must be bound to a client certificate of its keys (RFC 8705, mutual TLS).
    id: 'auth-021',
    sql: `ALTER TABLE accounts ADD COLUMN certificate_required BOOLEAN NOT NULL DEFAULT false`,
  },
  {
    // When an account's client, and each of its keys, last authenticated (to the minute), as API keys have.
    id: 'auth-022',
    sql: `
      ALTER TABLE clients ADD COLUMN last_used_at BIGINT;
      ALTER TABLE client_keys ADD COLUMN last_used_at BIGINT;
    `,
  },
  {
    // The user ID and password a regeneration replaced, kept through its grace period (their hash only).
    id: 'auth-023',
    sql: `
      ALTER TABLE clients ADD COLUMN previous_client_id TEXT;
      ALTER TABLE clients ADD COLUMN previous_secret_hash TEXT;
      ALTER TABLE clients ADD COLUMN previous_version INTEGER;
      ALTER TABLE clients ADD COLUMN previous_until BIGINT;
      ALTER TABLE clients ADD COLUMN previous_last_used_at BIGINT;
      CREATE UNIQUE INDEX clients_previous_client_id ON clients(previous_client_id);
    `,
  },
  {
    // A suspension may have an end, at which the account is resumed by the housekeeping; the end holds for the
    // suspension that began at suspension_end_for (its status_changed_at), not for a later one.
    id: 'auth-024',
    sql: `
      ALTER TABLE accounts ADD COLUMN suspended_until BIGINT;
      ALTER TABLE accounts ADD COLUMN suspension_end_for BIGINT;
      CREATE INDEX accounts_suspended_until ON accounts(suspended_until) WHERE suspended_until IS NOT NULL;
    `,
  },
];
