import { dirname, join } from 'node:path';
import { POLICY_LOG_COLUMNS } from '../shared/policy-rows.js';
import { migrateSqlite, openSqlite, type SqliteDatabase } from './database.js';
import { policyLogMigrations } from './policy-migrations.js';

/** The policy log's file, beside the main one: written by a thread of its own on a server (policy-log-thread.ts). */
export const POLICY_LOG_FILE = 'policy-logs.db';

/** Where the policy log of the main file `mainFile` lives (`:memory:` stays in memory). */
export function policyLogFileFor(mainFile: string): string {
  return mainFile === ':memory:' ? ':memory:' : join(dirname(mainFile), POLICY_LOG_FILE);
}

/** Opens (creating if needed) and migrates the policy log's file. */
export function openPolicyLogDatabase(file: string): SqliteDatabase {
  const db = openSqlite(file);
  // The conversation index takes each entry at a random place, so one batch rewrites hundreds of its pages and
  // the next batches rewrite many of them again. A checkpoint copies each page once however often it changed
  // since the last: every 10,000 pages (a write-ahead file of up to 40 MB) rather than SQLite's 1,000, the
  // same pages are copied far less often (docs/benchmarks.md, session 13).
  // The log's file only: its last few seconds are what a power cut may take, never what a crash of the
  // process does.
  db.pragma('wal_autocheckpoint = 10000');
  migrateSqlite(db, policyLogMigrations);
  return db;
}

/**
 * Moves the entries and outlines that the main file still holds, from before the log had a file of its own,
 * into `logFile` (already migrated), then drops the main file's two tables; returns how many entries moved.
 * Safe to repeat after a crash half-way: the copy skips what is already there, and only a finished copy is
 * followed by the drop.
 */
export function moveOldPolicyLogs(main: SqliteDatabase, logFile: string): number {
  const old = main.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'policy_logs'").get();
  if (!old) return 0;
  let moved = 0;
  if (logFile !== ':memory:') {
    main.prepare('ATTACH DATABASE ? AS policy_log_file').run(logFile);
    try {
      main.transaction(() => {
        main.exec(
          `INSERT OR IGNORE INTO policy_log_file.policy_outlines (account_id, id, policies, seen_at)
           SELECT account_id, id, policies, seen_at FROM main.policy_outlines`,
        );
        moved = main
          .prepare(
            `INSERT OR IGNORE INTO policy_log_file.policy_logs (${POLICY_LOG_COLUMNS}) SELECT ${POLICY_LOG_COLUMNS} FROM main.policy_logs`,
          )
          .run().changes;
      })();
    } finally {
      main.exec('DETACH DATABASE policy_log_file');
    }
  }
  main.transaction(() => {
    main.exec('DROP TABLE main.policy_logs');
    main.exec('DROP TABLE IF EXISTS main.policy_outlines');
  })();
  return moved;
}
