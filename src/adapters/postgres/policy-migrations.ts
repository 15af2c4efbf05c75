import type { PostgresMigration } from './database.js';

/** Policies and custom attributes stay the JSON text the service wrote, keys in their order, as in SQLite. */
export const policyMigrations: PostgresMigration[] = [
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
        id TEXT COLLATE "C" PRIMARY KEY,
        account_id TEXT NOT NULL,
        conversation_id TEXT,
        at BIGINT NOT NULL,
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
      CREATE TABLE policy_outlines (
        account_id TEXT NOT NULL,
        id TEXT NOT NULL,
        policies TEXT NOT NULL,
        seen_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, id)
      );
      CREATE TABLE policy_logs (
        id TEXT COLLATE "C" PRIMARY KEY,
        account_id TEXT NOT NULL,
        conversation_id TEXT,
        at BIGINT NOT NULL,
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
    `,
  },
  {
    // Entries now go to one partition per day, created when the day's first entry comes and dropped whole
    // by the purge (policy-stores.ts); policy_logs keeps what was written before, until it is purged.
    id: 'policy-003',
    sql: `
      CREATE TABLE policy_log_entries (
        id TEXT COLLATE "C" NOT NULL,
        account_id TEXT NOT NULL,
        conversation_id TEXT,
        at BIGINT NOT NULL,
        evaluation_id TEXT NOT NULL,
        outline_id TEXT NOT NULL,
        results TEXT NOT NULL,
        reasons TEXT NOT NULL,
        matched_policy_id TEXT,
        PRIMARY KEY (id, at)
      ) PARTITION BY RANGE (at);
      CREATE INDEX policy_log_entries_account_conversation ON policy_log_entries(account_id, conversation_id, at);
      CREATE INDEX policy_log_entries_account_at ON policy_log_entries(account_id, at);
      CREATE INDEX policy_log_entries_outline ON policy_log_entries(account_id, outline_id);
    `,
  },
  {
    // The policies' history: each list saved, with who saved it, how and when (the last ones of each account).
    id: 'policy-004',
    sql: `
      CREATE TABLE policy_versions (
        account_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        count INTEGER NOT NULL,
        policies TEXT NOT NULL,
        PRIMARY KEY (account_id, version)
      );
    `,
  },
  {
    // Each list's size, so that a history is kept within POLICY_HISTORY_BYTES. The default stays: a node of the
    // version before (a rolling upgrade) inserts without it; its lists count as 0 bytes until they age out.
    id: 'policy-005',
    sql: `
      ALTER TABLE policy_versions ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0;
      UPDATE policy_versions SET bytes = octet_length(policies);
    `,
  },
];
