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

/**
 * How long this node waits for the answer to a statement that may run long on purpose (after NO_STATEMENT_TIMEOUT):
 * a day, in place of the pool's read timeout.
 */
const LONG_READ_MS = 86_400_000;

/** The message of node-postgres's own read timeout (`query_timeout`). */
const READ_TIMEOUT = 'Query read timeout';

/**
 * How long this node waits for the answer to a statement before it gives the connection up: the server's
 * `statement_timeout` and as long again (5 s at most). A statement past its time limit is cancelled by the server,
 * which answers at once; no answer at all means the connection is gone (a half-open TCP connection after a network
 * partition or a server that froze), which TCP alone would notice only after many minutes.
 */
export function readTimeoutFor(statementTimeoutMs: number): number {
  return statementTimeoutMs + Math.min(5_000, statementTimeoutMs);
}

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

/**
 * A pool whose every connection sees `options.schema` first; nothing is opened until the first query. With a
 * statement time limit, a statement not answered within `readTimeoutFor` it fails (as the database not answering)
 * and its connection is closed rather than given back to the pool; TCP keepalive probes find idle connections
 * whose peer is gone.
 */
export function openPostgres(url: string, options: PostgresOptions = {}): PostgresPool {
  const statementTimeout = options.statementTimeoutMs ? checkTimeout(options.statementTimeoutMs) : 0;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? 'conversation-orchestrator',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(options.schema ? { options: `-c search_path=${checkSchemaName(options.schema)}` } : {}),
    ...(statementTimeout
      ? { statement_timeout: statementTimeout, query_timeout: readTimeoutFor(statementTimeout) }
      : {}),
  });
  // An idle connection that the server drops emits here; without a listener the process would crash.
  pool.on('error', () => {});
  return pool;
}

/**
 * Runs `work` in one transaction on one connection; rolls back when it throws. A connection that did not answer in
 * time, or could not roll back, is closed (the server rolls back what it held) rather than given back to the pool.
 */
export async function inTransaction<T>(
  pool: PostgresPool,
  work: (client: PostgresClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    if (isReadTimeout(error)) broken = error as Error;
    else await client.query('ROLLBACK').catch((failure: Error) => (broken = failure));
    throw error;
  } finally {
    client.release(broken);
  }
}

/** Whether `error` is node-postgres giving up waiting for an answer (the connection then cannot be used). */
export function isReadTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === READ_TIMEOUT;
}

/** Runs a statement that may run long on purpose (after NO_STATEMENT_TIMEOUT), waiting for its answer a day. */
export function longQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  client: PostgresClient,
  text: string,
  values?: unknown[],
): Promise<pg.QueryResult<R>> {
  return client.query<R>({
    text,
    ...(values ? { values } : {}),
    query_timeout: LONG_READ_MS,
  } as pg.QueryConfig);
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
    await longQuery(client, 'SELECT pg_advisory_xact_lock(hashtext($1))', [
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
      await longQuery(client, migration.sql);
      await client.query('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)', [
        migration.id,
        Date.now(),
      ]);
      done.push(migration.id);
    }
    return done;
  });
}
