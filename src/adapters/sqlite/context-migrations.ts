import type { SqliteMigration } from './database.js';

/**
 * Context tables. Plain SQL a PostgreSQL adapter can mirror: TEXT keys, epoch milliseconds in INTEGER (BIGINT
 * there), properties as JSON text (JSONB or TEXT there). Session ids sort by their bytes (BINARY here,
 * `COLLATE "C"` there) so both page alike.
 */
export const contextMigrations: SqliteMigration[] = [
  {
    id: 'context-001',
    sql: `
      CREATE TABLE context_namespaces (
        account_id TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        ttl_seconds INTEGER,
        PRIMARY KEY (account_id, name)
      );
      CREATE TABLE context_session_ttls (
        account_id TEXT NOT NULL,
        namespace TEXT NOT NULL,
        session_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        ttl_seconds INTEGER NOT NULL,
        PRIMARY KEY (account_id, namespace, session_id)
      );
      CREATE TABLE context_documents (
        account_id TEXT NOT NULL,
        namespace TEXT NOT NULL,
        session_id TEXT NOT NULL,
        properties TEXT NOT NULL,
        size INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        expires_at INTEGER,
        PRIMARY KEY (account_id, namespace, session_id)
      );
      CREATE INDEX context_documents_expiry ON context_documents (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
];
