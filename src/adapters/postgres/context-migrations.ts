import type { PostgresMigration } from './database.js';

/**
 * Context tables, mirroring SQLite's. Properties are kept as the text the core serializes (not JSONB): its
 * length is the size the document limit counts, and JSONB would reorder keys and reject `\u0000`.
 * Keys sort with `COLLATE "C"` (by bytes) so pages come out as in every other adapter.
 */
export const contextMigrations: PostgresMigration[] = [
  {
    id: 'context-001',
    sql: `
      CREATE TABLE context_namespaces (
        account_id TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL,
        ttl_seconds BIGINT,
        PRIMARY KEY (account_id, name)
      );
      CREATE TABLE context_session_ttls (
        account_id TEXT COLLATE "C" NOT NULL,
        namespace TEXT COLLATE "C" NOT NULL,
        session_id TEXT COLLATE "C" NOT NULL,
        created_at BIGINT NOT NULL,
        ttl_seconds BIGINT NOT NULL,
        PRIMARY KEY (account_id, namespace, session_id)
      );
      CREATE TABLE context_documents (
        account_id TEXT COLLATE "C" NOT NULL,
        namespace TEXT COLLATE "C" NOT NULL,
        session_id TEXT COLLATE "C" NOT NULL,
        properties TEXT NOT NULL,
        size INTEGER NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        expires_at BIGINT,
        PRIMARY KEY (account_id, namespace, session_id)
      );
      CREATE INDEX context_documents_expiry ON context_documents (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
];
