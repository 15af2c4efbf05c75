import { migrateSqlite, openSqlite } from '../../src/adapters/sqlite/database.js';
import { sqliteMigrations } from '../../src/adapters/sqlite/store.js';
import type { PolicyLogEntry } from '../../src/ports/policy-store.js';

/** The time of the entries `oldPolicyLogLayout` writes. */
export const T0 = 1_700_000_000_000;

/** A policy log entry of account `acct`, conversation `conv-1` and outline `o1`, as `oldPolicyLogLayout` writes them. */
export const logEntry = (id: string, at = T0, fields: Partial<PolicyLogEntry> = {}): PolicyLogEntry => ({
  id,
  accountId: 'acct',
  conversationId: 'conv-1',
  at,
  evaluationId: `eval-${id}`,
  outlineId: 'o1',
  results: 'FT',
  reasons: [{ index: 0, reason: 'missing attribute' }],
  matchedPolicyId: 'p2',
  ...fields,
});

/** A main file as the node wrote it before the policy log had a file of its own, with `ids` logged. */
export function oldPolicyLogLayout(file: string, ids: string[]): void {
  const db = openSqlite(file);
  migrateSqlite(db, sqliteMigrations);
  db.prepare(
    "INSERT INTO policy_outlines (account_id, id, policies, seen_at) VALUES ('acct', 'o1', ?, ?)",
  ).run(JSON.stringify([{ policyId: 'p1', name: 'one' }]), T0);
  const insert = db.prepare(
    `INSERT INTO policy_logs (id, account_id, conversation_id, at, evaluation_id, outline_id, results, reasons, matched_policy_id)
     VALUES (?, 'acct', 'conv-1', ?, ?, 'o1', 'FT', ?, 'p2')`,
  );
  ids.forEach((id, i) => {
    insert.run(id, T0 + i, `eval-${id}`, JSON.stringify([{ index: 0, reason: 'missing attribute' }]));
  });
  db.close();
}

/** The policy tables of a main file (`orchestrator.db`), by name. */
export function mainPolicyTables(file: string): string[] {
  const db = openSqlite(file);
  try {
    return (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'policy_%'").all() as {
        name: string;
      }[]
    )
      .map((row) => row.name)
      .sort();
  } finally {
    db.close();
  }
}
