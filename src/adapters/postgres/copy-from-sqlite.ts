import { POLICY_LOG_COLUMNS } from '../shared/policy-rows.js';
import type { SqliteDatabase } from '../sqlite/database.js';
import { PolicyLogHours } from '../sqlite/policy-log-hours.js';
import {
  inTransaction,
  migratePostgres,
  NO_STATEMENT_TIMEOUT,
  type PostgresClient,
  type PostgresPool,
} from './database.js';
import { createPartition, dayOf } from './policy-stores.js';
import { postgresMigrations } from './store.js';

/** A table copied row for row: the same name and columns on both sides. */
export interface CopiedTable {
  name: string;
  columns: readonly string[];
  /** The order rows are read and written in (audit events: the order they were appended). */
  order: string;
}

/** The main SQLite file's tables that hold state, parents before the tables that refer to them. */
export const MAIN_TABLES: readonly CopiedTable[] = [
  {
    name: 'accounts',
    columns: [
      'account_id',
      'created_at',
      'status',
      'status_changed_at',
      'suspended_until',
      'suspension_end_for',
      'rate_per_second',
      'rate_burst',
      'allowed_networks',
      'assertions_only',
      'dpop_required',
      'certificate_required',
    ],
    order: 'account_id',
  },
  {
    name: 'api_keys',
    columns: ['key_hash', 'account_id', 'key_cipher', 'created_at', 'expires_at', 'last_used_at'],
    order: 'key_hash',
  },
  {
    name: 'clients',
    columns: [
      'client_id',
      'account_id',
      'secret_hash',
      'secret_cipher',
      'version',
      'created_at',
      'last_used_at',
      'previous_client_id',
      'previous_secret_hash',
      'previous_version',
      'previous_until',
      'previous_last_used_at',
    ],
    order: 'client_id',
  },
  { name: 'revoked_tokens', columns: ['jti', 'account_id', 'expires_at'], order: 'jti' },
  {
    name: 'test_tokens',
    columns: ['account_id', 'jti', 'token_cipher', 'issued_at', 'expires_at'],
    order: 'account_id',
  },
  {
    name: 'signing_keys',
    columns: [
      'kid',
      'alg',
      'public_jwk',
      'private_cipher',
      'created_at',
      'activates_at',
      'retired_at',
      'remove_after',
    ],
    order: 'kid',
  },
  {
    name: 'operators',
    columns: ['username', 'password_hash', 'role', 'accounts', 'created_at'],
    order: 'username',
  },
  {
    name: 'operator_totp',
    columns: ['username', 'secret_cipher', 'created_at', 'enabled_at', 'last_step', 'recovery_codes'],
    order: 'username',
  },
  {
    name: 'operator_passkeys',
    columns: ['id', 'username', 'name', 'public_key', 'counter', 'transports', 'created_at', 'last_used_at'],
    order: 'id',
  },
  {
    name: 'client_keys',
    columns: ['account_id', 'kid', 'alg', 'public_jwk', 'created_at', 'last_used_at'],
    order: 'account_id, kid',
  },
  {
    name: 'client_assertions',
    columns: ['client_id', 'jti', 'expires_at'],
    order: 'client_id, jti',
  },
  {
    name: 'operator_sessions',
    columns: [
      'id_hash',
      'id',
      'username',
      'csrf_token',
      'created_at',
      'expires_at',
      'address',
      'user_agent',
      'signed_in_with',
      'provider_subject',
      'provider_session',
      'last_seen_at',
    ],
    order: 'id_hash',
  },
  {
    name: 'operator_tokens',
    columns: ['id', 'token_hash', 'username', 'name', 'created_at', 'expires_at', 'last_used_at', 'role'],
    order: 'token_hash',
  },
  {
    // PostgreSQL numbers events as they are inserted (`seq`): inserted in SQLite's order, they list alike.
    name: 'audit_events',
    columns: ['id', 'at', 'actor', 'account_id', 'action', 'address', 'detail'],
    order: 'at, rowid',
  },
  {
    name: 'context_namespaces',
    columns: ['account_id', 'name', 'created_at', 'ttl_seconds'],
    order: 'account_id, name',
  },
  {
    name: 'context_session_ttls',
    columns: ['account_id', 'namespace', 'session_id', 'created_at', 'ttl_seconds'],
    order: 'account_id, namespace, session_id',
  },
  {
    name: 'context_documents',
    columns: [
      'account_id',
      'namespace',
      'session_id',
      'properties',
      'size',
      'created_at',
      'updated_at',
      'expires_at',
    ],
    order: 'account_id, namespace, session_id',
  },
  {
    name: 'policy_sets',
    columns: ['account_id', 'policies', 'custom_attributes', 'version'],
    order: 'account_id',
  },
  {
    name: 'policy_versions',
    columns: ['account_id', 'version', 'at', 'actor', 'action', 'count', 'bytes', 'policies'],
    order: 'account_id, version',
  },
];

/** The policy log file's outlines; its entries go to `policy_log_entries` (below). */
export const OUTLINES: CopiedTable = {
  name: 'policy_outlines',
  columns: ['account_id', 'id', 'policies', 'seen_at'],
  order: 'account_id, id',
};

/** Where the policy log's entries go in PostgreSQL, whichever SQLite table held them. */
export const LOG_ENTRIES_TABLE = 'policy_log_entries';

/**
 * SQLite tables not copied, and why: the rest of SQLite's own schema, which a test holds against the files,
 * so that a table added later is either copied or named here.
 */
export const NOT_COPIED: Readonly<Record<string, string>> = {
  schema_migrations: 'each store records its own migrations',
  bus_events: 'the SQLite bus between a server and its CLI; PostgreSQL nodes use LISTEN/NOTIFY or Redis',
  policy_log_outline_use: "SQLite's index of the outlines each hour of the log refers to",
};

/** Columns that only PostgreSQL has, filled in by PostgreSQL itself. */
export const POSTGRES_ONLY_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  audit_events: ['seq'],
};

/** Columns of JSONB type in PostgreSQL, which refuses the `\u0000` escape. */
const JSONB_COLUMNS = new Set(['audit_events.detail']);

/** The target held rows already: the copy writes only into a database no node has used. */
export class TargetNotEmptyError extends Error {
  override name = 'TargetNotEmptyError';
  constructor(readonly held: { table: string; rows: number }[]) {
    super(
      `the PostgreSQL database already holds data (${held.map((h) => `${h.table}: ${h.rows}`).join(', ')}); ` +
        'copy into a new, empty database, before any node has started on it',
    );
  }
}

/** The target did not hold exactly what was copied (something else wrote to it): the copy is rolled back. */
export class CopyCheckError extends Error {
  override name = 'CopyCheckError';
}

export interface CopyOptions {
  /** Copy the policy log's entries and outlines (true by default). */
  policyLogs?: boolean;
  /** Called after each batch with the table and the rows copied into it so far. */
  progress?: (table: string, rows: number) => void;
}

export interface CopyReport {
  /** Rows written per PostgreSQL table, in the order they were copied. */
  tables: { table: string; rows: number }[];
  /** Text values that held a NUL character, which PostgreSQL cannot store: written with U+FFFD instead. */
  nulReplaced: number;
}

/** Rows per INSERT: under PostgreSQL's 65,535 parameters for the widest table. */
const BATCH_ROWS = 1_000;

/**
 * Copies an embedded store (the main SQLite file and the policy log's file) into a PostgreSQL database,
 * all in one PostgreSQL transaction: the database ends up holding everything or, on any failure, nothing
 * (its schema migrated). The target must hold no data; its tables are locked for the copy's length, so
 * that a node started meanwhile waits and then finds the copy whole. The SQLite files are read each in one
 * read transaction, a consistent picture even if a CLI command writes meanwhile (the caller keeps servers
 * away). Sealed secrets are copied as they are: the PostgreSQL nodes need the same master key.
 */
export async function copySqliteToPostgres(
  source: { main: SqliteDatabase; log: SqliteDatabase },
  pool: PostgresPool,
  options: CopyOptions = {},
): Promise<CopyReport> {
  await migratePostgres(pool, postgresMigrations);
  const withLogs = options.policyLogs ?? true;
  const targets = [...MAIN_TABLES.map((t) => t.name), OUTLINES.name, LOG_ENTRIES_TABLE, 'policy_logs'];
  const report: CopyReport = { tables: [], nulReplaced: 0 };
  const counted = (table: string) => {
    const entry = { table, rows: 0 };
    report.tables.push(entry);
    return (rows: number) => {
      entry.rows += rows;
      options.progress?.(table, entry.rows);
    };
  };
  const clean = (table: string, columns: readonly string[]) => {
    const jsonb = columns.map((c) => JSONB_COLUMNS.has(`${table}.${c}`));
    return (row: unknown[]): unknown[] =>
      row.map((value, i) => {
        if (typeof value !== 'string') return value;
        const cleaned = jsonb[i] ? withoutNulEscapes(value) : value;
        if (!cleaned.includes('\u0000') && cleaned === value) return value;
        report.nulReplaced++;
        return cleaned.replaceAll('\u0000', '\uFFFD');
      });
  };

  source.main.exec('BEGIN');
  source.log.exec('BEGIN');
  try {
    return await inTransaction(pool, async (client) => {
      await client.query(NO_STATEMENT_TIMEOUT);
      await client.query(`LOCK TABLE ${targets.join(', ')} IN ACCESS EXCLUSIVE MODE`);
      const held: { table: string; rows: number }[] = [];
      for (const table of targets) {
        const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
        if ((rows[0]?.n ?? 0) > 0) held.push({ table, rows: rows[0]?.n ?? 0 });
      }
      if (held.length > 0) throw new TargetNotEmptyError(held);

      const tables = withLogs ? [...MAIN_TABLES, OUTLINES] : MAIN_TABLES;
      for (const table of tables) {
        const db = table === OUTLINES ? source.log : source.main;
        const add = counted(table.name);
        const rows = db
          .prepare(`SELECT ${table.columns.join(', ')} FROM ${table.name} ORDER BY ${table.order}`)
          .raw(true)
          .iterate() as IterableIterator<unknown[]>;
        await insertAll(client, table.name, table.columns, rows, clean(table.name, table.columns), add);
      }
      if (withLogs) await copyLogEntries(client, source.log, clean, counted(LOG_ENTRIES_TABLE));

      // Everything read arrived: nothing in the target took or dropped a row on the way.
      for (const { table, rows } of report.tables) {
        const { rows: found } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
        if (found[0]?.n !== rows)
          throw new CopyCheckError(`${table} holds ${found[0]?.n} rows where ${rows} were copied`);
      }
      return report;
    });
  } finally {
    source.log.exec('ROLLBACK');
    source.main.exec('ROLLBACK');
  }
}

/** The policy log's entries, from the old single table and every hour table, into the day partitions. */
async function copyLogEntries(
  client: PostgresClient,
  log: SqliteDatabase,
  clean: (table: string, columns: readonly string[]) => (row: unknown[]) => unknown[],
  add: (rows: number) => void,
): Promise<void> {
  const columns = POLICY_LOG_COLUMNS.split(', ');
  const at = columns.indexOf('at');
  const sources = [
    ...(log.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'policy_logs'").get()
      ? ['policy_logs']
      : []),
    ...new PolicyLogHours(log).list().flatMap((hour) => hour.tables.map((t) => t.name)),
  ];
  const days = new Set<number>();
  const cleanRow = clean(LOG_ENTRIES_TABLE, columns);
  for (const table of sources) {
    const rows = log
      .prepare(`SELECT ${POLICY_LOG_COLUMNS} FROM ${table}`)
      .raw(true)
      .iterate() as IterableIterator<unknown[]>;
    await insertAll(client, LOG_ENTRIES_TABLE, columns, rows, cleanRow, add, async (batch) => {
      for (const row of batch) {
        const day = dayOf(Number(row[at]));
        if (days.has(day)) continue;
        await client.query(createPartition(day));
        days.add(day);
      }
    });
  }
}

async function insertAll(
  client: PostgresClient,
  table: string,
  columns: readonly string[],
  rows: IterableIterator<unknown[]>,
  clean: (row: unknown[]) => unknown[],
  add: (rows: number) => void,
  before?: (batch: unknown[][]) => Promise<void>,
): Promise<void> {
  let batch: unknown[][] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await before?.(batch);
    const width = columns.length;
    const placeholders = batch
      .map((_, r) => `(${columns.map((_, c) => `$${r * width + c + 1}`).join(', ')})`)
      .join(', ');
    const result = await client.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${placeholders}`,
      batch.flat(),
    );
    add(result.rowCount ?? 0);
    batch = [];
  };
  for (const row of rows) {
    batch.push(clean(row));
    if (batch.length >= BATCH_ROWS) await flush();
  }
  await flush();
}

/**
 * JSON text without `\u0000` escapes (JSONB refuses them): keys and strings that hold a NUL get U+FFFD in
 * its place. Text with no such escape is returned as it is.
 */
function withoutNulEscapes(json: string): string {
  if (!json.includes('\\u0000')) return json;
  const mend = (value: unknown): unknown => {
    if (typeof value === 'string') return value.replaceAll('\u0000', '\uFFFD');
    if (Array.isArray(value)) return value.map(mend);
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k.replaceAll('\u0000', '\uFFFD'), mend(v)]),
      );
    return value;
  };
  return JSON.stringify(mend(JSON.parse(json)));
}
