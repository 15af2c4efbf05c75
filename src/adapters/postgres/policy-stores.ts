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
import type { PostgresPool } from './database.js';

export class PostgresPolicyStore implements PolicyStore {
  constructor(private readonly pool: PostgresPool) {}

  async getPolicySet(accountId: string): Promise<PolicySet> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM policy_sets WHERE account_id = $1', [
      accountId,
    ]);
    const row = rows[0];
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

  async saveOutline(outline: PolicyOutline, now: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO policy_outlines (account_id, id, policies, seen_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (account_id, id) DO UPDATE SET seen_at = GREATEST(policy_outlines.seen_at, excluded.seen_at)`,
      [outline.accountId, outline.id, JSON.stringify(outline.policies), now],
    );
  }

  async getOutlines(accountId: string, ids: string[]): Promise<PolicyOutline[]> {
    const { rows } = await this.pool.query<Row>(
      'SELECT id, policies FROM policy_outlines WHERE account_id = $1 AND id = ANY($2::text[])',
      [accountId, [...new Set(ids)]],
    );
    return rows.map((row) => ({
      id: String(row.id),
      accountId,
      policies: JSON.parse(String(row.policies)) as PolicyOutline['policies'],
    }));
  }

  /** One statement over arrays of columns: all the rows or none. */
  async appendPolicyLogs(entries: PolicyLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.pool.query(
      `INSERT INTO policy_logs (id, account_id, conversation_id, at, evaluation_id, outline_id, results, reasons, matched_policy_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`,
      [
        entries.map((e) => e.id),
        entries.map((e) => e.accountId),
        entries.map((e) => e.conversationId),
        entries.map((e) => e.at),
        entries.map((e) => e.evaluationId),
        entries.map((e) => e.outlineId),
        entries.map((e) => e.results),
        entries.map((e) => JSON.stringify(e.reasons)),
        entries.map((e) => e.matchedPolicyId),
      ],
    );
  }

  async searchPolicyLogs(filter: PolicyLogSearch): Promise<PolicyLogEntry[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM policy_logs WHERE account_id = $1 AND at >= $2 AND ($3::text IS NULL OR conversation_id = $3)
       ORDER BY at DESC, id DESC LIMIT $4`,
      [filter.accountId, filter.since, filter.conversationId ?? null, filter.limit],
    );
    return rows.map(policyLogFromRow);
  }

  async purgePolicyLogsBefore(cutoff: number, limit: number): Promise<number> {
    // SKIP LOCKED: purgers on several nodes share the work instead of queueing on each other's rows.
    const { rowCount } = await this.pool.query(
      `DELETE FROM policy_logs WHERE id IN (
         SELECT id FROM policy_logs WHERE at < $1 ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [cutoff, limit],
    );
    return rowCount ?? 0;
  }

  async purgePolicyOutlinesBefore(cutoff: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM policy_outlines o WHERE o.seen_at < $1 AND NOT EXISTS
         (SELECT 1 FROM policy_logs l WHERE l.account_id = o.account_id AND l.outline_id = o.id)`,
      [cutoff],
    );
    return rowCount ?? 0;
  }
}
