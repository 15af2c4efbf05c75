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
import { inTransaction, type PostgresClient, type PostgresPool } from './database.js';

/** Serializes writers of one logical row across every node until the transaction ends. */
const lockKey = (client: PostgresClient, key: string) =>
  client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);

export class PostgresAccountStore implements AccountStore {
  constructor(private readonly pool: PostgresPool) {}

  async createAccount(account: Pick<AccountRecord, 'accountId' | 'createdAt'>): Promise<boolean> {
    const result = await this.pool.query(
      'INSERT INTO accounts (account_id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [account.accountId, account.createdAt],
    );
    return result.rowCount === 1;
  }

  async getAccount(accountId: string): Promise<AccountRecord | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM accounts WHERE account_id = $1', [accountId]);
    const row = rows[0];
    return row ? accountFromRow(row) : null;
  }

  async listAccounts(page: AccountPage = {}): Promise<AccountRecord[]> {
    const { search, after, limit } = page;
    const where = ["status <> 'deleted'"];
    const values: (string | number)[] = [];
    if (search) {
      values.push(`%${likeEscaped(search)}%`);
      where.push(`account_id ILIKE $${values.length} ESCAPE '\\'`);
    }
    if (after !== undefined) {
      values.push(after);
      where.push(`account_id COLLATE "C" > $${values.length}`);
    }
    if (limit !== undefined) values.push(limit);
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM accounts WHERE ${where.join(' AND ')} ORDER BY account_id COLLATE "C"${
        limit === undefined ? '' : ` LIMIT $${values.length}`
      }`,
      values,
    );
    return rows.map(accountFromRow);
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
    const result = await this.pool.query(
      `UPDATE accounts SET status = $1,
         status_changed_at = CASE WHEN status = $1 THEN status_changed_at ELSE $2 END,
         suspended_until = $5,
         suspension_end_for = CASE WHEN status = $1 THEN status_changed_at ELSE $2 END
       WHERE account_id = $3 AND status = $4`,
      [to, at, accountId, from, to === 'suspended' ? suspendedUntil : null],
    );
    return result.rowCount === 1;
  }

  async resumeDueAccounts(now: number): Promise<string[]> {
    const result = await this.pool.query<{ account_id: string }>(
      `UPDATE accounts SET status = 'active', status_changed_at = $1, suspended_until = NULL
       WHERE status = 'suspended' AND suspended_until <= $1 AND suspension_end_for = status_changed_at
       RETURNING account_id`,
      [now],
    );
    return result.rows.map((row) => row.account_id).sort();
  }

  async removeDeletedAccount(accountId: string): Promise<boolean> {
    const result = await this.pool.query(
      "DELETE FROM accounts WHERE account_id = $1 AND status = 'deleted'",
      [accountId],
    );
    return result.rowCount === 1;
  }

  async setAccountRateLimit(accountId: string, limit: AccountRateLimit | null): Promise<boolean> {
    const result = await this.pool.query(
      "UPDATE accounts SET rate_per_second = $1, rate_burst = $2 WHERE account_id = $3 AND status <> 'deleted'",
      [limit?.perSecond ?? null, limit?.burst ?? null, accountId],
    );
    return result.rowCount === 1;
  }

  async setAccountNetworks(accountId: string, networks: string[] | null): Promise<boolean> {
    const result = await this.pool.query(
      "UPDATE accounts SET allowed_networks = $1::jsonb WHERE account_id = $2 AND status <> 'deleted'",
      [networks === null ? null : JSON.stringify(networks), accountId],
    );
    return result.rowCount === 1;
  }

  async setAccountFlag(accountId: string, flag: AccountFlag, on: boolean): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE accounts SET ${FLAG_COLUMNS[flag]} = $1 WHERE account_id = $2 AND status <> 'deleted'`,
      [on, accountId],
    );
    return result.rowCount === 1;
  }

  async listAccountLimits(): Promise<AccountLimits[]> {
    return (
      await this.#list(
        "status <> 'deleted' AND (rate_per_second IS NOT NULL OR allowed_networks IS NOT NULL)",
      )
    ).map(limitsOf);
  }

  async #list(where: string): Promise<AccountRecord[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM accounts WHERE ${where} ORDER BY account_id COLLATE "C"`,
    );
    return rows.map(accountFromRow);
  }
}

export class PostgresCredentialStore implements CredentialStore {
  constructor(private readonly pool: PostgresPool) {}

  async replaceApiKey(
    next: Pick<ApiKeyRecord, 'accountId' | 'keyHash' | 'keyCipher' | 'createdAt'>,
    graceUntil: number | null,
  ): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      // Two regenerations racing on two nodes must still leave exactly one current key.
      await lockKey(tx, `api-key:${next.accountId}`);
      if (graceUntil === null) {
        await tx.query('DELETE FROM api_keys WHERE account_id = $1', [next.accountId]);
      } else {
        await tx.query(
          'UPDATE api_keys SET expires_at = least(coalesce(expires_at, $1), $1) WHERE account_id = $2',
          [graceUntil, next.accountId],
        );
      }
      await tx.query(
        'INSERT INTO api_keys (key_hash, account_id, key_cipher, created_at) VALUES ($1, $2, $3, $4)',
        [next.keyHash, next.accountId, next.keyCipher, next.createdAt],
      );
    });
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM api_keys WHERE key_hash = $1', [keyHash]);
    return rows[0] ? apiKeyFromRow(rows[0]) : null;
  }

  async listApiKeys(accountId: string): Promise<ApiKeyRecord[]> {
    const { rows } = await this.pool.query<Row>(
      'SELECT * FROM api_keys WHERE account_id = $1 ORDER BY created_at DESC, key_hash',
      [accountId],
    );
    return rows.map(apiKeyFromRow);
  }

  async touchApiKey(keyHash: string, usedAt: number): Promise<void> {
    await this.pool.query(
      'UPDATE api_keys SET last_used_at = $1 WHERE key_hash = $2 AND (last_used_at IS NULL OR last_used_at < $1)',
      [usedAt, keyHash],
    );
  }

  async replaceClient(
    next: Omit<ClientRecord, 'version' | 'lastUsedAt' | 'previous'>,
    previousUntil: number | null = null,
  ): Promise<number> {
    // The SET expressions read the row as it was: the client replaced becomes the previous one.
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO clients (client_id, account_id, secret_hash, secret_cipher, version, created_at)
       VALUES ($1, $2, $3, $4, 1, $5)
       ON CONFLICT (account_id) DO UPDATE SET client_id = excluded.client_id, secret_hash = excluded.secret_hash,
         secret_cipher = excluded.secret_cipher, created_at = excluded.created_at, version = clients.version + 1,
         last_used_at = NULL,
         previous_client_id = CASE WHEN $6::bigint IS NULL THEN NULL ELSE clients.client_id END,
         previous_secret_hash = CASE WHEN $6::bigint IS NULL THEN NULL ELSE clients.secret_hash END,
         previous_version = CASE WHEN $6::bigint IS NULL THEN NULL ELSE clients.version END,
         previous_until = $6::bigint,
         previous_last_used_at = CASE WHEN $6::bigint IS NULL THEN NULL ELSE clients.last_used_at END
       RETURNING version`,
      [next.clientId, next.accountId, next.secretHash, next.secretCipher, next.createdAt, previousUntil],
    );
    return num(rows[0]?.version);
  }

  async touchClient(clientId: string, usedAt: number): Promise<void> {
    // One statement: the client's own use, or its previous user ID's.
    await this.pool.query(
      `UPDATE clients SET
         last_used_at = CASE WHEN client_id = $2 AND (last_used_at IS NULL OR last_used_at < $1) THEN $1 ELSE last_used_at END,
         previous_last_used_at = CASE WHEN previous_client_id = $2 AND (previous_last_used_at IS NULL OR previous_last_used_at < $1)
           THEN $1 ELSE previous_last_used_at END
       WHERE (client_id = $2 AND (last_used_at IS NULL OR last_used_at < $1))
          OR (previous_client_id = $2 AND (previous_last_used_at IS NULL OR previous_last_used_at < $1))`,
      [usedAt, clientId],
    );
  }

  async touchClientKey(accountId: string, kid: string, usedAt: number): Promise<void> {
    await this.pool.query(
      'UPDATE client_keys SET last_used_at = $1 WHERE account_id = $2 AND kid = $3 AND (last_used_at IS NULL OR last_used_at < $1)',
      [usedAt, accountId, kid],
    );
  }

  async findClientById(clientId: string): Promise<ClientRecord | null> {
    const { rows } = await this.pool.query<Row>(
      'SELECT * FROM clients WHERE client_id = $1 UNION ALL SELECT * FROM clients WHERE previous_client_id = $1',
      [clientId],
    );
    return rows[0] ? clientFromRow(rows[0]) : null;
  }

  async deleteAccountCredentials(accountId: string): Promise<void> {
    // One statement, so one transaction: the keys and the client go together.
    await this.pool.query(
      `WITH keys AS (DELETE FROM api_keys WHERE account_id = $1),
            client_keys AS (DELETE FROM client_keys WHERE account_id = $1)
       DELETE FROM clients WHERE account_id = $1`,
      [accountId],
    );
  }

  async listClientKeys(accountId: string): Promise<ClientKeyRecord[]> {
    const { rows } = await this.pool.query<Row>(
      'SELECT * FROM client_keys WHERE account_id = $1 ORDER BY created_at, kid',
      [accountId],
    );
    return rows.map(clientKeyFromRow);
  }

  async addClientKey(key: ClientKeyRecord): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'INSERT INTO client_keys (account_id, kid, alg, public_jwk, created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING',
      [key.accountId, key.kid, key.alg, key.publicJwk, key.createdAt, key.lastUsedAt ?? null],
    );
    return rowCount === 1;
  }

  async deleteClientKey(accountId: string, kid: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM client_keys WHERE account_id = $1 AND kid = $2', [
      accountId,
      kid,
    ]);
    return rowCount === 1;
  }

  async findClientByAccount(accountId: string): Promise<ClientRecord | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM clients WHERE account_id = $1', [accountId]);
    return rows[0] ? clientFromRow(rows[0]) : null;
  }
}

export class PostgresTokenStore implements TokenStore {
  constructor(private readonly pool: PostgresPool) {}

  async revokeToken(jti: string, accountId: string, expiresAt: number): Promise<void> {
    await this.pool.query(
      'INSERT INTO revoked_tokens (jti, account_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [jti, accountId, expiresAt],
    );
  }

  async isRevoked(jti: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM revoked_tokens WHERE jti = $1', [jti]);
    return rowCount !== null && rowCount > 0;
  }

  async replaceTestToken(next: TestTokenRecord): Promise<TestTokenRecord | null> {
    return inTransaction(this.pool, async (tx) => {
      // Without the lock, two first issues racing would both see no previous token and neither would revoke.
      await lockKey(tx, `test-token:${next.accountId}`);
      const { rows } = await tx.query<Row>('SELECT * FROM test_tokens WHERE account_id = $1', [
        next.accountId,
      ]);
      await tx.query(
        `INSERT INTO test_tokens (account_id, jti, token_cipher, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (account_id) DO UPDATE SET jti = excluded.jti, token_cipher = excluded.token_cipher,
           issued_at = excluded.issued_at, expires_at = excluded.expires_at`,
        [next.accountId, next.jti, next.tokenCipher, next.issuedAt, next.expiresAt],
      );
      return rows[0] ? testTokenFromRow(rows[0]) : null;
    });
  }

  async deleteTestToken(accountId: string): Promise<void> {
    await this.pool.query('DELETE FROM test_tokens WHERE account_id = $1', [accountId]);
  }

  async getTestToken(accountId: string): Promise<TestTokenRecord | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM test_tokens WHERE account_id = $1', [
      accountId,
    ]);
    return rows[0] ? testTokenFromRow(rows[0]) : null;
  }

  /**
   * The jtis taken during one turn of the event loop, inserted by one statement (one round trip for all): a node
   * answering many DPoP calls at once takes many.
   */
  readonly #uses = new TurnBatch<[string, string, number], boolean>((batch) => {
    const column = (index: 0 | 1 | 2) => batch.map(({ item }) => item[index]);
    this.pool
      .query<{ client_id: string; jti: string }>(
        `INSERT INTO client_assertions (client_id, jti, expires_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
           ON CONFLICT DO NOTHING RETURNING client_id, jti`,
        [column(0), column(1), column(2)],
      )
      .then(
        ({ rows }) => {
          // Each row inserted answers true once: the same jti asked twice in one turn is taken by the first.
          const inserted = new Set(rows.map((row) => JSON.stringify([row.client_id, row.jti])));
          for (const { item, resolve } of batch) resolve(inserted.delete(JSON.stringify([item[0], item[1]])));
        },
        (error: unknown) => {
          for (const waiting of batch) waiting.reject(error);
        },
      );
  });

  useClientAssertion(clientId: string, jti: string, expiresAt: number): Promise<boolean> {
    return this.#uses.add([clientId, jti, expiresAt]);
  }

  async purgeExpiredTokens(now: number): Promise<number> {
    const { rows } = await this.pool.query<Row>(
      `WITH r AS (DELETE FROM revoked_tokens WHERE expires_at < $1 RETURNING 1),
            t AS (DELETE FROM test_tokens WHERE expires_at < $1 RETURNING 1)
       SELECT (SELECT count(*) FROM r) + (SELECT count(*) FROM t) AS purged`,
      [now],
    );
    return num(rows[0]?.purged);
  }

  async purgeUsedAssertionsBefore(now: number, limit: number): Promise<number> {
    // SKIP LOCKED: purgers on several nodes share the work instead of queueing on each other's rows.
    const { rowCount } = await this.pool.query(
      `DELETE FROM client_assertions WHERE (client_id, jti) IN (
         SELECT client_id, jti FROM client_assertions WHERE expires_at < $1 ORDER BY expires_at LIMIT $2
         FOR UPDATE SKIP LOCKED)`,
      [now, limit],
    );
    return rowCount ?? 0;
  }
}

export class PostgresSigningKeyStore implements SigningKeyStore {
  constructor(private readonly pool: PostgresPool) {}

  async addSigningKey(key: SigningKeyRecord, newestKid: string | null): Promise<boolean> {
    return inTransaction(this.pool, async (tx) => {
      // Two nodes rotating together: the second sees the first's key as the newest, and adds none.
      await lockKey(tx, 'signing-keys');
      const { rows } = await tx.query<Row>(
        'SELECT kid FROM signing_keys ORDER BY created_at DESC, kid DESC LIMIT 1',
      );
      if ((rows[0] ? String(rows[0].kid) : null) !== newestKid) return false;
      await tx.query(
        `INSERT INTO signing_keys (kid, alg, public_jwk, private_cipher, created_at, activates_at, retired_at, remove_after)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          key.kid,
          key.alg,
          key.publicJwk,
          key.privateCipher,
          key.createdAt,
          key.activatesAt,
          key.retiredAt,
          key.removeAfter,
        ],
      );
      return true;
    });
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM signing_keys ORDER BY created_at, kid');
    return rows.map(signingKeyFromRow);
  }

  async retireSigningKey(kid: string, retiredAt: number, removeAfter: number): Promise<void> {
    await this.pool.query(
      'UPDATE signing_keys SET retired_at = $1, remove_after = $2 WHERE kid = $3 AND retired_at IS NULL',
      [retiredAt, removeAfter, kid],
    );
  }

  async deleteSigningKeysRemovedBefore(now: number): Promise<number> {
    return (await this.pool.query('DELETE FROM signing_keys WHERE remove_after < $1', [now])).rowCount ?? 0;
  }
}

export class PostgresSealedValueStore implements SealedValueStore {
  constructor(private readonly pool: PostgresPool) {}

  listSealed(after: SealedRef | null, limit: number): Promise<SealedValue[]> {
    return listSealedAcross(after, limit, async (kind, afterKey, max) => {
      const c = SEALED_COLUMNS[kind];
      const select = `SELECT ${c.key} AS key, ${c.owner} AS owner, ${c.cipher} AS cipher FROM ${c.table}`;
      const { rows } =
        afterKey === null
          ? await this.pool.query<SealedRow>(`${select} ORDER BY ${c.key} LIMIT $1`, [max])
          : await this.pool.query<SealedRow>(`${select} WHERE ${c.key} > $1 ORDER BY ${c.key} LIMIT $2`, [
              afterKey,
              max,
            ]);
      return rows;
    });
  }

  async replaceSealed(ref: SealedRef, expected: string, next: string): Promise<boolean> {
    const c = SEALED_COLUMNS[ref.kind];
    // One statement: a regeneration committed meanwhile changes the cipher, and the WHERE then misses.
    const result = await this.pool.query(
      `UPDATE ${c.table} SET ${c.cipher} = $1 WHERE ${c.key} = $2 AND ${c.cipher} = $3`,
      [next, ref.key, expected],
    );
    return result.rowCount === 1;
  }
}

/** An operator's accounts as stored: NULL for every account, else a JSON array. */
const accountsColumn = (accounts: string[] | null): string | null =>
  accounts === null ? null : JSON.stringify(accounts);

export class PostgresOperatorStore implements OperatorStore {
  constructor(private readonly pool: PostgresPool) {}

  async createOperator(operator: OperatorRecord): Promise<boolean> {
    const result = await this.pool.query(
      'INSERT INTO operators (username, password_hash, role, accounts, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [
        operator.username,
        operator.passwordHash,
        operator.role,
        accountsColumn(operator.accounts),
        operator.createdAt,
      ],
    );
    return result.rowCount === 1;
  }

  async getOperator(username: string): Promise<OperatorRecord | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM operators WHERE username = $1', [username]);
    const row = rows[0];
    return row ? operatorFromRow(row) : null;
  }

  async setOperatorPassword(username: string, passwordHash: string): Promise<boolean> {
    const result = await this.pool.query('UPDATE operators SET password_hash = $1 WHERE username = $2', [
      passwordHash,
      username,
    ]);
    return result.rowCount === 1;
  }

  async updateOperator(
    username: string,
    change: OperatorChange,
    ifAccounts?: string[] | null,
  ): Promise<boolean> {
    const { role, accounts } = change;
    const result = await this.pool.query(
      `UPDATE operators SET role = CASE WHEN $1 THEN $2 ELSE role END,
         accounts = CASE WHEN $3 THEN $4::jsonb ELSE accounts END
       WHERE username = $5 AND ($6 OR accounts IS NOT DISTINCT FROM $7::jsonb)`,
      [
        role !== undefined,
        role ?? null,
        accounts !== undefined,
        accountsColumn(accounts ?? null),
        username,
        ifAccounts === undefined,
        accountsColumn(ifAccounts ?? null),
      ],
    );
    return result.rowCount === 1;
  }

  async removeAccountFromOperators(accountId: string): Promise<number> {
    const result = await this.pool.query(
      `UPDATE operators
         SET accounts = COALESCE(
           (SELECT jsonb_agg(value ORDER BY at) FROM jsonb_array_elements_text(accounts) WITH ORDINALITY AS e(value, at)
             WHERE value <> $1),
           '[]'::jsonb)
       WHERE accounts ? $1`,
      [accountId],
    );
    return result.rowCount ?? 0;
  }

  async createSession(record: OperatorSessionRecord): Promise<void> {
    await this.pool.query(
      'INSERT INTO operator_sessions (id_hash, id, username, csrf_token, created_at, expires_at, last_seen_at, address, user_agent, signed_in_with, provider_subject, provider_session) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)',
      [
        record.idHash,
        record.id,
        record.username,
        record.csrfToken,
        record.createdAt,
        record.expiresAt,
        record.lastSeenAt,
        record.address,
        record.userAgent,
        record.signedInWith,
        record.provider?.subject ?? null,
        record.provider?.session ?? null,
      ],
    );
  }

  async getSession(idHash: string): Promise<OperatorSessionRecord | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM operator_sessions WHERE id_hash = $1', [
      idHash,
    ]);
    const row = rows[0];
    return row ? sessionFromRow(row) : null;
  }

  async touchSession(idHash: string, at: number): Promise<void> {
    await this.pool.query(
      'UPDATE operator_sessions SET last_seen_at = $1 WHERE id_hash = $2 AND last_seen_at < $1',
      [at, idHash],
    );
  }

  async deleteSessions(filter: SessionFilter): Promise<number> {
    const result =
      'idHash' in filter
        ? await this.pool.query('DELETE FROM operator_sessions WHERE id_hash = $1', [filter.idHash])
        : await this.pool.query(
            `DELETE FROM operator_sessions WHERE username = $1
               AND ($2::text IS NULL OR id = $2) AND ($3::text IS NULL OR id_hash <> $3)`,
            [filter.username, filter.id ?? null, filter.exceptIdHash ?? null],
          );
    return result.rowCount ?? 0;
  }

  async deleteProviderSessions(at: { subject?: string; session?: string }): Promise<string[]> {
    if (at.subject === undefined && at.session === undefined) return [];
    const { rows } = await this.pool.query<Row>(
      `DELETE FROM operator_sessions WHERE provider_subject IS NOT NULL
         AND ($1::text IS NULL OR provider_subject = $1) AND ($2::text IS NULL OR provider_session = $2)
       RETURNING username`,
      [at.subject ?? null, at.session ?? null],
    );
    return rows.map((row) => String(row.username));
  }

  async listSessions(username: string): Promise<OperatorSessionRecord[]> {
    const { rows } = await this.pool.query<Row>(
      'SELECT * FROM operator_sessions WHERE username = $1 ORDER BY created_at DESC, id',
      [username],
    );
    return rows.map(sessionFromRow);
  }

  async listOperators(): Promise<OperatorListing[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT o.*, t.enabled_at IS NOT NULL AS totp_enabled,
         (SELECT count(*) FROM operator_passkeys p WHERE p.username = o.username) AS passkeys
       FROM operators o LEFT JOIN operator_totp t ON t.username = o.username ORDER BY o.username COLLATE "C"`,
    );
    return rows.map(operatorListingFromRow);
  }

  async deleteOperator(username: string, ifAccounts?: string[] | null): Promise<boolean> {
    // One statement, so one transaction: the sessions, tokens, TOTP secret and passkeys go with the operator or not
    // at all.
    // The row is locked first, so a change of its accounts meanwhile is seen (and then nothing is removed).
    const { rows } = await this.pool.query<Row>(
      `WITH target AS (SELECT username FROM operators
                        WHERE username = $1 AND ($2 OR accounts IS NOT DISTINCT FROM $3::jsonb) FOR UPDATE),
            sessions AS (DELETE FROM operator_sessions WHERE username IN (SELECT username FROM target)),
            tokens AS (DELETE FROM operator_tokens WHERE username IN (SELECT username FROM target)),
            totp AS (DELETE FROM operator_totp WHERE username IN (SELECT username FROM target)),
            passkeys AS (DELETE FROM operator_passkeys WHERE username IN (SELECT username FROM target))
       DELETE FROM operators WHERE username IN (SELECT username FROM target) RETURNING username`,
      [username, ifAccounts === undefined, accountsColumn(ifAccounts ?? null)],
    );
    return rows.length === 1;
  }

  async createOperatorToken(token: OperatorTokenRecord): Promise<void> {
    await this.pool.query(
      'INSERT INTO operator_tokens (id, token_hash, username, name, created_at, expires_at, last_used_at, role) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [
        token.id,
        token.tokenHash,
        token.username,
        token.name,
        token.createdAt,
        token.expiresAt,
        token.lastUsedAt,
        token.role,
      ],
    );
  }

  async findOperatorToken(tokenHash: string): Promise<OperatorTokenRecord | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM operator_tokens WHERE token_hash = $1', [
      tokenHash,
    ]);
    const row = rows[0];
    return row ? operatorTokenFromRow(row) : null;
  }

  async listOperatorTokens(): Promise<OperatorTokenRecord[]> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM operator_tokens ORDER BY created_at, id');
    return rows.map(operatorTokenFromRow);
  }

  async deleteOperatorToken(id: string): Promise<OperatorTokenRecord | null> {
    const { rows } = await this.pool.query<Row>('DELETE FROM operator_tokens WHERE id = $1 RETURNING *', [
      id,
    ]);
    return rows[0] ? operatorTokenFromRow(rows[0]) : null;
  }

  async purgeExpiredOperatorCredentials(
    now: number,
    tokensExpiredBefore: number,
    sessionsIdleSince: number | null = null,
  ): Promise<{ sessions: number; tokens: number }> {
    const sessions = await this.pool.query(
      'DELETE FROM operator_sessions WHERE expires_at <= $1 OR last_seen_at <= $2',
      [now, sessionsIdleSince ?? Number.MIN_SAFE_INTEGER],
    );
    const tokens = await this.pool.query(
      'DELETE FROM operator_tokens WHERE expires_at IS NOT NULL AND expires_at < $1',
      [tokensExpiredBefore],
    );
    return { sessions: sessions.rowCount ?? 0, tokens: tokens.rowCount ?? 0 };
  }

  async touchOperatorToken(tokenHash: string, usedAt: number): Promise<void> {
    await this.pool.query(
      'UPDATE operator_tokens SET last_used_at = $1 WHERE token_hash = $2 AND (last_used_at IS NULL OR last_used_at < $1)',
      [usedAt, tokenHash],
    );
  }

  async getTotp(username: string): Promise<OperatorTotpRecord | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM operator_totp WHERE username = $1', [
      username,
    ]);
    return rows[0] ? totpFromRow(rows[0]) : null;
  }

  async putPendingTotp(
    record: Omit<OperatorTotpRecord, 'enabledAt' | 'lastStep' | 'recoveryCodes'>,
  ): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO operator_totp (username, secret_cipher, created_at)
       SELECT username, $1, $2 FROM operators WHERE username = $3
       ON CONFLICT (username) DO UPDATE SET secret_cipher = excluded.secret_cipher,
         created_at = excluded.created_at WHERE operator_totp.enabled_at IS NULL`,
      [record.secretCipher, record.createdAt, record.username],
    );
    return result.rowCount === 1;
  }

  async enableTotp(username: string, step: number, at: number, recoveryCodes: string[]): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE operator_totp SET enabled_at = $1, last_step = $2, recovery_codes = $3
       WHERE username = $4 AND enabled_at IS NULL`,
      [at, step, JSON.stringify(recoveryCodes), username],
    );
    return result.rowCount === 1;
  }

  async replaceRecoveryCodes(username: string, recoveryCodes: string[]): Promise<boolean> {
    const result = await this.pool.query(
      'UPDATE operator_totp SET recovery_codes = $1 WHERE username = $2 AND enabled_at IS NOT NULL',
      [JSON.stringify(recoveryCodes), username],
    );
    return result.rowCount === 1;
  }

  async useRecoveryCode(username: string, hash: string): Promise<number | null> {
    // One statement: the row lock makes a second node with the same code find it gone.
    const { rows } = await this.pool.query<Row>(
      `UPDATE operator_totp SET recovery_codes = recovery_codes - $2
       WHERE username = $1 AND enabled_at IS NOT NULL AND recovery_codes ? $2
       RETURNING jsonb_array_length(recovery_codes) AS remaining`,
      [username, hash],
    );
    return rows[0] ? num(rows[0].remaining) : null;
  }

  async useTotpStep(username: string, step: number): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE operator_totp SET last_step = $1 WHERE username = $2 AND enabled_at IS NOT NULL
       AND (last_step IS NULL OR last_step < $1)`,
      [step, username],
    );
    return result.rowCount === 1;
  }

  async deleteTotp(username: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM operator_totp WHERE username = $1', [username]);
    return result.rowCount === 1;
  }

  async addPasskey(passkey: OperatorPasskeyRecord): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO operator_passkeys (id, username, name, public_key, counter, transports, created_at, last_used_at)
       SELECT $1, username, $2, $3, $4, $5::jsonb, $6, $7 FROM operators WHERE username = $8
       ON CONFLICT (id) DO NOTHING`,
      [
        passkey.id,
        passkey.name,
        passkey.publicKey,
        passkey.counter,
        JSON.stringify(passkey.transports),
        passkey.createdAt,
        passkey.lastUsedAt,
        passkey.username,
      ],
    );
    return result.rowCount === 1;
  }

  async listPasskeys(username: string): Promise<OperatorPasskeyRecord[]> {
    const { rows } = await this.pool.query<Row>(
      'SELECT * FROM operator_passkeys WHERE username = $1 ORDER BY created_at, id COLLATE "C"',
      [username],
    );
    return rows.map(passkeyFromRow);
  }

  async findPasskey(id: string): Promise<OperatorPasskeyRecord | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM operator_passkeys WHERE id = $1', [id]);
    return rows[0] ? passkeyFromRow(rows[0]) : null;
  }

  async usePasskey(username: string, id: string, counter: number, usedAt: number): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE operator_passkeys SET counter = $3, last_used_at = $4
       WHERE id = $1 AND username = $2 AND ($3 = 0 OR counter < $3)`,
      [id, username, counter, usedAt],
    );
    return result.rowCount === 1;
  }

  async deletePasskey(username: string, id: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM operator_passkeys WHERE id = $1 AND username = $2', [
      id,
      username,
    ]);
    return result.rowCount === 1;
  }

  async deletePasskeys(username: string): Promise<number> {
    return (
      (await this.pool.query('DELETE FROM operator_passkeys WHERE username = $1', [username])).rowCount ?? 0
    );
  }
}

export class PostgresAuditStore implements AuditStore {
  constructor(private readonly pool: PostgresPool) {}

  async appendAudit(event: AuditEvent): Promise<void> {
    await this.pool.query(
      'INSERT INTO audit_events (id, at, actor, account_id, action, address, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [
        event.id,
        event.at,
        event.actor,
        event.accountId,
        event.action,
        event.address,
        JSON.stringify(event.detail),
      ],
    );
  }

  async listAudit(filter: AuditFilter): Promise<AuditEvent[]> {
    // By or about an operator: two indexed lookups (actor; the username of the details), one statement of its own.
    const byOperator = filter.operator === undefined ? '' : `(actor = $6 OR detail->>'username' = $6) AND`;
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM audit_events WHERE ${byOperator} ($1::text IS NULL OR account_id = $1)
         AND ($4::text[] IS NULL OR account_id IS NULL OR account_id = ANY($4::text[]))
         AND ($2::bigint IS NULL OR at < $2
           OR (at = $2 AND seq < (SELECT seq FROM audit_events WHERE id = $5::text)))
       ORDER BY at DESC, seq DESC LIMIT $3`,
      [
        filter.accountId ?? null,
        filter.before ?? null,
        filter.limit,
        filter.accounts ?? null,
        filter.beforeId ?? null,
        ...(filter.operator === undefined ? [] : [filter.operator]),
      ],
    );
    return rows.map(auditEventFromRow);
  }

  async purgeAuditBefore(cutoff: number, limit: number): Promise<number> {
    // SKIP LOCKED: purgers on several nodes share the work instead of queueing on each other's rows.
    const { rowCount } = await this.pool.query(
      `DELETE FROM audit_events WHERE id IN (
         SELECT id FROM audit_events WHERE at < $1 ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [cutoff, limit],
    );
    return rowCount ?? 0;
  }
}
