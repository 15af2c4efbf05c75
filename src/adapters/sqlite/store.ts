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
import { policyMigrations } from './policy-migrations.js';
import { SqlitePolicyLogStore, SqlitePolicyStore } from './policy-stores.js';

export const sqliteMigrations = [...authMigrations, ...contextMigrations, ...policyMigrations];

/** The embedded store: one SQLite file (`:memory:` for a throwaway one), migrated on open. */
export function createSqliteStore(file: string): Store {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = openSqlite(file);
  migrateSqlite(db, sqliteMigrations);
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
    policyLogs: new SqlitePolicyLogStore(db),
    ping: async () => db.prepare('SELECT 1 AS ok').get() !== undefined,
    close: async () => {
      db.close();
    },
  };
}
