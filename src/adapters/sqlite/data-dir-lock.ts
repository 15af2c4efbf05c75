import { join } from 'node:path';
import Database from 'better-sqlite3';

export const LOCK_FILE = 'server.lock';

/** Another server already holds the data folder. */
export class DataDirLockedError extends Error {}

export interface DataDirLock {
  release(): void;
}

/**
 * Makes this process the only server on `dataDir`, for as long as it runs. A server on the embedded SQLite
 * store keeps caches that are only right while no other server writes the same file; a second server on the
 * same folder is refused at start instead. The `orchestrator` CLI does not take the lock: it writes nothing
 * those caches hold, and its other writes reach the server through the invalidation table.
 *
 * The lock is SQLite's own exclusive lock on a small file of its own, held by an open connection: the
 * operating system releases it when the process ends in any way, so a crash leaves no stale lock behind.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const db = new Database(join(dataDir, LOCK_FILE), { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock; in this locking mode it is kept until the connection closes.
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL)');
    db.prepare('DELETE FROM holder').run();
    db.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      throw new DataDirLockedError(
        `another orchestrator server is running on ${dataDir}; a data folder serves one server at a time ` +
          '(several nodes share PostgreSQL instead, see docs/operations.md)',
      );
    }
    throw error;
  }
  return { release: () => db.close() };
}
