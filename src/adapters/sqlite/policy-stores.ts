import type { JsonValue } from '../../core/json.js';
import type { Policy } from '../../core/policy/types.js';
import type {
  CompareAndSet,
  PolicyLogEntry,
  PolicyLogStore,
  PolicySet,
  PolicyStore,
} from '../../ports/policy-store.js';
import type { SqliteDatabase } from './database.js';

type Row = Record<string, unknown>;

export class SqlitePolicyStore implements PolicyStore {
  constructor(private readonly db: SqliteDatabase) {}

  async getPolicySet(accountId: string): Promise<PolicySet> {
    const row = this.db.prepare('SELECT * FROM policy_sets WHERE account_id = ?').get(accountId) as
      | Row
      | undefined;
    if (!row) return { policies: [], customAttributes: {}, version: 0 };
    return {
      policies: JSON.parse(String(row.policies)) as Policy[],
      customAttributes: JSON.parse(String(row.custom_attributes)) as Record<string, JsonValue>,
      version: Number(row.version),
    };
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
  constructor(private readonly db: SqliteDatabase) {}

  async appendPolicyLog(entry: PolicyLogEntry): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO policy_logs (id, account_id, conversation_id, at, evaluation_id, results, matched_policy_id)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        entry.id,
        entry.accountId,
        entry.conversationId,
        entry.at,
        entry.evaluationId,
        JSON.stringify(entry.results),
        entry.matchedPolicyId,
      );
  }

  async searchPolicyLogs(filter: {
    accountId: string;
    conversationId?: string;
    since: number;
    limit: number;
  }): Promise<PolicyLogEntry[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM policy_logs WHERE account_id = ?1 AND at >= ?2 AND (?3 IS NULL OR conversation_id = ?3)
         ORDER BY at DESC, id DESC LIMIT ?4`,
      )
      .all(filter.accountId, filter.since, filter.conversationId ?? null, filter.limit) as Row[];
    return rows.map((row) => ({
      id: String(row.id),
      accountId: String(row.account_id),
      conversationId: row.conversation_id === null ? null : String(row.conversation_id),
      at: Number(row.at),
      evaluationId: String(row.evaluation_id),
      results: JSON.parse(String(row.results)) as PolicyLogEntry['results'],
      matchedPolicyId: row.matched_policy_id === null ? null : String(row.matched_policy_id),
    }));
  }

  async purgePolicyLogsBefore(cutoff: number): Promise<number> {
    return this.db.prepare('DELETE FROM policy_logs WHERE at < ?').run(cutoff).changes;
  }
}
