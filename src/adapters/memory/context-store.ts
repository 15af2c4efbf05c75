import {
  isExpired,
  mergeProperties,
  omitProperties,
  parseProperties,
  serializeProperties,
} from '../../core/context/properties.js';
import type { JsonValue } from '../../core/json.js';
import type {
  ContextDocument,
  ContextDocumentStore,
  ContextNamespaceStore,
  DocumentKey,
  MergeOptions,
  MergeOutcome,
  NamespaceRecord,
  SessionTtlRecord,
} from '../../ports/context-store.js';

/** A document as kept here: the serialized properties, so every read hands out a fresh copy. */
interface StoredDocument {
  json: string;
  createdAt: number;
  updatedAt: number;
  expiresAt: number | null;
}

const namespaceKey = (accountId: string, namespace: string): string => JSON.stringify([accountId, namespace]);

/** Orders session ids by their UTF-8 bytes, as SQLite (BINARY) and PostgreSQL (COLLATE "C") do. */
const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

const toDocument = (key: DocumentKey, stored: StoredDocument): ContextDocument => ({
  key: { ...key },
  properties: parseProperties(stored.json),
  createdAt: stored.createdAt,
  updatedAt: stored.updatedAt,
  expiresAt: stored.expiresAt,
});

/**
 * Context documents, namespaces and TTLs in this process's memory. Each operation runs to completion without
 * awaiting, so it is atomic with respect to every other caller in the process.
 */
export class MemoryContextStore implements ContextDocumentStore, ContextNamespaceStore {
  readonly #namespaces = new Map<string, Map<string, NamespaceRecord>>();
  readonly #documents = new Map<string, Map<string, StoredDocument>>();
  readonly #sessionTtls = new Map<string, Map<string, SessionTtlRecord>>();

  #documentsOf(
    accountId: string,
    namespace: string,
    create: boolean,
  ): Map<string, StoredDocument> | undefined {
    const key = namespaceKey(accountId, namespace);
    let documents = this.#documents.get(key);
    if (!documents && create) {
      documents = new Map();
      this.#documents.set(key, documents);
    }
    return documents;
  }

  #live(key: DocumentKey, now: number): StoredDocument | undefined {
    const stored = this.#documentsOf(key.accountId, key.namespace, false)?.get(key.sessionId);
    return stored && !isExpired(stored.expiresAt, now) ? stored : undefined;
  }

  async mergeDocument(
    key: DocumentKey,
    patch: Record<string, JsonValue>,
    options: MergeOptions,
  ): Promise<MergeOutcome> {
    const current = this.#live(key, options.now);
    const json = serializeProperties(mergeProperties(current ? parseProperties(current.json) : {}, patch));
    if (json.length > options.maxChars) return { ok: false, reason: 'too_large', size: json.length };
    const stored: StoredDocument = {
      json,
      createdAt: current?.createdAt ?? options.now,
      updatedAt: options.now,
      expiresAt: options.expiresAt,
    };
    this.#documentsOf(key.accountId, key.namespace, true)?.set(key.sessionId, stored);
    this.#createNamespace(key.accountId, key.namespace, options.now);
    return { ok: true, document: toDocument(key, stored) };
  }

  async getDocument(key: DocumentKey, now: number): Promise<ContextDocument | null> {
    const stored = this.#live(key, now);
    return stored ? toDocument(key, stored) : null;
  }

  async deleteProperties(key: DocumentKey, names: string[], now: number): Promise<boolean> {
    const stored = this.#live(key, now);
    if (!stored) return false;
    stored.json = serializeProperties(omitProperties(parseProperties(stored.json), names));
    stored.updatedAt = now;
    return true;
  }

  async deleteDocument(key: DocumentKey): Promise<boolean> {
    return this.#documentsOf(key.accountId, key.namespace, false)?.delete(key.sessionId) ?? false;
  }

  async listDocuments(
    accountId: string,
    namespace: string,
    page: { offset: number; limit: number; now: number },
  ): Promise<ContextDocument[]> {
    const documents = this.#documentsOf(accountId, namespace, false);
    if (!documents) return [];
    return [...documents.entries()]
      .filter(([, stored]) => !isExpired(stored.expiresAt, page.now))
      .sort(([a], [b]) => byBytes(a, b))
      .slice(page.offset, page.offset + page.limit)
      .map(([sessionId, stored]) => toDocument({ accountId, namespace, sessionId }, stored));
  }

  async deleteNamespaceDocuments(accountId: string, name: string, limit: number): Promise<number> {
    const documents = this.#documents.get(namespaceKey(accountId, name));
    if (!documents) return 0;
    let deleted = 0;
    for (const sessionId of documents.keys()) {
      if (deleted >= limit) break;
      documents.delete(sessionId);
      deleted++;
    }
    return deleted;
  }

  async purgeExpiredDocuments(now: number, limit: number): Promise<number> {
    let purged = 0;
    for (const [key, documents] of this.#documents) {
      for (const [sessionId, stored] of documents) {
        if (purged >= limit) return purged;
        if (!isExpired(stored.expiresAt, now)) continue;
        documents.delete(sessionId);
        purged++;
      }
      if (documents.size === 0) this.#documents.delete(key);
    }
    return purged;
  }

  #createNamespace(accountId: string, name: string, now: number): NamespaceRecord {
    let namespaces = this.#namespaces.get(accountId);
    if (!namespaces) {
      namespaces = new Map();
      this.#namespaces.set(accountId, namespaces);
    }
    let record = namespaces.get(name);
    if (!record) {
      record = { accountId, name, createdAt: now, ttlSeconds: null };
      namespaces.set(name, record);
    }
    return record;
  }

  async upsertNamespace(
    accountId: string,
    name: string,
    now: number,
    ttlSeconds?: number | null,
  ): Promise<void> {
    const record = this.#createNamespace(accountId, name, now);
    if (ttlSeconds !== undefined) record.ttlSeconds = ttlSeconds;
  }

  async listNamespaces(accountId: string): Promise<NamespaceRecord[]> {
    const namespaces = this.#namespaces.get(accountId);
    if (!namespaces) return [];
    return [...namespaces.values()].sort((a, b) => byBytes(a.name, b.name)).map((record) => ({ ...record }));
  }

  async getNamespace(accountId: string, name: string): Promise<NamespaceRecord | null> {
    const record = this.#namespaces.get(accountId)?.get(name);
    return record ? { ...record } : null;
  }

  async deleteNamespace(accountId: string, name: string): Promise<boolean> {
    const key = namespaceKey(accountId, name);
    const hadDocuments = (this.#documents.get(key)?.size ?? 0) > 0;
    const hadTtls = (this.#sessionTtls.get(key)?.size ?? 0) > 0;
    this.#documents.delete(key);
    this.#sessionTtls.delete(key);
    const hadNamespace = this.#namespaces.get(accountId)?.delete(name) ?? false;
    return hadNamespace || hadDocuments || hadTtls;
  }

  async setSessionTtl(record: SessionTtlRecord): Promise<void> {
    const key = namespaceKey(record.accountId, record.namespace);
    let ttls = this.#sessionTtls.get(key);
    if (!ttls) {
      ttls = new Map();
      this.#sessionTtls.set(key, ttls);
    }
    const existing = ttls.get(record.sessionId);
    ttls.set(record.sessionId, { ...record, createdAt: existing?.createdAt ?? record.createdAt });
  }

  async listSessionTtls(accountId: string, namespace: string): Promise<SessionTtlRecord[]> {
    const ttls = this.#sessionTtls.get(namespaceKey(accountId, namespace));
    if (!ttls) return [];
    return [...ttls.values()]
      .sort((a, b) => byBytes(a.sessionId, b.sessionId))
      .map((record) => ({ ...record }));
  }

  async getSessionTtl(
    accountId: string,
    namespace: string,
    sessionId: string,
  ): Promise<SessionTtlRecord | null> {
    const record = this.#sessionTtls.get(namespaceKey(accountId, namespace))?.get(sessionId);
    return record ? { ...record } : null;
  }

  async deleteSession(accountId: string, namespace: string, sessionId: string): Promise<boolean> {
    const key = namespaceKey(accountId, namespace);
    const hadDocument = this.#documents.get(key)?.delete(sessionId) ?? false;
    const hadTtl = this.#sessionTtls.get(key)?.delete(sessionId) ?? false;
    return hadDocument || hadTtl;
  }
}
