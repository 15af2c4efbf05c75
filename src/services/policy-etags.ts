import { createHash } from 'node:crypto';
import { AppError } from '../core/errors.js';

/**
 * A strong entity tag (RFC 9110 §8.8.3) for a JSON value: a hash of its serialization. A policy's tag
 * depends on that policy only, so editing one policy never invalidates a tag held on another; the list's
 * tag covers ids, content and order; the custom attributes have a tag of their own.
 */
export function etagOf(value: unknown): string {
  return `"${createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 27)}"`;
}

const ENTITY_TAG = /\s*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(,|$)/y;

/** Whether an If-Match value lets a change go ahead (RFC 9110 §13.1.1, strong comparison). */
export function ifMatchHolds(header: string, current: string): boolean {
  if (header.trim() === '*') return true;
  ENTITY_TAG.lastIndex = 0;
  let match = ENTITY_TAG.exec(header);
  while (match) {
    if (!match[1] && `"${match[2]}"` === current) return true;
    if (match[3] === '' || ENTITY_TAG.lastIndex >= header.length) return false;
    match = ENTITY_TAG.exec(header);
  }
  return false;
}

/** 428 when the If-Match header is missing (checked before anything else about the request). */
export function requirePrecondition(header: string | undefined, what: string): asserts header is string {
  if (header === undefined) {
    throw new AppError(
      'precondition_required',
      `send If-Match with the ETag of the ${what} you read, so that a concurrent change is not overwritten`,
    );
  }
}

/**
 * Replacing or deleting needs the tag the client last read: 428 without an If-Match header, 412 when it
 * names another version (someone changed the resource since; read it again and redo the change).
 */
export function requireIfMatch(header: string | undefined, current: string, what: string): void {
  requirePrecondition(header, what);
  if (!ifMatchHolds(header, current)) {
    throw new AppError(
      'precondition_failed',
      `the ${what} changed since it was read (its ETag is now ${current}); read it again and retry`,
      { etag: current },
    );
  }
}
