import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Store } from '../../ports/store.js';
import { authMigrations } from './auth-migrations.js';
import {
  SqliteAccountStore,
  SqliteAuditStore,
  SqliteCredentialStore,
  SqliteOperatorStore,
  SqliteSealedValueStore,
  SqliteSigningKeyStore,
  SqliteTokenStore,
} from './auth-stores.js';
import { SqliteStoreBackup } from './backup.js';
import { contextMigrations } from './context-migrations.js';
import { SqliteContextStore } from './context-store.js';
import {
  migrateSqlite,
  openSqlite,
  pendingMigrations,
  type SqliteDatabase,
  type SqliteMigration,
} from './database.js';
import { moveOldPolicyLogs, openPolicyLogDatabase, policyLogFileFor } from './policy-log-file.js';
import { ThreadedPolicyLogStore } from './policy-log-thread.js';
import { policyLogMigrations, policyMigrations } from './policy-migrations.js';
import { SqlitePolicyLogStore, SqlitePolicyStore } from './policy-stores.js';
import { translatingSqliteFailures } from './unavailable.js';

export const sqliteMigrations = [...authMigrations, ...contextMigrations, ...policyMigrations];

/**
 * The migrations that opening a store on `file` would apply, to the main file and to the policy log's;
 * opens the files that exist and writes nothing.
 */
export function pendingSqliteMigrations(file: string): string[] {
  return [
    ...pendingMigrationsIn(file, sqliteMigrations),
    ...pendingMigrationsIn(policyLogFileFor(file), policyLogMigrations),
  ];
}

/** The ids of `migrations` that the file `path` lacks (all of them for a file not made yet); reads only. */
export function pendingMigrationsIn(path: string, migrations: SqliteMigration[]): string[] {
  if (path === ':memory:' || !existsSync(path)) return migrations.map((m) => m.id);
  const db = openSqlite(path);
  try {
    return pendingMigrations(db, migrations);
  } finally {
    db.close();
  }
}

export interface SqliteStoreOptions {
  /**
   * Read and write the policy log on a thread of its own (a server's setting, POLICY_LOG_THREAD), rather
   * than on the caller's thread.
   */
  policyLogThread?: boolean;
  /**
   * Move the policy log entries that the main file still holds, from before the log had a file of its own,
   * into the log's file (true by default). Only a process that knows no other server uses the folder may: a
   * server, which holds the folder's lock. A CLI command runs beside a server, which may be of an older
   * version that still writes those tables.
   */
  moveOldPolicyLogs?: boolean;
}

/** The main file of a SQLite node's data folder (the policy log's is POLICY_LOG_FILE beside it). */
export const SQLITE_FILE = 'orchestrator.db';

/**
 * The embedded store: a SQLite file (`:memory:` for a throwaway one), migrated on open, and the policy log's
 * file beside it (policy-log-file.ts).
 */
export function createSqliteStore(file: string, options: SqliteStoreOptions = {}): Store {
  const { db, logFile, logDb } = openFiles(file, options.moveOldPolicyLogs ?? true);
  let policyLogs: SqlitePolicyLogStore | ThreadedPolicyLogStore;
  if (options.policyLogThread) {
    // The thread opens a connection of its own (for `:memory:`, a memory database of its own).
    logDb.close();
    policyLogs = new ThreadedPolicyLogStore(logFile);
  } else {
    policyLogs = new SqlitePolicyLogStore(logDb);
  }
  const context = new SqliteContextStore(db);
  // A call that fails because SQLite could not answer (busy, disk full, …) rejects with StoreUnavailableError.
  const ports = translatingSqliteFailures({
    accounts: new SqliteAccountStore(db),
    credentials: new SqliteCredentialStore(db),
    tokens: new SqliteTokenStore(db),
    signingKeys: new SqliteSigningKeyStore(db),
    sealedValues: new SqliteSealedValueStore(db),
    operators: new SqliteOperatorStore(db),
    audit: new SqliteAuditStore(db),
    contextDocuments: context,
    contextNamespaces: context,
    policies: new SqlitePolicyStore(db),
    policyLogs,
  });
  return {
    ...ports,
    ...(file === ':memory:' ? {} : { backup: new SqliteStoreBackup(file) }),
    ping: async () => db.prepare('SELECT 1 AS ok').get() !== undefined,
    close: async () => {
      if (policyLogs instanceof ThreadedPolicyLogStore) await policyLogs.close();
      else logDb.close();
      db.close();
    },
  };
}

/** Opens and migrates the main file and the policy log's, and moves old log entries; closes both on failure. */
function openFiles(
  file: string,
  moveOld: boolean,
): { db: SqliteDatabase; logFile: string; logDb: SqliteDatabase } {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = openSqlite(file);
  const logFile = policyLogFileFor(file);
  let logDb: SqliteDatabase | undefined;
  try {
    migrateSqlite(db, sqliteMigrations);
    logDb = openPolicyLogDatabase(logFile);
    if (moveOld) moveOldPolicyLogs(db, logFile);
    return { db, logFile, logDb };
  } catch (error) {
    logDb?.close();
    db.close();
    throw error;
  }
}
