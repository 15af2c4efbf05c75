import { freezeDeep, JSON_TEXT, rememberText } from '../../core/frozen.js';
import type { JsonValue } from '../../core/json.js';
import type {
  ContextCacheStats,
  ContextDocument,
  ContextDocumentStore,
  ContextNamespaceStore,
  DocumentKey,
  MergeOptions,
  MergeOutcome,
  NamespaceRecord,
  SessionTtlRecord,
} from '../../ports/context-store.js';
import type { Store } from '../../ports/store.js';

interface Entry {
  document: ContextDocument;
  /** Characters of the properties' JSON, of the key, and ENTRY_OVERHEAD: what the budget counts. */
  size: number;
  /** Read since it was filled or last passed over by an eviction: it gets a second chance. */
  read: boolean;
}

/**
 * What an entry costs beyond its JSON and key, counted as characters: the document object, its key, the map
 * slot and the remembered texts. Without it, a budget of many tiny documents would hold far more than its
 * figure says.
 */
export const ENTRY_OVERHEAD = 256;

/** One string per document key, unambiguous whatever the parts contain. */
const cacheKey = (key: DocumentKey): string =>
  `${key.accountId.length}:${key.accountId}${key.namespace.length}:${key.namespace}${key.sessionId}`;

/**
 * A read cache in front of a context store, for a node that is the only writer of that store (the embedded
 * SQLite store, whose data folder the server locks; never several nodes over PostgreSQL, where another node's
 * write could not reach it in time). Every write goes through here and drops what it changes, so a read
 * after a write always sees the write.
 *
 * - Documents are cached frozen, with the JSON of their properties remembered: a read that hits costs a map
 *   look-up, and the HTTP layer sends the remembered JSON as it is.
 * - Expiry is checked on every hit, exactly as the store checks it; the purge needs no message.
 * - A read that started before a write finished never fills the cache with what it read (a write counter).
 * - Bounded by `budgetChars` (JSON characters, plus a fixed overhead per document). Eviction gives a second
 *   chance, as the CLOCK algorithm does: a hit only marks its entry as read; the eviction walks from the
 *   oldest entry, moves a read one to the back (clearing its mark) and drops the first unread one. So the
 *   documents not read for longest leave first, and a hit costs a flag instead of reordering the map. A
 *   document enters unmarked (the miss that fills it does not count as a second read): one read only once
 *   leaves before those that are read again, so a burst of one-off reads cannot push out the busy ones.
 *
 * The store behind must hand out a fresh object on every read (every adapter parses its stored JSON), since
 * what is cached gets frozen.
 */
export class CachedContextStore implements ContextDocumentStore, ContextNamespaceStore {
  readonly #entries = new Map<string, Entry>();
  #size = 0;
  /** Bumped before and after every write: a read that saw it move does not fill. */
  #writes = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(
    private readonly documents: ContextDocumentStore,
    private readonly namespaces: ContextNamespaceStore,
    private readonly budgetChars: number,
  ) {}

  /** What the cache holds now and has done since it was made (for GET /metrics). */
  stats(): ContextCacheStats {
    return {
      documents: this.#entries.size,
      chars: this.#size,
      budgetChars: this.budgetChars,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
    };
  }

  /** A hit answers at once (no promise); a miss reads the store and fills the cache. */
  getDocument(key: DocumentKey, now: number): Promise<ContextDocument | null> | ContextDocument {
    const k = cacheKey(key);
    const entry = this.#entries.get(k);
    if (entry !== undefined) {
      const expiresAt = entry.document.expiresAt;
      if (expiresAt === null || expiresAt > now) {
        entry.read = true;
        this.#hits++;
        return entry.document;
      }
      this.#drop(k);
    }
    this.#misses++;
    return this.#read(k, key, now);
  }

  async #read(k: string, key: DocumentKey, now: number): Promise<ContextDocument | null> {
    const writes = this.#writes;
    const found = await this.documents.getDocument(key, now);
    if (found === null || writes !== this.#writes) return found;
    return this.#fill(k, found);
  }

  async mergeDocument(
    key: DocumentKey,
    patch: Record<string, JsonValue>,
    options: MergeOptions,
  ): Promise<MergeOutcome> {
    return this.#writing([key], () => this.documents.mergeDocument(key, patch, options));
  }

  async deleteProperties(key: DocumentKey, names: string[], now: number): Promise<boolean> {
    return this.#writing([key], () => this.documents.deleteProperties(key, names, now));
  }

  async deleteDocument(key: DocumentKey): Promise<boolean> {
    return this.#writing([key], () => this.documents.deleteDocument(key));
  }

  async deleteSession(accountId: string, namespace: string, sessionId: string): Promise<boolean> {
    return this.#writing([{ accountId, namespace, sessionId }], () =>
      this.namespaces.deleteSession(accountId, namespace, sessionId),
    );
  }

  async deleteNamespace(accountId: string, name: string): Promise<boolean> {
    return this.#writing(
      [],
      () => this.namespaces.deleteNamespace(accountId, name),
      () => this.#dropNamespace(accountId, name),
    );
  }

  async deleteNamespaceDocuments(accountId: string, name: string, limit: number): Promise<number> {
    return this.#writing(
      [],
      () => this.namespaces.deleteNamespaceDocuments(accountId, name, limit),
      () => this.#dropNamespace(accountId, name),
    );
  }

  #dropNamespace(accountId: string, name: string): void {
    for (const [k, entry] of this.#entries) {
      const key = entry.document.key;
      if (key.accountId === accountId && key.namespace === name) this.#drop(k);
    }
  }

  /** Lists are read from the store: they are paged and rarer than single reads. */
  listDocuments(
    accountId: string,
    namespace: string,
    page: { offset: number; limit: number; now: number },
  ): Promise<ContextDocument[]> {
    return this.documents.listDocuments(accountId, namespace, page);
  }

  /** Only expired documents go, and the cache never answers with an expired one. */
  purgeExpiredDocuments(now: number, limit: number): Promise<number> {
    return this.documents.purgeExpiredDocuments(now, limit);
  }

  upsertNamespace(accountId: string, name: string, now: number, ttlSeconds?: number | null): Promise<void> {
    return this.namespaces.upsertNamespace(accountId, name, now, ttlSeconds);
  }

  listNamespaces(accountId: string): Promise<NamespaceRecord[]> {
    return this.namespaces.listNamespaces(accountId);
  }

  getNamespace(accountId: string, name: string): Promise<NamespaceRecord | null> {
    return this.namespaces.getNamespace(accountId, name);
  }

  setSessionTtl(record: SessionTtlRecord): Promise<void> {
    return this.namespaces.setSessionTtl(record);
  }

  listSessionTtls(accountId: string, namespace: string): Promise<SessionTtlRecord[]> {
    return this.namespaces.listSessionTtls(accountId, namespace);
  }

  getSessionTtl(accountId: string, namespace: string, sessionId: string): Promise<SessionTtlRecord | null> {
    return this.namespaces.getSessionTtl(accountId, namespace, sessionId);
  }

  /** Drops the keys (and whatever `drop` drops) before and after the write, whether it succeeds or not. */
  async #writing<T>(keys: DocumentKey[], write: () => Promise<T>, drop?: () => void): Promise<T> {
    const forget = () => {
      this.#writes++;
      for (const key of keys) this.#drop(cacheKey(key));
      drop?.();
    };
    forget();
    try {
      return await write();
    } finally {
      forget();
    }
  }

  #fill(k: string, found: ContextDocument): ContextDocument {
    const json = JSON.stringify(found.properties);
    const size = json.length + k.length + ENTRY_OVERHEAD;
    if (size > this.budgetChars) return found;
    const document = freezeDeep(found);
    rememberText(document.properties, JSON_TEXT, json);
    this.#drop(k);
    this.#entries.set(k, { document, size, read: false });
    this.#size += size;
    // Entries moved to the back come round again in this same walk, unmarked: it ends.
    for (const [oldest, entry] of this.#entries) {
      if (this.#size <= this.budgetChars) break;
      this.#entries.delete(oldest);
      if (entry.read) {
        entry.read = false;
        this.#entries.set(oldest, entry);
        continue;
      }
      this.#size -= entry.size;
      this.#evictions++;
    }
    return document;
  }

  #drop(k: string): void {
    const entry = this.#entries.get(k);
    if (entry === undefined) return;
    this.#entries.delete(k);
    this.#size -= entry.size;
  }
}

/** `store` with its context documents read through a cache of `budgetChars` (for a node that is their only writer). */
export function withContextCache(store: Store, budgetChars: number): Store {
  const cached = new CachedContextStore(store.contextDocuments, store.contextNamespaces, budgetChars);
  return { ...store, contextDocuments: cached, contextNamespaces: cached, contextCache: cached };
}
