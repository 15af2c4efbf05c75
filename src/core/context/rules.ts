/**
 * The rules of the Conversation Context Service (SPEC §3) as pure functions: what names are allowed, how big a
 * document may grow and when a document expires.
 */

/** The most characters the serialized properties of one document may have. */
export const MAX_DOCUMENT_CHARS = 800_000;

/**
 * How deep objects and arrays may nest in a document, counting the properties object as level 1. Far beyond
 * what context data needs; it keeps every later step (serializing, caching, filling action templates) clear
 * of the stack limit that a document of 800,000 characters could otherwise reach (`{"a":` 100,000 times).
 */
export const MAX_NESTING = 100;

/** Namespaces the platform keeps for itself (v2 list, which adds `faas` to the v1 one). */
export const RESERVED_NAMESPACES: readonly string[] = [
  'consumer',
  'operational',
  'conversation',
  'faas',
  'custom',
  'sde',
];

const NAMESPACE = /^[A-Za-z0-9_]{1,64}$/;
/**
 * Session ids and property names: no control characters (C0, DEL, C1) and no `/` (they travel as path
 * segments in v1). Length is counted in code points.
 */
const SESSION_ID = /^[^\p{Cc}/]{1,128}$/u;
const PROPERTY_NAME = /^[^\p{Cc}/]{1,256}$/u;
/** `.` and `..` are dot segments: a URL path cannot carry them. */
const DOT_SEGMENTS = new Set(['.', '..']);
/**
 * `properties` as a session id would make `/v1/account/{acct}/{ns}/properties/properties` mean two things
 * (a session's properties, or the namespace-level property `properties`).
 */
const RESERVED_SESSION_IDS = new Set([...DOT_SEGMENTS, 'properties']);
/** A lone UTF-16 surrogate cannot be stored as UTF-8 text, so it would not read back the same. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type NamespaceCheck = 'ok' | 'invalid' | 'reserved';

/** `^[A-Za-z0-9_]{1,64}$`, and not one of the reserved names in any letter case. */
export function checkNamespace(name: string): NamespaceCheck {
  if (!NAMESPACE.test(name)) return 'invalid';
  return RESERVED_NAMESPACES.includes(name.toLowerCase()) ? 'reserved' : 'ok';
}

/** 1–128 characters, none of them a control character or `/`; not `.`, `..` or `properties`. */
export function isValidSessionId(sessionId: string): boolean {
  return (
    SESSION_ID.test(sessionId) && !LONE_SURROGATE.test(sessionId) && !RESERVED_SESSION_IDS.has(sessionId)
  );
}

/**
 * 1–256 characters, none of them a control character or `/`; not `.` or `..`. `__proto__` and friends are
 * fine: they are stored as data.
 */
export function isValidPropertyName(name: string): boolean {
  return PROPERTY_NAME.test(name) && !LONE_SURROGATE.test(name) && !DOT_SEGMENTS.has(name);
}

/** Where a write's TTL may come from, most specific first. `0` means "never" at every level. */
export interface TtlSources {
  /** v2 `ttlSeconds` on the write itself. */
  explicit?: number | undefined;
  /** The session's TTL, when one is set. */
  session?: number | null | undefined;
  /** The namespace's TTL, when one is set. */
  namespace?: number | null | undefined;
}

/** The TTL in seconds that applies to a write; 0 = never. */
export function effectiveTtlSeconds(sources: TtlSources): number {
  return sources.explicit ?? sources.session ?? sources.namespace ?? 0;
}

/**
 * When a document written at `now` expires: `now` + its TTL, where "never" and any TTL above the maximum
 * retention (0 = none) are brought down to that maximum. A TTL stored before the maximum was lowered is
 * capped here rather than refused.
 */
export function expiryOf(now: number, ttlSeconds: number, maxRetentionSeconds: number): number | null {
  const capped =
    maxRetentionSeconds > 0 && (ttlSeconds === 0 || ttlSeconds > maxRetentionSeconds)
      ? maxRetentionSeconds
      : ttlSeconds;
  return capped === 0 ? null : now + capped * 1000;
}

/** Why a TTL given by a client is refused, or null when it is fine. */
export function ttlProblem(ttlSeconds: number, maxRetentionSeconds: number): string | null {
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 0)
    return 'must be a whole number of seconds, 0 or more';
  if (maxRetentionSeconds > 0 && ttlSeconds > maxRetentionSeconds) {
    return `must not exceed the maximum retention of ${maxRetentionSeconds} seconds`;
  }
  return null;
}

/** The parts of a v2 filter entry `namespace.property`, or null when it is not qualified with `namespace`. */
export function unqualify(entry: string, namespace: string): string | null {
  const prefix = `${namespace}.`;
  return entry.startsWith(prefix) && entry.length > prefix.length ? entry.slice(prefix.length) : null;
}
