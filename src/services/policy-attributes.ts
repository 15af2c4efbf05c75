import { isValidSessionId } from '../core/context/rules.js';
import type { JsonValue } from '../core/json.js';
import { then } from '../core/maybe-promise.js';
import type { AttributeLookup } from '../core/policy/index.js';
import { DEFAULT_SESSION } from '../ports/context-store.js';
import type { ServiceContext } from './context.js';

/**
 * What a next-action call says about the conversation, under one set of names: v1 `groupId` and v2
 * `sessionId` are `sessionId`, v2 `customerId` is `consumerId`.
 */
export interface NextActionRequest {
  conversationId?: string | undefined;
  consumerId?: string | undefined;
  /** The CCS session whose context the policies read; the conversation id when absent. */
  sessionId?: string | undefined;
  visitorId?: string | undefined;
  /** Evaluate this policy only. */
  policyId?: string | undefined;
}

type Properties = Record<string, JsonValue>;
type Hit = { found: true; value: JsonValue } | { found: false };

/** A namespace's properties for this request: its session's document, then the namespace-level one. */
export type NamespaceContext = { documents: (Properties | null)[] } | { failed: true };

const MISSING: Hit = { found: false };

/** `conversation.*` names and the request field each reads (v1 and v2 spellings alike). */
const CONVERSATION_FIELDS: Record<string, keyof NextActionRequest> = {
  conversationId: 'conversationId',
  consumerId: 'consumerId',
  customerId: 'consumerId',
  groupId: 'sessionId',
  sessionId: 'sessionId',
  visitorId: 'visitorId',
};

/** The session whose CCS document the policies read: the request's session, else its conversation. */
export function contextSession(request: NextActionRequest): string | null {
  const session = request.sessionId ?? request.conversationId;
  return session !== undefined && session !== DEFAULT_SESSION && isValidSessionId(session) ? session : null;
}

/** Namespace → the property names (after `namespace.`) that policies read in it. */
export type ContextReads = Map<string, string[]>;

/**
 * Reads the documents the policies need, every namespace at once: the session's document, then the
 * namespace-level one only when the session's lacks a property the policies read (which gives the same
 * answers as reading both, for half the reads in the usual case). A namespace that cannot be read is
 * marked failed (its attributes then make the policies that read them ERROR) rather than failing the call.
 * When the store answers every read at once (read cache hits), so does this: no promise is made.
 */
export function readContext(
  ctx: ServiceContext,
  accountId: string,
  reads: ContextReads,
  session: string | null,
): Map<string, NamespaceContext> | Promise<Map<string, NamespaceContext>> {
  const now = ctx.clock.now();
  const get = (namespace: string, sessionId: string) =>
    then(
      ctx.store.contextDocuments.getDocument({ accountId, namespace, sessionId }, now),
      (document) => document?.properties ?? null,
    );
  const read = (namespace: string, properties: string[]) =>
    then(session === null ? null : get(namespace, session), (own) => {
      if (own && properties.every((name) => property(own, name).found)) return { documents: [own] };
      return then(get(namespace, DEFAULT_SESSION), (shared) => ({ documents: [own, shared] }));
    });
  const found = new Map<string, NamespaceContext>();
  const failed = (namespace: string, error: unknown) => {
    ctx.log.error({ err: error, accountId, namespace }, 'reading context for policies failed');
    found.set(namespace, { failed: true });
  };
  let pending: Promise<void>[] | undefined;
  for (const [namespace, properties] of reads) {
    found.set(namespace, { failed: true }); // its place in the map's order, until read
    try {
      const outcome = read(namespace, properties);
      if (outcome instanceof Promise) {
        pending ??= [];
        pending.push(
          outcome.then(
            (value) => void found.set(namespace, value),
            (error: unknown) => failed(namespace, error),
          ),
        );
      } else {
        found.set(namespace, outcome);
      }
    } catch (error) {
      failed(namespace, error);
    }
  }
  return pending ? Promise.all(pending).then(() => found) : found;
}

function isObject(value: JsonValue | undefined): value is Properties {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `a.b.c` inside a JSON value: own keys of objects only, so nothing inherited is ever reachable. */
function dig(value: JsonValue, path: string[]): Hit {
  let current = value;
  for (const key of path) {
    if (!isObject(current) || !Object.hasOwn(current, key)) return MISSING;
    current = current[key] as JsonValue;
  }
  return { found: true, value: current };
}

/** A property by its full name (`a.b` may be one CCS property), else by path into a JSON value. */
function property(properties: Properties, rest: string): Hit {
  if (Object.hasOwn(properties, rest)) return { found: true, value: properties[rest] as JsonValue };
  const path = rest.split('.');
  if (path.length === 1) return MISSING;
  const [first, ...inner] = path as [string, ...string[]];
  return Object.hasOwn(properties, first) ? dig(properties[first] as JsonValue, inner) : MISSING;
}

/** Thrown inside the lookup so the engine records ERROR for the policies that needed the namespace. */
class ContextUnavailable extends Error {
  constructor(namespace: string) {
    super(`the context of namespace ${namespace} could not be read`);
  }
}

export interface AttributeSources {
  request: NextActionRequest;
  custom: Properties;
  context: Map<string, NamespaceContext>;
}

/**
 * The lookup the engine evaluates with: `conversation.*` from the request, `custom.*` from the account's
 * custom attributes, `<namespace>.*` from the CCS documents read for this call. Each name is resolved
 * once per call and remembered in `seen` (what a dry run shows).
 */
export function attributeLookup(sources: AttributeSources): {
  lookup: AttributeLookup;
  seen: Map<string, Hit>;
} {
  const seen = new Map<string, Hit>();
  const resolve = (name: string): Hit => {
    const dot = name.indexOf('.');
    if (dot <= 0) return MISSING;
    const head = name.slice(0, dot);
    const rest = name.slice(dot + 1);
    if (head === 'conversation') {
      const field = Object.hasOwn(CONVERSATION_FIELDS, rest) ? CONVERSATION_FIELDS[rest] : undefined;
      const value = field === undefined ? undefined : sources.request[field];
      return typeof value === 'string' ? { found: true, value } : MISSING;
    }
    if (head === 'custom') return property(sources.custom, rest);
    const context = sources.context.get(head);
    if (context === undefined) return MISSING;
    if ('failed' in context) throw new ContextUnavailable(head);
    for (const document of context.documents) {
      const hit = document ? property(document, rest) : MISSING;
      if (hit.found) return hit;
    }
    return MISSING;
  };
  const lookup: AttributeLookup = (name) => {
    let hit = seen.get(name);
    if (hit === undefined) {
      hit = resolve(name);
      seen.set(name, hit);
    }
    return hit;
  };
  return { lookup, seen };
}
