import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { syncPath } from '../../core/sync-path.js';
import { startThread, terminateThread } from '../../core/threads.js';
import type { BackupFile, StoreBackup } from '../../ports/store.js';
import { openSqlite } from './database.js';
import { policyLogFileFor } from './policy-log-file.js';

/** One file to copy: the live file and where its copy goes. */
export interface SqliteCopy {
  from: string;
  to: string;
}

/** The copies that back up the store whose main file is `mainFile` into `folder`. */
export function sqliteBackupCopies(mainFile: string, folder: string, policyLogs: boolean): SqliteCopy[] {
  const logFile = policyLogFileFor(mainFile);
  return [
    { from: mainFile, to: join(folder, basename(mainFile)) },
    // A node that never wrote its policy log has no file for it.
    ...(policyLogs && existsSync(logFile) ? [{ from: logFile, to: join(folder, basename(logFile)) }] : []),
  ];
}

/**
 * Writes a consistent copy of the SQLite file `from` into `to` with `VACUUM INTO`, which reads the file in
 * one read transaction (what was committed when it began; writers go on meanwhile) and writes a compact
 * file of its own. The copy is made empty with mode 0600 first, so it is never readable by others, not even
 * for a moment (and a file already there is refused); then it is flushed to the disk, opened and checked
 * (`quick_check`), and its SHA-256 taken. A copy that fails is removed.
 */
export function copySqliteFile({ from, to }: SqliteCopy): BackupFile {
  closeSync(openSync(to, 'wx', 0o600));
  try {
    const source = openSqlite(from);
    try {
      source.prepare('VACUUM INTO ?').run(to);
    } finally {
      source.close();
    }
    chmodSync(to, 0o600);
    // SQLite does not flush what VACUUM INTO wrote to the disk: a power cut could leave a corrupt copy.
    syncPath(to);
    const copy = new Database(to, { fileMustExist: true });
    try {
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`the copy of ${basename(from)} failed its check: ${String(check)}`);
    } finally {
      copy.close();
    }
    return { name: basename(to), bytes: statSync(to).size, sha256: sha256Of(to) };
  } catch (error) {
    rmSync(to, { force: true });
    throw error;
  }
}

/** The SHA-256 of a file (hex), read 1 MiB at a time. */
export function sha256Of(file: string): string {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(file, 'r');
  try {
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer))
      hash.update(buffer.subarray(0, read));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** What the backup thread answers. */
export type BackupAnswer = { ok: true; files: BackupFile[] } | { ok: false; message: string };

/**
 * Backups of a running SQLite node: each copy is written by a thread started for it (backup-worker.ts), with
 * connections of its own, so that a large file's copy (seconds) never holds the event loop.
 */
export class SqliteStoreBackup implements StoreBackup {
  constructor(private readonly mainFile: string) {}

  writeCopy(folder: string, options: { policyLogs: boolean; signal?: AbortSignal }): Promise<BackupFile[]> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new Error('the backup was stopped'));
    const copies = sqliteBackupCopies(this.mainFile, folder, options.policyLogs);
    return new Promise((resolve, reject) => {
      const worker = startThread(new URL('./backup-worker.js', import.meta.url), { copies });
      let settled = false;
      const settle = (done: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        done();
      };
      // Stopped: the call rejects once the thread is gone, so that nothing writes into the folder after it.
      let stopped = false;
      const onAbort = () => {
        stopped = true;
        void terminateThread(worker);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.once('message', (answer: BackupAnswer) => {
        if (!stopped) settle(() => (answer.ok ? resolve(answer.files) : reject(new Error(answer.message))));
      });
      worker.once('error', (error) => {
        if (!stopped) settle(() => reject(error));
      });
      worker.once('exit', (code) =>
        settle(() =>
          reject(
            new Error(
              stopped
                ? 'the backup was stopped'
                : `the backup thread stopped before it was done (exit code ${code})`,
            ),
          ),
        ),
      );
    });
  }
}
