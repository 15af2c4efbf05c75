import { type Properties, pickProperties } from '../core/context/properties.js';
import {
  checkNamespace,
  effectiveTtlSeconds,
  expiryOf,
  isValidPropertyName,
  isValidSessionId,
  MAX_DOCUMENT_CHARS,
  MAX_NESTING,
  ttlProblem,
  unqualify,
} from '../core/context/rules.js';
import { AppError, invalid } from '../core/errors.js';
import { type JsonValue, nestedDeeperThan } from '../core/json.js';
import { then } from '../core/maybe-promise.js';
import type { Clock } from '../ports/clock.js';
import {
  type ContextDocument,
  type ContextNamespaceStore,
  DEFAULT_SESSION,
  type DocumentKey,
  type NamespaceRecord,
  type SessionTtlRecord,
} from '../ports/context-store.js';
import type { Store } from '../ports/store.js';

/** Which document a call is about; no `sessionId` (or `__default__`) means the namespace-level properties. */
export interface ContextAddress {
  accountId: string;
  namespace: string;
  sessionId?: string | undefined;
}

export interface ContextServiceOptions {
  /** The longest TTL in seconds (`config.contextMaxRetentionSeconds`); 0 = no cap. */
  maxRetentionSeconds: number;
  /** Defaults to the documented 800,000 characters. */
  maxDocumentChars?: number;
}

export interface Paging {
  /** 0-based. */
  page: number;
  /** 1–1000. */
  perPage: number;
}

const MAX_PAGE = 1_000_000;

/** `acct:ns:session`, the session part empty for namespace-level properties (the v2 `documentKey`). */
export function documentKeyOf(key: DocumentKey): string {
  return `${key.accountId}:${key.namespace}:${key.sessionId === DEFAULT_SESSION ? '' : key.sessionId}`;
}

/** Documents a statement when a namespace is emptied. */
const DELETE_BATCH = 1_000;

/**
 * Deletes a namespace with its documents and session TTLs. Its documents go first, a thousand a statement,
 * yielding between statements: a large namespace never holds the store's writer (SQLite's) for long, and other
 * requests go on meanwhile. The namespace goes last, in one statement with whatever was written to it meanwhile.
 * Returns whether it existed and how many documents the batches deleted.
 */
export async function deleteNamespaceInBatches(
  namespaces: ContextNamespaceStore,
  accountId: string,
  namespace: string,
): Promise<{ existed: boolean; documents: number }> {
  let documents = 0;
  for (;;) {
    const deleted = await namespaces.deleteNamespaceDocuments(accountId, namespace, DELETE_BATCH);
    documents += deleted;
    if (deleted < DELETE_BATCH) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { existed: (await namespaces.deleteNamespace(accountId, namespace)) || documents > 0, documents };
}

/** The Conversation Context Service use cases (SPEC §3), shared by the v1 and v2 APIs. */
export class ContextService {
  readonly #maxChars: number;

  constructor(
    private readonly store: Pick<Store, 'contextDocuments' | 'contextNamespaces'>,
    private readonly clock: Clock,
    private readonly options: ContextServiceOptions,
  ) {
    this.#maxChars = options.maxDocumentChars ?? MAX_DOCUMENT_CHARS;
  }

  /** Creates a namespace; with `ttlSeconds` also sets its TTL (0 clears it: never expires). */
  async createNamespace(accountId: string, namespace: string, ttlSeconds?: number): Promise<void> {
    requireNamespace(namespace);
    if (ttlSeconds !== undefined) this.#requireTtl(ttlSeconds, 'ttlSecond');
    const ttl = ttlSeconds === undefined ? undefined : ttlSeconds === 0 ? null : ttlSeconds;
    await this.store.contextNamespaces.upsertNamespace(accountId, namespace, this.clock.now(), ttl);
  }

  listNamespaces(accountId: string): Promise<NamespaceRecord[]> {
    return this.store.contextNamespaces.listNamespaces(accountId);
  }

  async deleteNamespace(accountId: string, namespace: string): Promise<boolean> {
    requireNamespace(namespace);
    return (await deleteNamespaceInBatches(this.store.contextNamespaces, accountId, namespace)).existed;
  }

  /** Sets a session's TTL (0 = never, overriding the namespace TTL); applies to writes from now on. */
  async setSessionTtl(
    accountId: string,
    namespace: string,
    sessionId: string,
    ttlSeconds: number,
  ): Promise<void> {
    const key = keyOf({ accountId, namespace, sessionId });
    this.#requireTtl(ttlSeconds, 'ttlSecond');
    const now = this.clock.now();
    await this.store.contextNamespaces.upsertNamespace(accountId, namespace, now);
    await this.store.contextNamespaces.setSessionTtl({ ...key, createdAt: now, ttlSeconds });
  }

  async listSessionTtls(accountId: string, namespace: string): Promise<SessionTtlRecord[]> {
    requireNamespace(namespace);
    return this.store.contextNamespaces.listSessionTtls(accountId, namespace);
  }

  /** Deletes a session's properties and its TTL. */
  async deleteSession(accountId: string, namespace: string, sessionId: string): Promise<boolean> {
    const key = keyOf({ accountId, namespace, sessionId });
    return this.store.contextNamespaces.deleteSession(key.accountId, key.namespace, key.sessionId);
  }

  /**
   * Merges `patch` into the document, atomically, and restarts its TTL: `ttlSeconds` when given (v2), else the
   * session TTL, else the namespace TTL; capped by the maximum retention.
   */
  async mergeProperties(
    address: ContextAddress,
    patch: unknown,
    ttlSeconds?: number,
  ): Promise<ContextDocument> {
    const key = keyOf(address);
    const properties = requireProperties(patch);
    if (ttlSeconds !== undefined) this.#requireTtl(ttlSeconds, 'ttlSeconds');
    const now = this.clock.now();
    const expiresAt = expiryOf(now, await this.#ttlFor(key, ttlSeconds), this.options.maxRetentionSeconds);
    const outcome = await this.store.contextDocuments.mergeDocument(key, properties, {
      now,
      expiresAt,
      maxChars: this.#maxChars,
    });
    if (!outcome.ok) throw new AppError('document_too_large', 'document too large');
    return outcome.document;
  }

  /** Sets one property (any JSON value). */
  async setProperty(address: ContextAddress, name: string, value: JsonValue): Promise<ContextDocument> {
    requirePropertyName(name);
    const patch: Properties = Object.create(null);
    patch[name] = value;
    return this.mergeProperties(address, patch);
  }

  /** The document, or 404. Answers at once (no promise) when the store does (a read cache hit). */
  getDocument(address: ContextAddress): ContextDocument | Promise<ContextDocument> {
    return then(this.store.contextDocuments.getDocument(keyOf(address), this.clock.now()), (found) => {
      if (!found) throw new AppError('not_found', 'document not found');
      return found;
    });
  }

  /**
   * All properties (or those named in `include` that exist); `{}` when the document does not exist.
   * Answers at once (no promise) when the store does (a read cache hit).
   */
  getProperties(address: ContextAddress, include?: string[]): Properties | Promise<Properties> {
    return then(this.store.contextDocuments.getDocument(keyOf(address), this.clock.now()), (found) => {
      if (!found) return {};
      return include ? pickProperties(found.properties, include) : found.properties;
    });
  }

  /** One property's value, or 404. Answers at once (no promise) when the store does. */
  getProperty(address: ContextAddress, name: string): JsonValue | Promise<JsonValue> {
    requirePropertyName(name);
    return then(this.getProperties(address), (properties) => {
      if (!Object.hasOwn(properties, name)) throw new AppError('not_found', 'property not found');
      return properties[name] as JsonValue;
    });
  }

  /**
   * v2 filter read: entries `namespace.property`, answered under the same qualified names. Answers at once
   * (no promise) when the store does.
   */
  selectProperties(address: ContextAddress, filter: string[]): Properties | Promise<Properties> {
    const names = filter.map((entry, i) => {
      const name = unqualify(entry, address.namespace);
      if (name === null) {
        throw invalid(`filter entries must be qualified as ${address.namespace}.<property>`, [
          { field: `filter/${i}`, message: `"${entry}" is not ${address.namespace}.<property>` },
        ]);
      }
      return name;
    });
    return then(this.getProperties(address), (properties) =>
      pickProperties(properties, names, (name) => `${address.namespace}.${name}`),
    );
  }

  /** Removes the named properties (the expiry is left as it is); false when the document does not exist. */
  async deleteProperties(address: ContextAddress, names: string[]): Promise<boolean> {
    const key = keyOf(address);
    for (const name of names) requirePropertyName(name);
    return this.store.contextDocuments.deleteProperties(key, names, this.clock.now());
  }

  /** Removes every property of the document; the session TTL, if any, stays. */
  async clearDocument(address: ContextAddress): Promise<boolean> {
    return this.store.contextDocuments.deleteDocument(keyOf(address));
  }

  /** Live documents of a namespace ordered by session id, `perPage` at a time. */
  async listSessions(accountId: string, namespace: string, paging: Paging): Promise<ContextDocument[]> {
    requireNamespace(namespace);
    requirePaging(paging);
    return this.store.contextDocuments.listDocuments(accountId, namespace, {
      offset: paging.page * paging.perPage,
      limit: paging.perPage,
      now: this.clock.now(),
    });
  }

  async #ttlFor(key: DocumentKey, explicit: number | undefined): Promise<number> {
    if (explicit !== undefined) return explicit;
    const session = await this.store.contextNamespaces.getSessionTtl(
      key.accountId,
      key.namespace,
      key.sessionId,
    );
    if (session) return session.ttlSeconds;
    const namespace = await this.store.contextNamespaces.getNamespace(key.accountId, key.namespace);
    return effectiveTtlSeconds({ namespace: namespace?.ttlSeconds });
  }

  #requireTtl(ttlSeconds: number, field: string): void {
    const problem = ttlProblem(ttlSeconds, this.options.maxRetentionSeconds);
    if (problem) throw invalid(`${field} ${problem}`, [{ field, message: problem }]);
  }
}

/** The store key of an address, after checking the namespace and session id. */
export function keyOf(address: ContextAddress): DocumentKey {
  requireNamespace(address.namespace);
  const sessionId = address.sessionId ?? DEFAULT_SESSION;
  if (!isValidSessionId(sessionId)) {
    const message =
      'must be 1-128 characters without "/" or control characters, and not ".", ".." or "properties"';
    throw invalid(`sessionId ${message}`, [{ field: 'sessionId', message }]);
  }
  return { accountId: address.accountId, namespace: address.namespace, sessionId };
}

function requireNamespace(namespace: string): void {
  const check = checkNamespace(namespace);
  if (check === 'reserved') throw new AppError('reserved_namespace', `namespace "${namespace}" is reserved`);
  if (check === 'invalid') {
    throw invalid('namespace must match ^[A-Za-z0-9_]{1,64}$', [
      { field: 'namespace', message: 'must be 1-64 letters, digits or underscores' },
    ]);
  }
}

function requirePropertyName(name: string): void {
  if (!isValidPropertyName(name)) {
    const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name;
    throw invalid(`property name ${JSON.stringify(shown)} is not allowed`, [
      {
        field: 'property',
        message: 'must be 1-256 characters without "/" or control characters, and not "." or ".."',
      },
    ]);
  }
}

function requireProperties(patch: unknown): Properties {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    throw invalid('the properties must be a JSON object', [
      { field: 'payload', message: 'must be an object' },
    ]);
  }
  for (const name of Object.keys(patch)) requirePropertyName(name);
  if (nestedDeeperThan(patch, MAX_NESTING)) {
    const message = `objects and arrays may nest at most ${MAX_NESTING} levels deep`;
    throw invalid(`the properties are too deeply nested: ${message}`, [{ field: 'payload', message }]);
  }
  return patch as Properties;
}

function requirePaging(paging: Paging): void {
  const errors: { field: string; message: string }[] = [];
  if (!Number.isInteger(paging.page) || paging.page < 0 || paging.page > MAX_PAGE) {
    errors.push({ field: 'page', message: `must be a whole number from 0 to ${MAX_PAGE}` });
  }
  if (!Number.isInteger(paging.perPage) || paging.perPage < 1 || paging.perPage > 1000) {
    errors.push({ field: 'perPage', message: 'must be a whole number from 1 to 1000' });
  }
  if (errors.length > 0) throw invalid(errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);
}
