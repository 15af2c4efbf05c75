import type { Statement } from 'better-sqlite3';
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
import type { SqliteDatabase } from './database.js';

const LIVE = '(expires_at IS NULL OR expires_at > ?)';
const KEY = 'account_id = ? AND namespace = ? AND session_id = ?';

const SQL = {
  selectDocument: `SELECT properties, created_at, expires_at FROM context_documents WHERE ${KEY}`,
  selectLiveDocument: `SELECT * FROM context_documents WHERE ${KEY} AND ${LIVE}`,
  upsertDocument: `
    INSERT INTO context_documents
      (account_id, namespace, session_id, properties, size, created_at, updated_at, expires_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (account_id, namespace, session_id) DO UPDATE SET
      properties = excluded.properties, size = excluded.size, created_at = excluded.created_at,
      updated_at = excluded.updated_at, expires_at = excluded.expires_at`,
  updateProperties: `UPDATE context_documents SET properties = ?, size = ?, updated_at = ? WHERE ${KEY}`,
  deleteDocument: `DELETE FROM context_documents WHERE ${KEY}`,
  listDocuments: `
    SELECT * FROM context_documents WHERE account_id = ? AND namespace = ? AND ${LIVE}
    ORDER BY session_id LIMIT ? OFFSET ?`,
  deleteNamespaceBatch: `
    DELETE FROM context_documents WHERE (account_id, namespace, session_id) IN (
      SELECT account_id, namespace, session_id FROM context_documents
      WHERE account_id = ? AND namespace = ? LIMIT ?)`,
  purgeExpired: `
    DELETE FROM context_documents WHERE (account_id, namespace, session_id) IN (
      SELECT account_id, namespace, session_id FROM context_documents
      WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)`,
  insertNamespace: `
    INSERT INTO context_namespaces (account_id, name, created_at, ttl_seconds) VALUES (?, ?, ?, NULL)
    ON CONFLICT (account_id, name) DO NOTHING`,
  upsertNamespaceTtl: `
    INSERT INTO context_namespaces (account_id, name, created_at, ttl_seconds) VALUES (?, ?, ?, ?)
    ON CONFLICT (account_id, name) DO UPDATE SET ttl_seconds = excluded.ttl_seconds`,
  listNamespaces: 'SELECT * FROM context_namespaces WHERE account_id = ? ORDER BY name',
  getNamespace: 'SELECT * FROM context_namespaces WHERE account_id = ? AND name = ?',
  deleteNamespace: 'DELETE FROM context_namespaces WHERE account_id = ? AND name = ?',
  deleteNamespaceDocuments: 'DELETE FROM context_documents WHERE account_id = ? AND namespace = ?',
  deleteNamespaceTtls: 'DELETE FROM context_session_ttls WHERE account_id = ? AND namespace = ?',
  upsertSessionTtl: `
    INSERT INTO context_session_ttls (account_id, namespace, session_id, created_at, ttl_seconds)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (account_id, namespace, session_id) DO UPDATE SET ttl_seconds = excluded.ttl_seconds`,
  listSessionTtls:
    'SELECT * FROM context_session_ttls WHERE account_id = ? AND namespace = ? ORDER BY session_id',
  getSessionTtl: `SELECT * FROM context_session_ttls WHERE ${KEY}`,
  deleteSessionTtl: `DELETE FROM context_session_ttls WHERE ${KEY}`,
} as const;

type Statements = { [K in keyof typeof SQL]: Statement };

const keyArgs = (key: DocumentKey): [string, string, string] => [key.accountId, key.namespace, key.sessionId];

/**
 * Context documents, namespaces and TTLs in SQLite. A merge reads, merges and writes inside a
 * `BEGIN IMMEDIATE` transaction, so it holds the write lock from the read on and no concurrent merge (from this
 * process or another one on the same file) can slip in between; the merges of one event-loop turn share
 * that transaction (`#commitQueued`).
 */
export class SqliteContextStore implements ContextDocumentStore, ContextNamespaceStore {
  readonly #statements: Statements;
  readonly #merge;
  readonly #mergeMany;
  /** Merges waiting for this turn's shared transaction. */
  readonly #queued = new TurnBatch<MergeRequest, MergeOutcome>((batch) => this.#commitQueued(batch));
  readonly #deleteProperties;
  readonly #deleteNamespace;
  readonly #deleteSession;

  constructor(db: SqliteDatabase) {
    this.#statements = Object.fromEntries(
      Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)]),
    ) as Statements;
    const s = this.#statements;

    const merge = (
      key: DocumentKey,
      patch: Record<string, JsonValue>,
      options: MergeOptions,
    ): MergeOutcome => {
      const row = s.selectDocument.get(...keyArgs(key)) as Row | undefined;
      const live = row !== undefined && !isExpired(numOrNull(row.expires_at), options.now) ? row : undefined;
      const base = live ? parseProperties(String(live.properties)) : {};
      const json = serializeProperties(mergeProperties(base, patch));
      if (json.length > options.maxChars) return { ok: false, reason: 'too_large', size: json.length };
      const createdAt = live ? num(live.created_at) : options.now;
      s.upsertDocument.run(...keyArgs(key), json, json.length, createdAt, options.now, options.expiresAt);
      // A document row (even an expired one) implies its namespace: deleteNamespace removes both together.
      if (row === undefined) s.insertNamespace.run(key.accountId, key.namespace, options.now);
      return {
        ok: true,
        document: {
          key: { ...key },
          properties: parseProperties(json),
          createdAt,
          updatedAt: options.now,
          expiresAt: options.expiresAt,
        },
      };
    };
    this.#merge = db.transaction(merge);
    this.#mergeMany = db.transaction((batch: Waiting<MergeRequest, MergeOutcome>[]) =>
      batch.map(({ item }) => merge(item.key, item.patch, item.options)),
    );

    this.#deleteProperties = db.transaction((key: DocumentKey, names: string[], now: number): boolean => {
      const row = s.selectLiveDocument.get(...keyArgs(key), now) as Row | undefined;
      if (!row) return false;
      const json = serializeProperties(omitProperties(parseProperties(String(row.properties)), names));
      s.updateProperties.run(json, json.length, now, ...keyArgs(key));
      return true;
    });

    this.#deleteNamespace = db.transaction((accountId: string, name: string): boolean => {
      const documents = s.deleteNamespaceDocuments.run(accountId, name).changes;
      const ttls = s.deleteNamespaceTtls.run(accountId, name).changes;
      const namespaces = s.deleteNamespace.run(accountId, name).changes;
      return documents + ttls + namespaces > 0;
    });

    this.#deleteSession = db.transaction((key: DocumentKey): boolean => {
      const documents = s.deleteDocument.run(...keyArgs(key)).changes;
      const ttls = s.deleteSessionTtl.run(...keyArgs(key)).changes;
      return documents + ttls > 0;
    });
  }

  async mergeDocument(
    key: DocumentKey,
    patch: Record<string, JsonValue>,
    options: MergeOptions,
  ): Promise<MergeOutcome> {
    return this.#queued.add({ key, patch, options });
  }

  /**
   * Group commit: the merges asked for in one turn of the event loop share one transaction, applied in the
   * order they were asked for, each reading what the one before it wrote. A transaction's fixed cost (locks,
   * the WAL frame of every page it touched) is then paid once per turn instead of once per merge. None is
   * answered before the transaction commits. When the shared transaction fails, it is rolled back whole and
   * each merge is retried alone, so that only the merges that fail on their own fail.
   */
  #commitQueued(batch: Waiting<MergeRequest, MergeOutcome>[]): void {
    if (batch.length > 1) {
      try {
        const outcomes = this.#mergeMany.immediate(batch);
        for (const [i, merge] of batch.entries()) merge.resolve(outcomes[i] as MergeOutcome);
        return;
      } catch {
        // Rolled back whole: each merge alone below, so that only the ones that fail on their own fail.
      }
    }
    answerEach(batch, ({ key, patch, options }) => this.#merge.immediate(key, patch, options));
  }

  async getDocument(key: DocumentKey, now: number): Promise<ContextDocument | null> {
    const row = this.#statements.selectLiveDocument.get(...keyArgs(key), now) as Row | undefined;
    return row ? documentFromRow(row) : null;
  }

  async deleteProperties(key: DocumentKey, names: string[], now: number): Promise<boolean> {
    return this.#deleteProperties.immediate(key, names, now);
  }

  async deleteDocument(key: DocumentKey): Promise<boolean> {
    return this.#statements.deleteDocument.run(...keyArgs(key)).changes > 0;
  }

  async listDocuments(
    accountId: string,
    namespace: string,
    page: { offset: number; limit: number; now: number },
  ): Promise<ContextDocument[]> {
    const rows = this.#statements.listDocuments.all(
      accountId,
      namespace,
      page.now,
      page.limit,
      page.offset,
    ) as Row[];
    return rows.map(documentFromRow);
  }

  async purgeExpiredDocuments(now: number, limit: number): Promise<number> {
    return this.#statements.purgeExpired.run(now, limit).changes;
  }

  async deleteNamespaceDocuments(accountId: string, name: string, limit: number): Promise<number> {
    return this.#statements.deleteNamespaceBatch.run(accountId, name, limit).changes;
  }

  async upsertNamespace(
    accountId: string,
    name: string,
    now: number,
    ttlSeconds?: number | null,
  ): Promise<void> {
    if (ttlSeconds === undefined) this.#statements.insertNamespace.run(accountId, name, now);
    else this.#statements.upsertNamespaceTtl.run(accountId, name, now, ttlSeconds);
  }

  async listNamespaces(accountId: string): Promise<NamespaceRecord[]> {
    return (this.#statements.listNamespaces.all(accountId) as Row[]).map(namespaceFromRow);
  }

  async getNamespace(accountId: string, name: string): Promise<NamespaceRecord | null> {
    const row = this.#statements.getNamespace.get(accountId, name) as Row | undefined;
    return row ? namespaceFromRow(row) : null;
  }

  async deleteNamespace(accountId: string, name: string): Promise<boolean> {
    return this.#deleteNamespace.immediate(accountId, name);
  }

  async setSessionTtl(record: SessionTtlRecord): Promise<void> {
    this.#statements.upsertSessionTtl.run(
      record.accountId,
      record.namespace,
      record.sessionId,
      record.createdAt,
      record.ttlSeconds,
    );
  }

  async listSessionTtls(accountId: string, namespace: string): Promise<SessionTtlRecord[]> {
    return (this.#statements.listSessionTtls.all(accountId, namespace) as Row[]).map(sessionTtlFromRow);
  }

  async getSessionTtl(
    accountId: string,
    namespace: string,
    sessionId: string,
  ): Promise<SessionTtlRecord | null> {
    const row = this.#statements.getSessionTtl.get(accountId, namespace, sessionId) as Row | undefined;
    return row ? sessionTtlFromRow(row) : null;
  }

  async deleteSession(accountId: string, namespace: string, sessionId: string): Promise<boolean> {
    return this.#deleteSession.immediate({ accountId, namespace, sessionId });
  }
}
