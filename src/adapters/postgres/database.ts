import pg from 'pg';

export type PostgresPool = pg.Pool;
export type PostgresClient = pg.PoolClient;

/** One schema change; `id` is unique across every area and never reused. */
export interface PostgresMigration {
  id: string;
  sql: string;
}

export interface PostgresOptions {
  /** Schema holding every table (created when missing); the server's default search path when absent. */
  schema?: string;
  /** Most connections this node opens. */
  maxConnections?: number;
  /** Shown in `pg_stat_activity`. */
  applicationName?: string;
  /**
   * The server cancels a statement that runs, or waits for a lock, longer than this (`statement_timeout`);
   * 0 or absent: no limit. Migrations and the policy log's purge lift it for their own long statements.
   */
  statementTimeoutMs?: number;
}

/** For a transaction whose statements may run long on purpose (migrations, counting a day of the log). */
export const NO_STATEMENT_TIMEOUT = 'SET LOCAL statement_timeout = 0';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a schema name so it can be written into SQL without quoting surprises. */
export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new TypeError(`invalid PostgreSQL schema name: ${schema}`);
  return schema;
}

function checkTimeout(ms: number): number {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new TypeError(`invalid statement timeout: ${ms}`);
  return ms;
}

/** A pool whose every connection sees `options.schema` first; nothing is opened until the first query. */
export function openPostgres(url: string, options: PostgresOptions = {}): PostgresPool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? 'conversation-orchestrator',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    ...(options.schema ? { options: `-c search_path=${checkSchemaName(options.schema)}` } : {}),
    ...(options.statementTimeoutMs ? { statement_timeout: checkTimeout(options.statementTimeoutMs) } : {}),
  });
  // An idle connection that the server drops emits here; without a listener the process would crash.
  pool.on('error', () => {});
  return pool;
}

/** Runs `work` in one transaction on one connection; rolls back when it throws. */
export async function inTransaction<T>(
  pool: PostgresPool,
  work: (client: PostgresClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Applies, in order, the migrations not applied yet, all in one transaction. The transaction first takes an
 * advisory lock named after the schema, so nodes that start together apply each migration exactly once: the
 * others wait, then find nothing left to do.
 */
export async function migratePostgres(
  pool: PostgresPool,
  migrations: PostgresMigration[],
  schema?: string,
): Promise<string[]> {
  return inTransaction(pool, async (client) => {
    // A migration may rewrite a large table, and the other nodes wait here for as long as it takes.
    await client.query(NO_STATEMENT_TIMEOUT);
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `conversation-orchestrator:migrations:${schema ?? ''}`,
    ]);
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${checkSchemaName(schema)}`);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)',
    );
    const applied = new Set(
      (await client.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id),
    );
    const done: string[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.id)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)', [
        migration.id,
        Date.now(),
      ]);
      done.push(migration.id);
    }
    return done;
  });
}
