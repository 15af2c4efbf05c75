import {
  isExpired,
  mergeProperties,
  omitProperties,
  parseProperties,
  serializeProperties,
} from '../../core/context/properties.js';
import type { JsonValue } from '../../core/json.js';
import { answerEach, TurnBatch, type Waiting } from '../../core/turn-batch.js';
import type {
  ContextDocument,
  ContextDocumentStore,
  ContextNamespaceStore,
  DocumentKey,
  MergeOptions,
  MergeOutcome,
  MergeRequest,
  NamespaceRecord,
  SessionTtlRecord,
} from '../../ports/context-store.js';
import { num, numOrNull, type Row } from '../shared/auth-rows.js';
import { documentFromRow, namespaceFromRow, sessionTtlFromRow } from '../shared/context-rows.js';
import { inTransaction, type PostgresClient, type PostgresPool } from './database.js';

const KEY = 'account_id = $1 AND namespace = $2 AND session_id = $3';
const LIVE = '(expires_at IS NULL OR expires_at > $4)';
/** Named columns, not `*`: a prepared statement keeps its result shape, and a later migration may add columns. */
const COLUMNS = 'account_id, namespace, session_id, properties, created_at, updated_at, expires_at';

/**
 * The statements every context read and merge runs, as named prepared statements: PostgreSQL parses and
 * plans each once per connection instead of once per call.
 */
const HOT = {
  read: { name: 'ctx_read', text: `SELECT ${COLUMNS} FROM context_documents WHERE ${KEY} AND ${LIVE}` },
  lock: { name: 'ctx_lock', text: `SELECT ${COLUMNS} FROM context_documents WHERE ${KEY} FOR UPDATE` },
  remove: { name: 'ctx_remove', text: `DELETE FROM context_documents WHERE ${KEY}` },
  update: {
    name: 'ctx_update',
    text: `UPDATE context_documents SET properties = $4, size = $5, created_at = $6, updated_at = $7, expires_at = $8
           WHERE ${KEY}`,
  },
} as const;
const keyArgs = (key: DocumentKey): [string, string, string] => [key.accountId, key.namespace, key.sessionId];

/**
 * Locks the document's row for the rest of the transaction, creating an already-expired placeholder when there
 * is none, so that merges racing from any number of nodes queue on one row lock (a plain `SELECT ... FOR UPDATE`
 * locks nothing while the row does not exist yet). A rolled-back transaction takes its placeholder with it.
 */
async function lockDocument(
  tx: PostgresClient,
  key: DocumentKey,
  now: number,
): Promise<{ row: Row; created: boolean }> {
  const lock = { ...HOT.lock, values: keyArgs(key) };
  // The common case, a document that exists, costs one statement; only a new one needs the placeholder.
  const existing = (await tx.query<Row>(lock)).rows[0];
  if (existing) return { row: existing, created: false };
  const inserted = await tx.query(
    `INSERT INTO context_documents (account_id, namespace, session_id, properties, size, created_at, updated_at, expires_at)
     VALUES ($1, $2, $3, '{}', 2, $4, $4, $4) ON CONFLICT DO NOTHING`,
    [...keyArgs(key), now],
  );
  const row = (await tx.query<Row>(lock)).rows[0];
  if (!row) throw new Error('context document vanished while locked');
  return { row, created: inserted.rowCount === 1 };
}

/** One merge inside a transaction that holds, from here on, the document's row lock. */
async function mergeIn(tx: PostgresClient, { key, patch, options }: MergeRequest): Promise<MergeOutcome> {
  const { row, created } = await lockDocument(tx, key, options.now);
  const live = !isExpired(numOrNull(row.expires_at), options.now);
  const json = serializeProperties(
    mergeProperties(live ? parseProperties(String(row.properties)) : {}, patch),
  );
  if (json.length > options.maxChars) {
    // Nothing of a refused merge stays: not even the placeholder lockDocument made for a new document.
    if (created) await tx.query({ ...HOT.remove, values: keyArgs(key) });
    return { ok: false, reason: 'too_large', size: json.length };
  }
  const createdAt = live ? num(row.created_at) : options.now;
  await tx.query({
    ...HOT.update,
    values: [...keyArgs(key), json, json.length, createdAt, options.now, options.expiresAt],
  });
  // A namespace exists while any of its documents does (deleting one deletes the other), so only a
  // new document can need it created.
  if (created) {
    await tx.query(
      `INSERT INTO context_namespaces (account_id, name, created_at, ttl_seconds) VALUES ($1, $2, $3, NULL)
         ON CONFLICT (account_id, name) DO NOTHING`,
      [key.accountId, key.namespace, options.now],
    );
  }
  const document: ContextDocument = {
    key: { ...key },
    properties: parseProperties(json),
    createdAt,
    updatedAt: options.now,
    expiresAt: options.expiresAt,
  };
  return { ok: true, document };
}

/** The order merges of one group take their row locks in: the same on every node. */
function compareKeys(a: DocumentKey, b: DocumentKey): number {
  for (const field of ['accountId', 'namespace', 'sessionId'] as const) {
    if (a[field] !== b[field]) return a[field] < b[field] ? -1 : 1;
  }
  return 0;
}

/** Context documents, namespaces and TTLs in PostgreSQL; every read-modify-write holds the document's row lock. */
export class PostgresContextStore implements ContextDocumentStore, ContextNamespaceStore {
  /** Merges waiting for this turn's shared transaction. */
  readonly #queued = new TurnBatch<MergeRequest, MergeOutcome>((batch) => void this.#commitQueued(batch));

  constructor(private readonly pool: PostgresPool) {}

  async mergeDocument(
    key: DocumentKey,
    patch: Record<string, JsonValue>,
    options: MergeOptions,
  ): Promise<MergeOutcome> {
    return this.#queued.add({ key, patch, options });
  }

  /**
   * Group commit, as on SQLite: the merges asked for in one turn of the event loop share one transaction
   * on one connection, two statements each plus one `BEGIN` and one `COMMIT`, instead of four statements
   * each. They take their row locks in document-key order (a stable sort, so merges into one document
   * keep the order they were asked in), the same order on every node, so two nodes' groups cannot
   * deadlock. None is answered before the commit. When the shared transaction fails (a lost connection, a
   * damaged row, or a deadlock after all), it is rolled back whole and each merge is retried alone.
   */
  async #commitQueued(batch: Waiting<MergeRequest, MergeOutcome>[]): Promise<void> {
    if (batch.length > 1) {
      try {
        const outcomes = await inTransaction(this.pool, async (tx) => {
          const done = new Map<Waiting<MergeRequest, MergeOutcome>, MergeOutcome>();
          for (const waiting of [...batch].sort((a, b) => compareKeys(a.item.key, b.item.key)))
            done.set(waiting, await mergeIn(tx, waiting.item));
          return done;
        });
        for (const waiting of batch) waiting.resolve(outcomes.get(waiting) as MergeOutcome);
        return;
      } catch {
        // Rolled back whole: each merge alone below, so that only the ones that fail on their own fail.
      }
    }
    answerEach(batch, (item) => inTransaction(this.pool, (tx) => mergeIn(tx, item)));
  }

  async getDocument(key: DocumentKey, now: number): Promise<ContextDocument | null> {
    const { rows } = await this.pool.query<Row>({ ...HOT.read, values: [...keyArgs(key), now] });
    return rows[0] ? documentFromRow(rows[0]) : null;
  }

  async deleteProperties(key: DocumentKey, names: string[], now: number): Promise<boolean> {
    return inTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query<Row>(
        `SELECT * FROM context_documents WHERE ${KEY} AND ${LIVE} FOR UPDATE`,
        [...keyArgs(key), now],
      );
      const row = rows[0];
      if (!row) return false;
      const json = serializeProperties(omitProperties(parseProperties(String(row.properties)), names));
      await tx.query(
        `UPDATE context_documents SET properties = $4, size = $5, updated_at = $6 WHERE ${KEY}`,
        [...keyArgs(key), json, json.length, now],
      );
      return true;
    });
  }

  async deleteDocument(key: DocumentKey): Promise<boolean> {
    const { rowCount } = await this.pool.query(`DELETE FROM context_documents WHERE ${KEY}`, keyArgs(key));
    return (rowCount ?? 0) > 0;
  }

  async listDocuments(
    accountId: string,
    namespace: string,
    page: { offset: number; limit: number; now: number },
  ): Promise<ContextDocument[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM context_documents
       WHERE account_id = $1 AND namespace = $2 AND (expires_at IS NULL OR expires_at > $3)
       ORDER BY session_id LIMIT $4 OFFSET $5`,
      [accountId, namespace, page.now, page.limit, page.offset],
    );
    return rows.map(documentFromRow);
  }

  async purgeExpiredDocuments(now: number, limit: number): Promise<number> {
    // SKIP LOCKED: purgers on several nodes share the work instead of queueing on each other's rows.
    const { rowCount } = await this.pool.query(
      `DELETE FROM context_documents WHERE (account_id, namespace, session_id) IN (
         SELECT account_id, namespace, session_id FROM context_documents
         WHERE expires_at IS NOT NULL AND expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [now, limit],
    );
    return rowCount ?? 0;
  }

  async deleteNamespaceDocuments(accountId: string, name: string, limit: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM context_documents WHERE (account_id, namespace, session_id) IN (
         SELECT account_id, namespace, session_id FROM context_documents
         WHERE account_id = $1 AND namespace = $2 LIMIT $3)`,
      [accountId, name, limit],
    );
    return rowCount ?? 0;
  }

  async upsertNamespace(
    accountId: string,
    name: string,
    now: number,
    ttlSeconds?: number | null,
  ): Promise<void> {
    if (ttlSeconds === undefined) {
      await this.pool.query(
        `INSERT INTO context_namespaces (account_id, name, created_at, ttl_seconds) VALUES ($1, $2, $3, NULL)
         ON CONFLICT (account_id, name) DO NOTHING`,
        [accountId, name, now],
      );
    } else {
      await this.pool.query(
        `INSERT INTO context_namespaces (account_id, name, created_at, ttl_seconds) VALUES ($1, $2, $3, $4)
         ON CONFLICT (account_id, name) DO UPDATE SET ttl_seconds = excluded.ttl_seconds`,
        [accountId, name, now, ttlSeconds],
      );
    }
  }

  async listNamespaces(accountId: string): Promise<NamespaceRecord[]> {
    const { rows } = await this.pool.query<Row>(
      'SELECT * FROM context_namespaces WHERE account_id = $1 ORDER BY name',
      [accountId],
    );
    return rows.map(namespaceFromRow);
  }

  async getNamespace(accountId: string, name: string): Promise<NamespaceRecord | null> {
    const { rows } = await this.pool.query<Row>(
      'SELECT * FROM context_namespaces WHERE account_id = $1 AND name = $2',
      [accountId, name],
    );
    return rows[0] ? namespaceFromRow(rows[0]) : null;
  }

  async deleteNamespace(accountId: string, name: string): Promise<boolean> {
    return inTransaction(this.pool, async (tx) => {
      const args = [accountId, name];
      let deleted = 0;
      for (const sql of [
        'DELETE FROM context_documents WHERE account_id = $1 AND namespace = $2',
        'DELETE FROM context_session_ttls WHERE account_id = $1 AND namespace = $2',
        'DELETE FROM context_namespaces WHERE account_id = $1 AND name = $2',
      ]) {
        deleted += (await tx.query(sql, args)).rowCount ?? 0;
      }
      return deleted > 0;
    });
  }

  async setSessionTtl(record: SessionTtlRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO context_session_ttls (account_id, namespace, session_id, created_at, ttl_seconds)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (account_id, namespace, session_id) DO UPDATE SET ttl_seconds = excluded.ttl_seconds`,
      [record.accountId, record.namespace, record.sessionId, record.createdAt, record.ttlSeconds],
    );
  }

  async listSessionTtls(accountId: string, namespace: string): Promise<SessionTtlRecord[]> {
    const { rows } = await this.pool.query<Row>(
      'SELECT * FROM context_session_ttls WHERE account_id = $1 AND namespace = $2 ORDER BY session_id',
      [accountId, namespace],
    );
    return rows.map(sessionTtlFromRow);
  }

  async getSessionTtl(
    accountId: string,
    namespace: string,
    sessionId: string,
  ): Promise<SessionTtlRecord | null> {
    const { rows } = await this.pool.query<Row>(`SELECT * FROM context_session_ttls WHERE ${KEY}`, [
      accountId,
      namespace,
      sessionId,
    ]);
    return rows[0] ? sessionTtlFromRow(rows[0]) : null;
  }

  async deleteSession(accountId: string, namespace: string, sessionId: string): Promise<boolean> {
    return inTransaction(this.pool, async (tx) => {
      const args = [accountId, namespace, sessionId];
      const documents = (await tx.query(`DELETE FROM context_documents WHERE ${KEY}`, args)).rowCount ?? 0;
      const ttls = (await tx.query(`DELETE FROM context_session_ttls WHERE ${KEY}`, args)).rowCount ?? 0;
      return documents + ttls > 0;
    });
  }
}
