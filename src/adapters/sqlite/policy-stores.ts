import type { Statement } from 'better-sqlite3';
import type { JsonValue } from '../../core/json.js';
import type { Policy } from '../../core/policy/types.js';
import type {
  CompareAndSet,
  PolicyLogEntry,
  PolicyLogSearch,
  PolicyLogStore,
  PolicyOutline,
  PolicySet,
  PolicyStore,
} from '../../ports/policy-store.js';
import type { Row } from '../shared/auth-rows.js';
import { policyLogFromRow, policySetFromRow } from '../shared/policy-rows.js';
import type { SqliteDatabase } from './database.js';

export class SqlitePolicyStore implements PolicyStore {
  constructor(private readonly db: SqliteDatabase) {}

  async getPolicySet(accountId: string): Promise<PolicySet> {
    const row = this.db.prepare('SELECT * FROM policy_sets WHERE account_id = ?').get(accountId) as
      | Row
      | undefined;
    return policySetFromRow(row);
  }

  async savePolicies(accountId: string, policies: Policy[], expectedVersion: number): Promise<CompareAndSet> {
    return this.#save(accountId, expectedVersion, 'policies', JSON.stringify(policies));
  }

  async saveCustomAttributes(
    accountId: string,
    attributes: Record<string, JsonValue>,
    expectedVersion: number,
  ): Promise<CompareAndSet> {
    return this.#save(accountId, expectedVersion, 'custom_attributes', JSON.stringify(attributes));
  }

  #save(
    accountId: string,
    expectedVersion: number,
    column: 'policies' | 'custom_attributes',
    json: string,
  ): CompareAndSet {
    return this.db.transaction((): CompareAndSet => {
      const row = this.db.prepare('SELECT version FROM policy_sets WHERE account_id = ?').get(accountId) as
        | Row
        | undefined;
      const current = row ? Number(row.version) : 0;
      if (current !== expectedVersion) return { ok: false, version: current };
      if (!row) {
        this.db
          .prepare(
            "INSERT INTO policy_sets (account_id, policies, custom_attributes, version) VALUES (?, '[]', '{}', 0)",
          )
          .run(accountId);
      }
      this.db
        .prepare(`UPDATE policy_sets SET ${column} = ?, version = version + 1 WHERE account_id = ?`)
        .run(json, accountId);
      return { ok: true, version: current + 1 };
    })();
  }
}

export class SqlitePolicyLogStore implements PolicyLogStore {
  /** Prepared once: a batch of entries is written every 50 ms on a busy node. */
  readonly #insert: Statement;
  /** Prepared once: a purge run may delete a thousand batches. */
  readonly #purgeBatch: Statement;

  constructor(private readonly db: SqliteDatabase) {
    this.#insert = db.prepare(
      `INSERT INTO policy_logs (id, account_id, conversation_id, at, evaluation_id, outline_id, results, reasons, matched_policy_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#purgeBatch = db.prepare(
      'DELETE FROM policy_logs WHERE rowid IN (SELECT rowid FROM policy_logs WHERE at < ? ORDER BY at LIMIT ?)',
    );
  }

  async saveOutline(outline: PolicyOutline, now: number): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO policy_outlines (account_id, id, policies, seen_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (account_id, id) DO UPDATE SET seen_at = MAX(seen_at, excluded.seen_at)`,
      )
      .run(outline.accountId, outline.id, JSON.stringify(outline.policies), now);
  }

  async getOutlines(accountId: string, ids: string[]): Promise<PolicyOutline[]> {
    const select = this.db.prepare('SELECT policies FROM policy_outlines WHERE account_id = ? AND id = ?');
    const found: PolicyOutline[] = [];
    for (const id of new Set(ids)) {
      const row = select.get(accountId, id) as Row | undefined;
      if (row)
        found.push({
          id,
          accountId,
          policies: JSON.parse(String(row.policies)) as PolicyOutline['policies'],
        });
    }
    return found;
  }

  async appendPolicyLogs(entries: PolicyLogEntry[]): Promise<void> {
    const insert = this.#insert;
    this.db.transaction(() => {
      for (const e of entries) {
        insert.run(
          e.id,
          e.accountId,
          e.conversationId,
          e.at,
          e.evaluationId,
          e.outlineId,
          e.results,
          JSON.stringify(e.reasons),
          e.matchedPolicyId,
        );
      }
    })();
  }

  async searchPolicyLogs(filter: PolicyLogSearch): Promise<PolicyLogEntry[]> {
    const rows =
      filter.conversationId === undefined
        ? this.db
            .prepare(
              'SELECT * FROM policy_logs WHERE account_id = ? AND at >= ? ORDER BY at DESC, id DESC LIMIT ?',
            )
            .all(filter.accountId, filter.since, filter.limit)
        : this.db
            .prepare(
              `SELECT * FROM policy_logs WHERE account_id = ? AND conversation_id = ? AND at >= ?
               ORDER BY at DESC, id DESC LIMIT ?`,
            )
            .all(filter.accountId, filter.conversationId, filter.since, filter.limit);
    return (rows as Row[]).map(policyLogFromRow);
  }

  async purgePolicyLogsBefore(cutoff: number, limit: number): Promise<number> {
    return this.#purgeBatch.run(cutoff, limit).changes;
  }

  async purgePolicyOutlinesBefore(cutoff: number): Promise<number> {
    return this.db
      .prepare(
        `DELETE FROM policy_outlines WHERE seen_at < ? AND NOT EXISTS
           (SELECT 1 FROM policy_logs l WHERE l.account_id = policy_outlines.account_id AND l.outline_id = policy_outlines.id)`,
      )
      .run(cutoff).changes;
  }
}
