import type { Statement } from 'better-sqlite3';
import { TurnBatch } from '../../core/turn-batch.js';
import type {
  AccountFlag,
  AccountLimits,
  AccountPage,
  AccountRateLimit,
  AccountRecord,
  AccountStatus,
  AccountStore,
} from '../../ports/account-store.js';
import type { AuditEvent, AuditFilter, AuditStore } from '../../ports/audit-store.js';
import type {
  ApiKeyRecord,
  ClientKeyRecord,
  ClientRecord,
  CredentialStore,
} from '../../ports/credential-store.js';
import type {
  OperatorChange,
  OperatorListing,
  OperatorPasskeyRecord,
  OperatorRecord,
  OperatorSessionRecord,
  OperatorStore,
  OperatorTokenRecord,
  OperatorTotpRecord,
  SessionFilter,
} from '../../ports/operator-store.js';
import type { SealedRef, SealedValue, SealedValueStore } from '../../ports/sealed-value-store.js';
import type { SigningKeyRecord, SigningKeyStore } from '../../ports/signing-key-store.js';
import type { TestTokenRecord, TokenStore } from '../../ports/token-store.js';
import {
  accountFromRow,
  apiKeyFromRow,
  auditEventFromRow,
  clientFromRow,
  clientKeyFromRow,
  FLAG_COLUMNS,
  limitsOf,
  num,
  operatorFromRow,
  operatorListingFromRow,
  operatorTokenFromRow,
  passkeyFromRow,
  type Row,
  sessionFromRow,
  signingKeyFromRow,
  testTokenFromRow,
  totpFromRow,
} from '../shared/auth-rows.js';
import { listSealedAcross, SEALED_COLUMNS, type SealedRow } from '../shared/sealed-columns.js';
import { likeEscaped } from '../shared/sql-like.js';
import type { SqliteDatabase } from './database.js';

export class SqliteAccountStore implements AccountStore {
  constructor(private readonly db: SqliteDatabase) {}

  async createAccount(account: Pick<AccountRecord, 'accountId' | 'createdAt'>): Promise<boolean> {
    const result = this.db
      .prepare('INSERT INTO accounts (account_id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING')
      .run(account.accountId, account.createdAt);
    return result.changes === 1;
  }

  async getAccount(accountId: string): Promise<AccountRecord | null> {
    const row = this.db.prepare('SELECT * FROM accounts WHERE account_id = ?').get(accountId) as
      | Row
      | undefined;
    return row ? accountFromRow(row) : null;
  }

  async listAccounts(page: AccountPage = {}): Promise<AccountRecord[]> {
    const { search, after, limit } = page;
    const where = ["status <> 'deleted'"];
    const values: (string | number)[] = [];
    // Ids are ASCII letters, digits, _ and -: _ is LIKE's wildcard, so it is escaped; LIKE ignores ASCII case.
    if (search) {
      where.push("account_id LIKE ? ESCAPE '\\'");
      values.push(`%${likeEscaped(search)}%`);
    }
    if (after !== undefined) {
      where.push('account_id > ?');
      values.push(after);
    }
    const sql = `SELECT * FROM accounts WHERE ${where.join(' AND ')} ORDER BY account_id${limit === undefined ? '' : ' LIMIT ?'}`;
    if (limit !== undefined) values.push(limit);
    return (this.db.prepare(sql).all(...values) as Row[]).map((row) => accountFromRow(row));
  }

  async listDeletedAccounts(): Promise<AccountRecord[]> {
    return this.#list("status = 'deleted'");
  }

  async changeAccountStatus(
    accountId: string,
    from: AccountStatus,
    to: AccountStatus,
    at: number,
    suspendedUntil: number | null = null,
  ): Promise<boolean> {
    const result = this.db
      .prepare(
        `UPDATE accounts SET status = :to,
           status_changed_at = CASE WHEN status = :to THEN status_changed_at ELSE :at END,
           suspended_until = :until,
           suspension_end_for = CASE WHEN status = :to THEN status_changed_at ELSE :at END
         WHERE account_id = :accountId AND status = :from`,
      )
      .run({ to, at, until: to === 'suspended' ? suspendedUntil : null, accountId, from });
    return result.changes === 1;
  }

  async resumeDueAccounts(now: number): Promise<string[]> {
    const rows = this.db
      .prepare(
        `UPDATE accounts SET status = 'active', status_changed_at = ?, suspended_until = NULL
         WHERE status = 'suspended' AND suspended_until <= ? AND suspension_end_for = status_changed_at
         RETURNING account_id`,
      )
      .all(now, now) as { account_id: string }[];
    return rows.map((row) => row.account_id).sort();
  }

  async removeDeletedAccount(accountId: string): Promise<boolean> {
    const result = this.db
      .prepare("DELETE FROM accounts WHERE account_id = ? AND status = 'deleted'")
      .run(accountId);
    return result.changes === 1;
  }

  async setAccountRateLimit(accountId: string, limit: AccountRateLimit | null): Promise<boolean> {
    return (
      this.db
        .prepare(
          "UPDATE accounts SET rate_per_second = ?, rate_burst = ? WHERE account_id = ? AND status <> 'deleted'",
        )
        .run(limit?.perSecond ?? null, limit?.burst ?? null, accountId).changes === 1
    );
  }

  async setAccountNetworks(accountId: string, networks: string[] | null): Promise<boolean> {
    return (
      this.db
        .prepare("UPDATE accounts SET allowed_networks = ? WHERE account_id = ? AND status <> 'deleted'")
        .run(networks === null ? null : JSON.stringify(networks), accountId).changes === 1
    );
  }

  async setAccountFlag(accountId: string, flag: AccountFlag, on: boolean): Promise<boolean> {
    return (
      this.db
        .prepare(`UPDATE accounts SET ${FLAG_COLUMNS[flag]} = ? WHERE account_id = ? AND status <> 'deleted'`)
        .run(on ? 1 : 0, accountId).changes === 1
    );
  }

  async listAccountLimits(): Promise<AccountLimits[]> {
    return this.#list(
      "status <> 'deleted' AND (rate_per_second IS NOT NULL OR allowed_networks IS NOT NULL)",
    ).map(limitsOf);
  }

  #list(where: string): AccountRecord[] {
    return (this.db.prepare(`SELECT * FROM accounts WHERE ${where} ORDER BY account_id`).all() as Row[]).map(
      (row) => accountFromRow(row),
    );
  }
}

export class SqliteCredentialStore implements CredentialStore {
  constructor(private readonly db: SqliteDatabase) {}

  async replaceApiKey(
    next: Pick<ApiKeyRecord, 'accountId' | 'keyHash' | 'keyCipher' | 'createdAt'>,
    graceUntil: number | null,
  ): Promise<void> {
    this.db.transaction(() => {
      if (graceUntil === null) {
        this.db.prepare('DELETE FROM api_keys WHERE account_id = ?').run(next.accountId);
      } else {
        this.db
          .prepare('UPDATE api_keys SET expires_at = min(coalesce(expires_at, ?), ?) WHERE account_id = ?')
          .run(graceUntil, graceUntil, next.accountId);
      }
      this.db
        .prepare('INSERT INTO api_keys (key_hash, account_id, key_cipher, created_at) VALUES (?, ?, ?, ?)')
        .run(next.keyHash, next.accountId, next.keyCipher, next.createdAt);
    })();
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const row = this.db.prepare('SELECT * FROM api_keys WHERE key_hash = ?').get(keyHash) as Row | undefined;
    return row ? apiKeyFromRow(row) : null;
  }

  async listApiKeys(accountId: string): Promise<ApiKeyRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM api_keys WHERE account_id = ? ORDER BY created_at DESC')
      .all(accountId) as Row[];
    return rows.map(apiKeyFromRow);
  }

  async touchApiKey(keyHash: string, usedAt: number): Promise<void> {
    this.db
      .prepare(
        'UPDATE api_keys SET last_used_at = ? WHERE key_hash = ? AND (last_used_at IS NULL OR last_used_at < ?)',
      )
      .run(usedAt, keyHash, usedAt);
  }

  async replaceClient(
    next: Omit<ClientRecord, 'version' | 'lastUsedAt' | 'previous'>,
    previousUntil: number | null = null,
  ): Promise<number> {
    // The SET expressions read the row as it was: the client replaced becomes the previous one.
    const row = this.db
      .prepare(
        `INSERT INTO clients (client_id, account_id, secret_hash, secret_cipher, version, created_at)
         VALUES (@clientId, @accountId, @secretHash, @secretCipher, 1, @createdAt)
         ON CONFLICT (account_id) DO UPDATE SET client_id = excluded.client_id, secret_hash = excluded.secret_hash,
           secret_cipher = excluded.secret_cipher, created_at = excluded.created_at, version = clients.version + 1,
           last_used_at = NULL,
           previous_client_id = CASE WHEN @until IS NULL THEN NULL ELSE clients.client_id END,
           previous_secret_hash = CASE WHEN @until IS NULL THEN NULL ELSE clients.secret_hash END,
           previous_version = CASE WHEN @until IS NULL THEN NULL ELSE clients.version END,
           previous_until = @until,
           previous_last_used_at = CASE WHEN @until IS NULL THEN NULL ELSE clients.last_used_at END
         RETURNING version`,
      )
      .get({ ...next, until: previousUntil }) as Row;
    return num(row.version);
  }

  async touchClient(clientId: string, usedAt: number): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare(
          'UPDATE clients SET last_used_at = ? WHERE client_id = ? AND (last_used_at IS NULL OR last_used_at < ?)',
        )
        .run(usedAt, clientId, usedAt);
      this.db
        .prepare(
          'UPDATE clients SET previous_last_used_at = ? WHERE previous_client_id = ? AND (previous_last_used_at IS NULL OR previous_last_used_at < ?)',
        )
        .run(usedAt, clientId, usedAt);
    })();
  }

  async touchClientKey(accountId: string, kid: string, usedAt: number): Promise<void> {
    this.db
      .prepare(
        'UPDATE client_keys SET last_used_at = ? WHERE account_id = ? AND kid = ? AND (last_used_at IS NULL OR last_used_at < ?)',
      )
      .run(usedAt, accountId, kid, usedAt);
  }

  async findClientById(clientId: string): Promise<ClientRecord | null> {
    const row = this.db
      .prepare(
        'SELECT * FROM clients WHERE client_id = ? UNION ALL SELECT * FROM clients WHERE previous_client_id = ?',
      )
      .get(clientId, clientId) as Row | undefined;
    return row ? clientFromRow(row) : null;
  }

  async deleteAccountCredentials(accountId: string): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM api_keys WHERE account_id = ?').run(accountId);
      this.db.prepare('DELETE FROM clients WHERE account_id = ?').run(accountId);
      this.db.prepare('DELETE FROM client_keys WHERE account_id = ?').run(accountId);
    })();
  }

  async listClientKeys(accountId: string): Promise<ClientKeyRecord[]> {
    return (
      this.db
        .prepare('SELECT * FROM client_keys WHERE account_id = ? ORDER BY created_at, kid')
        .all(accountId) as Row[]
    ).map(clientKeyFromRow);
  }

  async addClientKey(key: ClientKeyRecord): Promise<boolean> {
    return (
      this.db
        .prepare(
          'INSERT INTO client_keys (account_id, kid, alg, public_jwk, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        )
        .run(key.accountId, key.kid, key.alg, key.publicJwk, key.createdAt, key.lastUsedAt ?? null)
        .changes === 1
    );
  }

  async deleteClientKey(accountId: string, kid: string): Promise<boolean> {
    return (
      this.db.prepare('DELETE FROM client_keys WHERE account_id = ? AND kid = ?').run(accountId, kid)
        .changes === 1
    );
  }

  async findClientByAccount(accountId: string): Promise<ClientRecord | null> {
    const row = this.db.prepare('SELECT * FROM clients WHERE account_id = ?').get(accountId) as
      | Row
      | undefined;
    return row ? clientFromRow(row) : null;
  }
}

export class SqliteTokenStore implements TokenStore {
  constructor(private readonly db: SqliteDatabase) {}

  async revokeToken(jti: string, accountId: string, expiresAt: number): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO revoked_tokens (jti, account_id, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      )
      .run(jti, accountId, expiresAt);
  }

  async isRevoked(jti: string): Promise<boolean> {
    return this.db.prepare('SELECT 1 FROM revoked_tokens WHERE jti = ?').get(jti) !== undefined;
  }

  async replaceTestToken(next: TestTokenRecord): Promise<TestTokenRecord | null> {
    return this.db.transaction(() => {
      const previous = this.db
        .prepare('SELECT * FROM test_tokens WHERE account_id = ?')
        .get(next.accountId) as Row | undefined;
      this.db
        .prepare(
          `INSERT INTO test_tokens (account_id, jti, token_cipher, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (account_id) DO UPDATE SET jti = excluded.jti, token_cipher = excluded.token_cipher,
             issued_at = excluded.issued_at, expires_at = excluded.expires_at`,
        )
        .run(next.accountId, next.jti, next.tokenCipher, next.issuedAt, next.expiresAt);
      return previous ? testTokenFromRow(previous) : null;
    })();
  }

  async deleteTestToken(accountId: string): Promise<void> {
    this.db.prepare('DELETE FROM test_tokens WHERE account_id = ?').run(accountId);
  }

  async getTestToken(accountId: string): Promise<TestTokenRecord | null> {
    const row = this.db.prepare('SELECT * FROM test_tokens WHERE account_id = ?').get(accountId) as
      | Row
      | undefined;
    return row ? testTokenFromRow(row) : null;
  }

  /** Prepared once: every call with a token bound to a key (DPoP) takes its proof's jti here. */
  #useAssertion: Statement<[string, string, number]> | undefined;
  /**
   * The jtis taken during one turn of the event loop, inserted in one transaction (one commit for all): a node
   * answering many DPoP calls at once takes many, and a commit costs more than an insert.
   */
  readonly #uses = new TurnBatch<[string, string, number], boolean>((batch) => {
    this.#useAssertion ??= this.db.prepare<[string, string, number]>(
      'INSERT INTO client_assertions (client_id, jti, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    );
    const insert = this.#useAssertion;
    let taken: boolean[];
    try {
      taken = this.db.transaction(() => batch.map(({ item }) => insert.run(...item).changes === 1))();
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    batch.forEach((waiting, index) => {
      waiting.resolve(taken[index] === true);
    });
  });

  useClientAssertion(clientId: string, jti: string, expiresAt: number): Promise<boolean> {
    return this.#uses.add([clientId, jti, expiresAt]);
  }

  async purgeExpiredTokens(now: number): Promise<number> {
    return this.db.transaction(
      () =>
        this.db.prepare('DELETE FROM revoked_tokens WHERE expires_at < ?').run(now).changes +
        this.db.prepare('DELETE FROM test_tokens WHERE expires_at < ?').run(now).changes,
    )();
  }

  async purgeUsedAssertionsBefore(now: number, limit: number): Promise<number> {
    return this.db
      .prepare(
        'DELETE FROM client_assertions WHERE rowid IN (SELECT rowid FROM client_assertions WHERE expires_at < ? ORDER BY expires_at LIMIT ?)',
      )
      .run(now, limit).changes;
  }
}

export class SqliteSigningKeyStore implements SigningKeyStore {
  constructor(private readonly db: SqliteDatabase) {}

  async addSigningKey(key: SigningKeyRecord, newestKid: string | null): Promise<boolean> {
    // IMMEDIATE: the write lock from the first read, so that another process (the command line) cannot add between.
    return this.db
      .transaction(() => {
        const newest = this.db
          .prepare('SELECT kid FROM signing_keys ORDER BY created_at DESC, kid DESC LIMIT 1')
          .get() as { kid: string } | undefined;
        if ((newest?.kid ?? null) !== newestKid) return false;
        this.db
          .prepare(
            `INSERT INTO signing_keys (kid, alg, public_jwk, private_cipher, created_at, activates_at, retired_at, remove_after)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            key.kid,
            key.alg,
            key.publicJwk,
            key.privateCipher,
            key.createdAt,
            key.activatesAt,
            key.retiredAt,
            key.removeAfter,
          );
        return true;
      })
      .immediate();
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return (this.db.prepare('SELECT * FROM signing_keys ORDER BY created_at, kid').all() as Row[]).map(
      signingKeyFromRow,
    );
  }

  async retireSigningKey(kid: string, retiredAt: number, removeAfter: number): Promise<void> {
    this.db
      .prepare(
        'UPDATE signing_keys SET retired_at = ?, remove_after = ? WHERE kid = ? AND retired_at IS NULL',
      )
      .run(retiredAt, removeAfter, kid);
  }

  async deleteSigningKeysRemovedBefore(now: number): Promise<number> {
    return this.db.prepare('DELETE FROM signing_keys WHERE remove_after < ?').run(now).changes;
  }
}

export class SqliteSealedValueStore implements SealedValueStore {
  constructor(private readonly db: SqliteDatabase) {}

  listSealed(after: SealedRef | null, limit: number): Promise<SealedValue[]> {
    return listSealedAcross(after, limit, (kind, afterKey, max) => {
      const c = SEALED_COLUMNS[kind];
      const select = `SELECT ${c.key} AS key, ${c.owner} AS owner, ${c.cipher} AS cipher FROM ${c.table}`;
      const rows =
        afterKey === null
          ? this.db.prepare(`${select} ORDER BY ${c.key} LIMIT ?`).all(max)
          : this.db.prepare(`${select} WHERE ${c.key} > ? ORDER BY ${c.key} LIMIT ?`).all(afterKey, max);
      return rows as SealedRow[];
    });
  }

  async replaceSealed(ref: SealedRef, expected: string, next: string): Promise<boolean> {
    const c = SEALED_COLUMNS[ref.kind];
    return (
      this.db
        .prepare(`UPDATE ${c.table} SET ${c.cipher} = ? WHERE ${c.key} = ? AND ${c.cipher} = ?`)
        .run(next, ref.key, expected).changes === 1
    );
  }
}

/** An operator's accounts as stored: NULL for every account, else a JSON array. */
const accountsColumn = (accounts: string[] | null): string | null =>
  accounts === null ? null : JSON.stringify(accounts);

export class SqliteOperatorStore implements OperatorStore {
  constructor(private readonly db: SqliteDatabase) {}

  async createOperator(operator: OperatorRecord): Promise<boolean> {
    return (
      this.db
        .prepare(
          'INSERT INTO operators (username, password_hash, role, accounts, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        )
        .run(
          operator.username,
          operator.passwordHash,
          operator.role,
          accountsColumn(operator.accounts),
          operator.createdAt,
        ).changes === 1
    );
  }

  async getOperator(username: string): Promise<OperatorRecord | null> {
    const row = this.db.prepare('SELECT * FROM operators WHERE username = ?').get(username) as
      | Row
      | undefined;
    return row ? operatorFromRow(row) : null;
  }

  async setOperatorPassword(username: string, passwordHash: string): Promise<boolean> {
    return (
      this.db.prepare('UPDATE operators SET password_hash = ? WHERE username = ?').run(passwordHash, username)
        .changes === 1
    );
  }

  async updateOperator(
    username: string,
    change: OperatorChange,
    ifAccounts?: string[] | null,
  ): Promise<boolean> {
    const { role, accounts } = change;
    return (
      this.db
        .prepare(
          `UPDATE operators SET role = CASE WHEN ? THEN ? ELSE role END,
             accounts = CASE WHEN ? THEN ? ELSE accounts END
           WHERE username = ? AND (? OR accounts IS ?)`,
        )
        .run(
          role === undefined ? 0 : 1,
          role ?? null,
          accounts === undefined ? 0 : 1,
          accountsColumn(accounts ?? null),
          username,
          ifAccounts === undefined ? 1 : 0,
          accountsColumn(ifAccounts ?? null),
        ).changes === 1
    );
  }

  async removeAccountFromOperators(accountId: string): Promise<number> {
    return this.db
      .prepare(
        `UPDATE operators
           SET accounts = (SELECT json_group_array(value) FROM json_each(operators.accounts) WHERE value <> @id)
         WHERE accounts IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(operators.accounts) WHERE value = @id)`,
      )
      .run({ id: accountId }).changes;
  }

  async createSession(session: OperatorSessionRecord): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO operator_sessions (id_hash, id, username, csrf_token, created_at, expires_at, last_seen_at, address, user_agent, signed_in_with, provider_subject, provider_session) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        session.idHash,
        session.id,
        session.username,
        session.csrfToken,
        session.createdAt,
        session.expiresAt,
        session.lastSeenAt,
        session.address,
        session.userAgent,
        session.signedInWith,
        session.provider?.subject ?? null,
        session.provider?.session ?? null,
      );
  }

  async getSession(idHash: string): Promise<OperatorSessionRecord | null> {
    const row = this.db.prepare('SELECT * FROM operator_sessions WHERE id_hash = ?').get(idHash) as
      | Row
      | undefined;
    return row ? sessionFromRow(row) : null;
  }

  async touchSession(idHash: string, at: number): Promise<void> {
    this.db
      .prepare('UPDATE operator_sessions SET last_seen_at = ? WHERE id_hash = ? AND last_seen_at < ?')
      .run(at, idHash, at);
  }

  async deleteSessions(filter: SessionFilter): Promise<number> {
    if ('idHash' in filter) {
      return this.db.prepare('DELETE FROM operator_sessions WHERE id_hash = ?').run(filter.idHash).changes;
    }
    return this.db
      .prepare(
        `DELETE FROM operator_sessions WHERE username = @username
           AND (@id IS NULL OR id = @id) AND (@except IS NULL OR id_hash <> @except)`,
      )
      .run({ username: filter.username, id: filter.id ?? null, except: filter.exceptIdHash ?? null }).changes;
  }

  async deleteProviderSessions(at: { subject?: string; session?: string }): Promise<string[]> {
    if (at.subject === undefined && at.session === undefined) return [];
    const rows = this.db
      .prepare(
        `DELETE FROM operator_sessions WHERE provider_subject IS NOT NULL
           AND (@subject IS NULL OR provider_subject = @subject) AND (@session IS NULL OR provider_session = @session)
         RETURNING username`,
      )
      .all({ subject: at.subject ?? null, session: at.session ?? null }) as Row[];
    return rows.map((row) => String(row.username));
  }

  async listSessions(username: string): Promise<OperatorSessionRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM operator_sessions WHERE username = ? ORDER BY created_at DESC, id')
      .all(username) as Row[];
    return rows.map(sessionFromRow);
  }

  async listOperators(): Promise<OperatorListing[]> {
    const rows = this.db
      .prepare(
        `SELECT o.*, t.enabled_at IS NOT NULL AS totp_enabled,
           (SELECT count(*) FROM operator_passkeys p WHERE p.username = o.username) AS passkeys
         FROM operators o LEFT JOIN operator_totp t ON t.username = o.username ORDER BY o.username`,
      )
      .all() as Row[];
    return rows.map(operatorListingFromRow);
  }

  async deleteOperator(username: string, ifAccounts?: string[] | null): Promise<boolean> {
    return this.db.transaction(() => {
      if (ifAccounts !== undefined) {
        const row = this.db.prepare('SELECT accounts FROM operators WHERE username = ?').get(username) as
          | { accounts: string | null }
          | undefined;
        if (!row || row.accounts !== accountsColumn(ifAccounts)) return false;
      }
      this.db.prepare('DELETE FROM operator_totp WHERE username = ?').run(username);
      this.db.prepare('DELETE FROM operator_passkeys WHERE username = ?').run(username);
      this.db.prepare('DELETE FROM operator_sessions WHERE username = ?').run(username);
      this.db.prepare('DELETE FROM operator_tokens WHERE username = ?').run(username);
      return this.db.prepare('DELETE FROM operators WHERE username = ?').run(username).changes === 1;
    })();
  }

  async createOperatorToken(token: OperatorTokenRecord): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO operator_tokens (id, token_hash, username, name, created_at, expires_at, last_used_at, role) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        token.id,
        token.tokenHash,
        token.username,
        token.name,
        token.createdAt,
        token.expiresAt,
        token.lastUsedAt,
        token.role,
      );
  }

  async findOperatorToken(tokenHash: string): Promise<OperatorTokenRecord | null> {
    const row = this.db.prepare('SELECT * FROM operator_tokens WHERE token_hash = ?').get(tokenHash) as
      | Row
      | undefined;
    return row ? operatorTokenFromRow(row) : null;
  }

  async listOperatorTokens(): Promise<OperatorTokenRecord[]> {
    return (this.db.prepare('SELECT * FROM operator_tokens ORDER BY created_at, id').all() as Row[]).map(
      operatorTokenFromRow,
    );
  }

  async deleteOperatorToken(id: string): Promise<OperatorTokenRecord | null> {
    const row = this.db.prepare('DELETE FROM operator_tokens WHERE id = ? RETURNING *').get(id) as
      | Row
      | undefined;
    return row ? operatorTokenFromRow(row) : null;
  }

  async purgeExpiredOperatorCredentials(
    now: number,
    tokensExpiredBefore: number,
    sessionsIdleSince: number | null = null,
  ): Promise<{ sessions: number; tokens: number }> {
    const sessions = this.db
      .prepare('DELETE FROM operator_sessions WHERE expires_at <= ? OR last_seen_at <= ?')
      .run(now, sessionsIdleSince ?? Number.MIN_SAFE_INTEGER).changes;
    const tokens = this.db
      .prepare('DELETE FROM operator_tokens WHERE expires_at IS NOT NULL AND expires_at < ?')
      .run(tokensExpiredBefore).changes;
    return { sessions, tokens };
  }

  async touchOperatorToken(tokenHash: string, usedAt: number): Promise<void> {
    this.db
      .prepare(
        'UPDATE operator_tokens SET last_used_at = ? WHERE token_hash = ? AND (last_used_at IS NULL OR last_used_at < ?)',
      )
      .run(usedAt, tokenHash, usedAt);
  }

  async getTotp(username: string): Promise<OperatorTotpRecord | null> {
    const row = this.db.prepare('SELECT * FROM operator_totp WHERE username = ?').get(username) as
      | Row
      | undefined;
    return row ? totpFromRow(row) : null;
  }

  async putPendingTotp(
    record: Omit<OperatorTotpRecord, 'enabledAt' | 'lastStep' | 'recoveryCodes'>,
  ): Promise<boolean> {
    return (
      this.db
        .prepare(
          `INSERT INTO operator_totp (username, secret_cipher, created_at)
           SELECT username, ?, ? FROM operators WHERE username = ?
           ON CONFLICT (username) DO UPDATE SET secret_cipher = excluded.secret_cipher,
             created_at = excluded.created_at WHERE operator_totp.enabled_at IS NULL`,
        )
        .run(record.secretCipher, record.createdAt, record.username).changes === 1
    );
  }

  async enableTotp(username: string, step: number, at: number, recoveryCodes: string[]): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE operator_totp SET enabled_at = ?, last_step = ?, recovery_codes = ?
           WHERE username = ? AND enabled_at IS NULL`,
        )
        .run(at, step, JSON.stringify(recoveryCodes), username).changes === 1
    );
  }

  async replaceRecoveryCodes(username: string, recoveryCodes: string[]): Promise<boolean> {
    return (
      this.db
        .prepare('UPDATE operator_totp SET recovery_codes = ? WHERE username = ? AND enabled_at IS NOT NULL')
        .run(JSON.stringify(recoveryCodes), username).changes === 1
    );
  }

  async useRecoveryCode(username: string, hash: string): Promise<number | null> {
    // One statement: the code is removed by whoever finds it first.
    const row = this.db
      .prepare(
        `UPDATE operator_totp
         SET recovery_codes = (SELECT json_group_array(value) FROM json_each(recovery_codes) WHERE value <> ?)
         WHERE username = ? AND enabled_at IS NOT NULL
           AND EXISTS (SELECT 1 FROM json_each(recovery_codes) WHERE value = ?)
         RETURNING json_array_length(recovery_codes) AS remaining`,
      )
      .get(hash, username, hash) as Row | undefined;
    return row ? num(row.remaining) : null;
  }

  async useTotpStep(username: string, step: number): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE operator_totp SET last_step = ? WHERE username = ? AND enabled_at IS NOT NULL
           AND (last_step IS NULL OR last_step < ?)`,
        )
        .run(step, username, step).changes === 1
    );
  }

  async deleteTotp(username: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM operator_totp WHERE username = ?').run(username).changes === 1;
  }

  async addPasskey(passkey: OperatorPasskeyRecord): Promise<boolean> {
    return (
      this.db
        .prepare(
          `INSERT INTO operator_passkeys (id, username, name, public_key, counter, transports, created_at, last_used_at)
           SELECT ?, username, ?, ?, ?, ?, ?, ? FROM operators WHERE username = ?
           ON CONFLICT (id) DO NOTHING`,
        )
        .run(
          passkey.id,
          passkey.name,
          passkey.publicKey,
          passkey.counter,
          JSON.stringify(passkey.transports),
          passkey.createdAt,
          passkey.lastUsedAt,
          passkey.username,
        ).changes === 1
    );
  }

  async listPasskeys(username: string): Promise<OperatorPasskeyRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM operator_passkeys WHERE username = ? ORDER BY created_at, id')
      .all(username) as Row[];
    return rows.map(passkeyFromRow);
  }

  async findPasskey(id: string): Promise<OperatorPasskeyRecord | null> {
    const row = this.db.prepare('SELECT * FROM operator_passkeys WHERE id = ?').get(id) as Row | undefined;
    return row ? passkeyFromRow(row) : null;
  }

  async usePasskey(username: string, id: string, counter: number, usedAt: number): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE operator_passkeys SET counter = ?, last_used_at = ?
           WHERE id = ? AND username = ? AND (? = 0 OR counter < ?)`,
        )
        .run(counter, usedAt, id, username, counter, counter).changes === 1
    );
  }

  async deletePasskey(username: string, id: string): Promise<boolean> {
    return (
      this.db.prepare('DELETE FROM operator_passkeys WHERE id = ? AND username = ?').run(id, username)
        .changes === 1
    );
  }

  async deletePasskeys(username: string): Promise<number> {
    return this.db.prepare('DELETE FROM operator_passkeys WHERE username = ?').run(username).changes;
  }
}

export class SqliteAuditStore implements AuditStore {
  constructor(private readonly db: SqliteDatabase) {}

  async appendAudit(event: AuditEvent): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO audit_events (id, at, actor, account_id, action, address, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        event.id,
        event.at,
        event.actor,
        event.accountId,
        event.action,
        event.address,
        JSON.stringify(event.detail),
      );
  }

  async listAudit(filter: AuditFilter): Promise<AuditEvent[]> {
    // By or about an operator: two indexed lookups (actor; the username of the details), one statement of its own.
    const byOperator =
      filter.operator === undefined
        ? ''
        : `(actor = @operator OR json_extract(detail, '$.username') = @operator) AND`;
    const rows = this.db
      .prepare(
        `SELECT * FROM audit_events WHERE ${byOperator} (@account IS NULL OR account_id = @account)
           AND (@accounts IS NULL OR account_id IS NULL OR account_id IN (SELECT value FROM json_each(@accounts)))
           AND (@before IS NULL OR at < @before
             OR (at = @before AND rowid < (SELECT rowid FROM audit_events WHERE id = @beforeId)))
         ORDER BY at DESC, rowid DESC LIMIT @limit`,
      )
      .all({
        account: filter.accountId ?? null,
        accounts: filter.accounts === undefined ? null : JSON.stringify(filter.accounts),
        before: filter.before ?? null,
        beforeId: filter.beforeId ?? null,
        limit: filter.limit,
        ...(filter.operator === undefined ? {} : { operator: filter.operator }),
      }) as Row[];
    return rows.map(auditEventFromRow);
  }

  async purgeAuditBefore(cutoff: number, limit: number): Promise<number> {
    return this.db
      .prepare(
        'DELETE FROM audit_events WHERE rowid IN (SELECT rowid FROM audit_events WHERE at < ? ORDER BY at LIMIT ?)',
      )
      .run(cutoff, limit).changes;
  }
}
