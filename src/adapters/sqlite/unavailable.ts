import { translateWith, translatingFailuresOf } from '../shared/unavailable.js';

/**
 * SQLite's answers for a file it cannot work on now rather than a statement that is wrong: another connection
 * held the write lock past busy_timeout (a CLI command, a copy tool), the disk is full, the file cannot be read
 * or written, memory ran out. Extended codes (SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT, …) included.
 */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|NOMEM|READONLY|CANTOPEN)(_[A-Z_]+)?$/;

/** Whether a failure of a SQLite call means the database could not answer (rather than a bug or bad data). */
export function isSqliteUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && UNAVAILABLE.test(code);
}

/** Each of a store's ports, whose calls fail with StoreUnavailableError when SQLite could not answer. */
export const translatingSqliteFailures = <T extends Record<string, object>>(ports: T): T =>
  translatingFailuresOf(ports, translateWith(isSqliteUnavailable));
