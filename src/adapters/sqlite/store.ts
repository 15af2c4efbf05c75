import { mkdirSync } from 'node:fs';
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
import { contextMigrations } from './context-migrations.js';
import { SqliteContextStore } from './context-store.js';
import { migrateSqlite, openSqlite } from './database.js';
import { moveOldPolicyLogs, openPolicyLogDatabase, policyLogFileFor } from './policy-log-file.js';
import { ThreadedPolicyLogStore } from './policy-log-thread.js';
import { policyMigrations } from './policy-migrations.js';
import { SqlitePolicyLogStore, SqlitePolicyStore } from './policy-stores.js';

export const sqliteMigrations = [...authMigrations, ...contextMigrations, ...policyMigrations];

export interface SqliteStoreOptions {
  /**
   * Read and write the policy log on a thread of its own (a server's setting, POLICY_LOG_THREAD), rather
   * than on the caller's thread.
   */
  policyLogThread?: boolean;
}

/**
 * The embedded store: a SQLite file (`:memory:` for a throwaway one), migrated on open, and the policy log's
 * file beside it (policy-log-file.ts).
 */
export function createSqliteStore(file: string, options: SqliteStoreOptions = {}): Store {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = openSqlite(file);
  migrateSqlite(db, sqliteMigrations);
  const logFile = policyLogFileFor(file);
  const logDb = openPolicyLogDatabase(logFile);
  moveOldPolicyLogs(db, logFile);
  // The thread opens a connection of its own (for `:memory:`, a memory database of its own).
  let policyLogs: SqlitePolicyLogStore | ThreadedPolicyLogStore;
  if (options.policyLogThread) {
    logDb.close();
    policyLogs = new ThreadedPolicyLogStore(logFile);
  } else {
    policyLogs = new SqlitePolicyLogStore(logDb);
  }
  const context = new SqliteContextStore(db);
  return {
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
    ping: async () => db.prepare('SELECT 1 AS ok').get() !== undefined,
    close: async () => {
      if (policyLogs instanceof ThreadedPolicyLogStore) await policyLogs.close();
      else logDb.close();
      db.close();
    },
  };
}
