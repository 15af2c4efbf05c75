import type { SqliteMigration } from './database.js';

/**
 * The policy log's tables and indexes, as created by both `policy-002` (main file, older nodes) and
 * `policy-log-001` (the log's own file). Never change it: change the schema with a new migration.
 */
const POLICY_LOG_TABLES = `
      CREATE TABLE policy_outlines (
        account_id TEXT NOT NULL,
        id TEXT NOT NULL,
        policies TEXT NOT NULL,
        seen_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, id)
      );
      CREATE TABLE policy_logs (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        conversation_id TEXT,
        at INTEGER NOT NULL,
        evaluation_id TEXT NOT NULL,
        outline_id TEXT NOT NULL,
        results TEXT NOT NULL,
        reasons TEXT NOT NULL,
        matched_policy_id TEXT
      );
      CREATE INDEX policy_logs_account_conversation ON policy_logs(account_id, conversation_id, at);
      CREATE INDEX policy_logs_account_at ON policy_logs(account_id, at);
      CREATE INDEX policy_logs_at ON policy_logs(at);
      CREATE INDEX policy_logs_outline ON policy_logs(account_id, outline_id);
`;

/**
 * The main file's policy migrations. `policy_logs` and `policy_outlines` were created here before the log
 * got a file of its own (policyLogMigrations); a store moves what they hold and drops them when it opens
 * (policy-log-file.ts). The list itself never changes: these ids are recorded in existing files.
 */
export const policyMigrations: SqliteMigration[] = [
  {
    id: 'policy-001',
    sql: `
      CREATE TABLE policy_sets (
        account_id TEXT PRIMARY KEY,
        policies TEXT NOT NULL,
        custom_attributes TEXT NOT NULL,
        version INTEGER NOT NULL
      );
      CREATE TABLE policy_logs (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        conversation_id TEXT,
        at INTEGER NOT NULL,
        evaluation_id TEXT NOT NULL,
        results TEXT NOT NULL,
        matched_policy_id TEXT
      );
      CREATE INDEX policy_logs_account_conversation ON policy_logs(account_id, conversation_id, at);
      CREATE INDEX policy_logs_account_at ON policy_logs(account_id, at);
      CREATE INDEX policy_logs_at ON policy_logs(at);
    `,
  },
  {
    // The log keeps each evaluation's ordered policy list once, as an outline shared by its entries.
    id: 'policy-002',
    sql: `
      DROP TABLE policy_logs;
      ${POLICY_LOG_TABLES}
    `,
  },
  {
    // The policies' history: each list saved, with who saved it, how and when (the last ones of each account).
    id: 'policy-003',
    sql: `
      CREATE TABLE policy_versions (
        account_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        count INTEGER NOT NULL,
        policies TEXT NOT NULL,
        PRIMARY KEY (account_id, version)
      );
    `,
  },
  {
    // Each list's size, so that a history is kept within POLICY_HISTORY_BYTES. Before the list's text, in a
    // table made again: a column after it would be read by walking the text's overflow pages.
    id: 'policy-004',
    sql: `
      CREATE TABLE policy_versions_sized (
        account_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        count INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        policies TEXT NOT NULL,
        PRIMARY KEY (account_id, version)
      );
      INSERT INTO policy_versions_sized (account_id, version, at, actor, action, count, bytes, policies)
        SELECT account_id, version, at, actor, action, count, length(CAST(policies AS BLOB)), policies
        FROM policy_versions;
      DROP TABLE policy_versions;
      ALTER TABLE policy_versions_sized RENAME TO policy_versions;
    `,
  },
];

/**
 * The policy log's own file (`policy-logs.db` beside the main file): entries and outlines, the same tables
 * and indexes as the main file had.
 */
export const policyLogMigrations: SqliteMigration[] = [
  {
    id: 'policy-log-001',
    sql: POLICY_LOG_TABLES,
  },
  {
    // Entries now go to one table per hour (policy-log-hours.ts), created when the hour's first entry comes;
    // `policy_logs` keeps what was written before, until it is purged. This table says which outlines each
    // hour's entries refer to, so that outlines can be purged without reading every hour's table.
    id: 'policy-log-002',
    sql: `
      CREATE TABLE policy_log_outline_use (
        hour INTEGER NOT NULL,
        account_id TEXT NOT NULL,
        outline_id TEXT NOT NULL,
        PRIMARY KEY (hour, account_id, outline_id)
      ) WITHOUT ROWID;
      CREATE INDEX policy_log_outline_use_outline ON policy_log_outline_use(account_id, outline_id);
    `,
  },
];
