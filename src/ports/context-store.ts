import type { JsonValue } from '../core/json.js';

/** Session id of namespace-level ("global") properties. */
export const DEFAULT_SESSION = '__default__';

export interface DocumentKey {
  accountId: string;
  namespace: string;
  /** DEFAULT_SESSION for namespace-level properties. */
  sessionId: string;
}

export interface ContextDocument {
  key: DocumentKey;
  properties: Record<string, JsonValue>;
  createdAt: number;
  updatedAt: number;
  /** null: never expires. */
  expiresAt: number | null;
}

/** When a merge happens, when the document then expires (null: never), and the most characters it may hold. */
export interface MergeOptions {
  now: number;
  expiresAt: number | null;
  maxChars: number;
}

/** One merge as a store receives it: what `mergeDocument` is called with (adapters queue these). */
export interface MergeRequest {
  key: DocumentKey;
  patch: Record<string, JsonValue>;
  options: MergeOptions;
}

export type MergeOutcome =
  | { ok: true; document: ContextDocument }
  | { ok: false; reason: 'too_large'; size: number };

/**
 * Context documents (account → namespace → session → properties). Every write is atomic: concurrent merges
 * into one document from any number of nodes lose no property. Expired documents are never returned.
 */
export interface ContextDocumentStore {
  /**
   * Sets each property of `patch` (others are kept; an expired document counts as empty) and sets the
   * document's expiry. `maxChars` bounds the serialized properties: over it nothing is written.
   * Creates the namespace entry when it does not exist.
   */
  mergeDocument(
    key: DocumentKey,
    patch: Record<string, JsonValue>,
    options: MergeOptions,
  ): Promise<MergeOutcome>;
  /**
   * The live document, or null. A store that holds it in memory answers at once, without a promise (the
   * read cache of a SQLite node); callers that can go on synchronously then do.
   */
  getDocument(key: DocumentKey, now: number): Promise<ContextDocument | null> | ContextDocument | null;
  /** Removes the named properties; false when the document does not exist (or has expired). */
  deleteProperties(key: DocumentKey, names: string[], now: number): Promise<boolean>;
  deleteDocument(key: DocumentKey): Promise<boolean>;
  /** Live documents of a namespace ordered by session id. */
  listDocuments(
    accountId: string,
    namespace: string,
    page: { offset: number; limit: number; now: number },
  ): Promise<ContextDocument[]>;
  /** Deletes at most `limit` expired documents; returns how many. */
  purgeExpiredDocuments(now: number, limit: number): Promise<number>;
}

export interface NamespaceRecord {
  accountId: string;
  name: string;
  createdAt: number;
  /** null: no namespace TTL (v1 0 = never). */
  ttlSeconds: number | null;
}

export interface SessionTtlRecord {
  accountId: string;
  namespace: string;
  sessionId: string;
  createdAt: number;
  ttlSeconds: number;
}

/** Namespaces and TTL settings. */
export interface ContextNamespaceStore {
  /** Creates the namespace if needed; sets its TTL when `ttlSeconds` is given (null clears it). */
  upsertNamespace(accountId: string, name: string, now: number, ttlSeconds?: number | null): Promise<void>;
  listNamespaces(accountId: string): Promise<NamespaceRecord[]>;
  getNamespace(accountId: string, name: string): Promise<NamespaceRecord | null>;
  /** Deletes the namespace with all its documents and session TTLs; false when it did not exist. */
  deleteNamespace(accountId: string, name: string): Promise<boolean>;
  /**
   * Deletes up to `limit` of the namespace's documents (live or expired), keeping the namespace and its session
   * TTLs; returns how many. Empties a large namespace in short statements before `deleteNamespace`.
   */
  deleteNamespaceDocuments(accountId: string, name: string, limit: number): Promise<number>;
  setSessionTtl(record: SessionTtlRecord): Promise<void>;
  listSessionTtls(accountId: string, namespace: string): Promise<SessionTtlRecord[]>;
  getSessionTtl(accountId: string, namespace: string, sessionId: string): Promise<SessionTtlRecord | null>;
  /** Deletes the session's document and its TTL; false when neither existed. */
  deleteSession(accountId: string, namespace: string, sessionId: string): Promise<boolean>;
}

/** What a node's context read cache holds and has done since start (for GET /metrics). */
export interface ContextCacheStats {
  documents: number;
  /** Characters counted against the budget (JSON, keys, a fixed overhead per document). */
  chars: number;
  budgetChars: number;
  /** Reads answered from memory. */
  hits: number;
  /** Reads that went to the store. */
  misses: number;
  /** Documents dropped to stay within the budget. */
  evictions: number;
}
