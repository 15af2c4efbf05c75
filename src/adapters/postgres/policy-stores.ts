import type { JsonValue } from '../../core/json.js';
import type { Policy } from '../../core/policy/types.js';
import type {
  CompareAndSet,
  PolicyLogEntry,
  PolicyLogStore,
  PolicySet,
  PolicyStore,
} from '../../ports/policy-store.js';
import type { PostgresPool } from './database.js';

type Row = Record<string, unknown>;
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export class PostgresPolicyStore implements PolicyStore {
  constructor(private readonly pool: PostgresPool) {}

  async getPolicySet(accountId: string): Promise<PolicySet> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM policy_sets WHERE account_id = $1', [
      accountId,
    ]);
    const row = rows[0];
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

  /**
   * Compare-and-set in one statement: the first save inserts (and loses to any concurrent insert), later ones
   * update only the row still at `expectedVersion` (re-checked after any concurrent writer commits).
   */
  async #save(
    accountId: string,
    expectedVersion: number,
    column: 'policies' | 'custom_attributes',
    json: string,
  ): Promise<CompareAndSet> {
    const { rows } =
      expectedVersion === 0
        ? await this.pool.query<Row>(
            `INSERT INTO policy_sets (account_id, policies, custom_attributes, version)
             VALUES ($1, ${column === 'policies' ? "$2, '{}'" : "'[]', $2"}, 1)
             ON CONFLICT (account_id) DO NOTHING RETURNING version`,
            [accountId, json],
          )
        : await this.pool.query<Row>(
            `UPDATE policy_sets SET ${column} = $2, version = version + 1
             WHERE account_id = $1 AND version = $3 RETURNING version`,
            [accountId, json, expectedVersion],
          );
    if (rows[0]) return { ok: true, version: Number(rows[0].version) };
    const current = await this.pool.query<Row>('SELECT version FROM policy_sets WHERE account_id = $1', [
      accountId,
    ]);
    return { ok: false, version: Number(current.rows[0]?.version ?? 0) };
  }
}

export class PostgresPolicyLogStore implements PolicyLogStore {
  constructor(private readonly pool: PostgresPool) {}

  async appendPolicyLog(entry: PolicyLogEntry): Promise<void> {
    await this.pool.query(
      `INSERT INTO policy_logs (id, account_id, conversation_id, at, evaluation_id, results, matched_policy_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        entry.id,
        entry.accountId,
        entry.conversationId,
        entry.at,
        entry.evaluationId,
        JSON.stringify(entry.results),
        entry.matchedPolicyId,
      ],
    );
  }

  async searchPolicyLogs(filter: {
    accountId: string;
    conversationId?: string;
    since: number;
    limit: number;
  }): Promise<PolicyLogEntry[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM policy_logs WHERE account_id = $1 AND at >= $2 AND ($3::text IS NULL OR conversation_id = $3)
       ORDER BY at DESC, id DESC LIMIT $4`,
      [filter.accountId, filter.since, filter.conversationId ?? null, filter.limit],
    );
    return rows.map((row) => ({
      id: String(row.id),
      accountId: String(row.account_id),
      conversationId: strOrNull(row.conversation_id),
      at: Number(row.at),
      evaluationId: String(row.evaluation_id),
      results: JSON.parse(String(row.results)) as PolicyLogEntry['results'],
      matchedPolicyId: strOrNull(row.matched_policy_id),
    }));
  }

  async purgePolicyLogsBefore(cutoff: number): Promise<number> {
    return (await this.pool.query('DELETE FROM policy_logs WHERE at < $1', [cutoff])).rowCount ?? 0;
  }
}
