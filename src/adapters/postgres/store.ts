import type { Store } from '../../ports/store.js';
import { authMigrations } from './auth-migrations.js';
import {
  PostgresAccountStore,
  PostgresAuditStore,
  PostgresCredentialStore,
  PostgresOperatorStore,
  PostgresSealedValueStore,
  PostgresSigningKeyStore,
  PostgresTokenStore,
} from './auth-stores.js';
import { contextMigrations } from './context-migrations.js';
import { PostgresContextStore } from './context-store.js';
import { migratePostgres, openPostgres, type PostgresOptions } from './database.js';
import { policyMigrations } from './policy-migrations.js';
import { PostgresPolicyLogStore, PostgresPolicyStore } from './policy-stores.js';
import { translatingPostgresFailures } from './unavailable.js';

export const postgresMigrations = [...authMigrations, ...contextMigrations, ...policyMigrations];

/**
 * The shared store of a scale-out deployment: every node points at one PostgreSQL database (and schema).
 * Pending migrations are applied before it resolves; nodes starting together are safe (see migratePostgres).
 * A call that fails because the database could not answer rejects with StoreUnavailableError (unavailable.ts).
 */
export async function createPostgresStore(url: string, options: PostgresOptions = {}): Promise<Store> {
  const pool = openPostgres(url, options);
  try {
    await migratePostgres(pool, postgresMigrations, options.schema);
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  const context = new PostgresContextStore(pool);
  const ports = translatingPostgresFailures({
    accounts: new PostgresAccountStore(pool),
    credentials: new PostgresCredentialStore(pool),
    tokens: new PostgresTokenStore(pool),
    signingKeys: new PostgresSigningKeyStore(pool),
    sealedValues: new PostgresSealedValueStore(pool),
    operators: new PostgresOperatorStore(pool),
    audit: new PostgresAuditStore(pool),
    contextDocuments: context,
    contextNamespaces: context,
    policies: new PostgresPolicyStore(pool),
    policyLogs: new PostgresPolicyLogStore(pool),
  });
  return {
    ...ports,
    ping: async () => {
      try {
        return (await pool.query('SELECT 1 AS ok')).rowCount === 1;
      } catch {
        return false;
      }
    },
    close: () => pool.end(),
  };
}
