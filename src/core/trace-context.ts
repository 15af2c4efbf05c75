/**
 * W3C Trace Context (Level 1, §3.2): the trace a request belongs to, from its `traceparent` header, so that the
 * node's log lines for it can be found beside the caller's. Only a header this server can rely on gives one:
 * `version-traceid-parentid-flags` in lower-case hex, version `00` exactly so long (a later version may add fields
 * after a `-`; `ff` is invalid), neither id all zeros. Anything else — a header sent twice (joined by a comma),
 * upper case, a short id — gives none, as the recommendation says (start a new trace rather than trust it).
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_PARENT = '0'.repeat(16);

/** The trace id of a `traceparent` header's value, or null when there is none to rely on. */
export function traceIdOf(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string' || header.length > 512) return null;
  const match = TRACEPARENT.exec(header.trim());
  if (match === null) return null;
  const [, version, traceId, parentId, rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  if (traceId === ZERO_TRACE || parentId === ZERO_PARENT) return null;
  return traceId as string;
}
