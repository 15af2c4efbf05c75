import { invalid, StoreUnavailableError } from '../../core/errors.js';
import { translateWith, translatingFailuresOf } from '../shared/unavailable.js';

/** Socket errors of a database that is down, restarting or out of reach. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * SQLSTATEs that say the database could not do the work now, not that the work was wrong: worth a retry.
 * 57014 is also a statement cancelled by `statement_timeout`; 25006 a write sent to a server that became a
 * read-only replica (during a failover); 40001 and 40P01 a transaction PostgreSQL chose to abort.
 */
const RETRYABLE_STATES = new Set([
  '57014', // query_canceled
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '55P03', // lock_not_available
  '25006', // read_only_sql_transaction
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/**
 * Messages of node-postgres's own failures (no code): a pool that could not connect, a statement not answered in
 * time (openPostgres's read timeout), a connection that died.
 */
const DRIVER_MESSAGES = [
  /^timeout exceeded when trying to connect/i,
  /^Query read timeout/i,
  /^Connection terminated/i,
  /not queryable/i,
];

/** Whether a failure of a PostgreSQL call means the database could not answer (rather than a bug or bad data). */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || RETRYABLE_STATES.has(code)) return true;
    // Class 08: connection exceptions; class 53: insufficient resources (connections, memory, disk).
    if (/^(08|53)[0-9A-Z]{3}$/.test(code)) return true;
  }
  if (error instanceof AggregateError) return error.errors.some(isUnavailable);
  return DRIVER_MESSAGES.some((pattern) => pattern.test(error.message));
}

/** StoreUnavailableError for a failure that means the database could not answer; other failures as they are. */
export const translateUnavailable = translateWith(isUnavailable);

/**
 * Whether PostgreSQL refused a text value it cannot hold: 22021 (character_not_in_repertoire) is what a NUL
 * character (U+0000) in a text parameter gets, the one character a JavaScript string can carry and PostgreSQL
 * text cannot; 22P05 (untranslatable_character) a character outside a non-UTF-8 database's encoding. SQLite
 * stores both; here they are the client's input, never the node's own (ids and hashes it makes are ASCII).
 */
export function isUnstorableText(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && (code === '22021' || code === '22P05');
}

/** What a failure of a PostgreSQL call becomes: 503 when the database could not answer, 400 for unstorable text. */
export function translatePostgresFailure(error: unknown): unknown {
  if (isUnavailable(error)) return new StoreUnavailableError(error);
  if (isUnstorableText(error)) {
    return invalid(
      'text values cannot contain the NUL character (U+0000) or characters the database cannot store',
    );
  }
  return error;
}

/**
 * Each of a store's ports, whose calls fail with StoreUnavailableError when PostgreSQL could not answer and
 * with a 400 when it cannot store a text value the request carried (translatePostgresFailure).
 */
export const translatingPostgresFailures = <T extends Record<string, object>>(ports: T): T =>
  translatingFailuresOf(ports, translatePostgresFailure);
