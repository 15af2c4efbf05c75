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
import {
  DAY_MS,
  POLICY_LOG_COLUMNS,
  periodOf,
  policyLogColumns,
  policyLogFromRow,
  policySetFromRow,
} from '../shared/policy-rows.js';
import { inTransaction, type PostgresPool } from './database.js';

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

const PARTITION_PREFIX = 'policy_log_entries_d';
const dayOf = (at: number): number => periodOf(at, DAY_MS);
/** A partition's name is only ever made from an integer day, never from text that came from outside. */
const partitionOf = (day: number): string => `${PARTITION_PREFIX}${day}`;
/** PostgreSQL's answer to a row that no partition takes. */
const NO_PARTITION = '23514';
/** Nodes that create or drop the log's partitions at once take turns (one lock per schema). */
const LOCK_LOG_PARTITIONS =
  "SELECT pg_advisory_xact_lock(hashtext('conversation-orchestrator:policy-log-partitions:' || current_schema()))";

/**
 * The policy log: entries in one partition per day of `policy_log_entries`, for the reasons the SQLite store
 * keeps one table per hour (an entry's conversation index pages are those of its period; a purge drops a period
 * whole instead of deleting, and later vacuuming, each row). Days rather than hours here: a search over the
 * week locks every partition and each of its indexes, and PostgreSQL's shared lock table is sized for some 64
 * locks per connection; 8 days of 5 relations each stay well within it, 170 hours would not with a few searches
 * at once. `policy_logs` holds the entries written before: searched beside the partitions and purged row by
 * row, as before, until it is empty.
 */
export class PostgresPolicyLogStore implements PolicyLogStore {
  /** Days known to have a partition: read on the first append, then kept by this node's creations and drops. */
  #known: Set<number> | null = null;

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

  /**
   * One statement over arrays of columns: all the rows or none. Each entry goes to its day's partition;
   * missing ones are created first. When another node has dropped a partition this node thought it had
   * (only a day older than the log keeps, so only with a clock far off), the list is read again once.
   */
  async appendPolicyLogs(entries: PolicyLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const days = new Set(entries.map((e) => dayOf(e.at)));
    const insert = () =>
      this.pool.query(
        `INSERT INTO policy_log_entries (${POLICY_LOG_COLUMNS})
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`,
        policyLogColumns(entries),
      );
    await this.#ensureDays(days);
    try {
      await insert();
    } catch (error) {
      if ((error as { code?: string }).code !== NO_PARTITION) throw error;
      this.#known = null;
      await this.#ensureDays(days);
      await insert();
    }
  }

  async searchPolicyLogs(filter: PolicyLogSearch): Promise<PolicyLogEntry[]> {
    const where = 'account_id = $1 AND at >= $2 AND ($3::text IS NULL OR conversation_id = $3)';
    const { rows } = await this.pool.query<Row>(
      `(SELECT ${POLICY_LOG_COLUMNS} FROM policy_log_entries WHERE ${where} ORDER BY at DESC, id DESC LIMIT $4)
       UNION ALL
       (SELECT ${POLICY_LOG_COLUMNS} FROM policy_logs WHERE ${where} ORDER BY at DESC, id DESC LIMIT $4)
       ORDER BY at DESC, id DESC LIMIT $4`,
      [filter.accountId, filter.since, filter.conversationId ?? null, filter.limit],
    );
    return rows.map(policyLogFromRow);
  }

  /**
   * The old table's entries first, row by row; then whole days that ended by the cutoff, oldest first, until
   * `limit` entries are reached (a day is never split, so one call may delete more).
   */
  async purgePolicyLogsBefore(cutoff: number, limit: number): Promise<number> {
    // SKIP LOCKED: purgers on several nodes share the work instead of queueing on each other's rows.
    const { rowCount } = await this.pool.query(
      `DELETE FROM policy_logs WHERE id IN (
         SELECT id FROM policy_logs WHERE at < $1 ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [cutoff, limit],
    );
    let deleted = rowCount ?? 0;
    for (const day of await this.#listDays()) {
      if (deleted >= limit || (day + 1) * DAY_MS > cutoff) break;
      deleted += await this.#dropDay(day);
    }
    return deleted;
  }

  async purgePolicyOutlinesBefore(cutoff: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM policy_outlines o WHERE o.seen_at < $1
         AND NOT EXISTS (SELECT 1 FROM policy_log_entries l WHERE l.account_id = o.account_id AND l.outline_id = o.id)
         AND NOT EXISTS (SELECT 1 FROM policy_logs l WHERE l.account_id = o.account_id AND l.outline_id = o.id)`,
      [cutoff],
    );
    return rowCount ?? 0;
  }

  /** The days that have a partition, ascending. */
  async #listDays(): Promise<number[]> {
    const { rows } = await this.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'policy_log_entries'::regclass`,
    );
    return rows
      .map((row) => Number(row.name.slice(PARTITION_PREFIX.length)))
      .filter((day) => Number.isSafeInteger(day))
      .sort((a, b) => a - b);
  }

  /** Creates the partitions of `days` that this node does not know of, under the log's advisory lock. */
  async #ensureDays(days: Set<number>): Promise<void> {
    this.#known ??= new Set(await this.#listDays());
    const known = this.#known;
    const missing = [...days].filter((day) => !known.has(day));
    if (missing.length === 0) return;
    await inTransaction(this.pool, async (client) => {
      await client.query(LOCK_LOG_PARTITIONS);
      for (const day of missing)
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${partitionOf(day)} PARTITION OF policy_log_entries
           FOR VALUES FROM (${day * DAY_MS}) TO (${(day + 1) * DAY_MS})`,
        );
    });
    for (const day of missing) known.add(day);
  }

  /** Drops one day's partition, if no other node did first; returns how many entries it held. */
  async #dropDay(day: number): Promise<number> {
    this.#known?.delete(day);
    return inTransaction(this.pool, async (client) => {
      await client.query(LOCK_LOG_PARTITIONS);
      const name = partitionOf(day);
      const { rows } = await client.query<{ exists: boolean }>(
        'SELECT to_regclass($1) IS NOT NULL AS exists',
        [name],
      );
      if (!rows[0]?.exists) return 0;
      const counted = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${name}`);
      await client.query(`DROP TABLE ${name}`);
      return counted.rows[0]?.n ?? 0;
    });
  }
}
