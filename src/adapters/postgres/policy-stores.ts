import type { JsonValue } from '../../core/json.js';
import type { Policy } from '../../core/policy/types.js';
import { storableText } from '../../core/storable-text.js';
import {
  type CompareAndSet,
  POLICY_HISTORY_BYTES,
  POLICY_HISTORY_LENGTH,
  type PolicyChange,
  type PolicyLogEntry,
  type PolicyLogSearch,
  type PolicyLogStore,
  type PolicyOutline,
  type PolicySet,
  type PolicyStore,
  type PolicyVersion,
  type PolicyVersionSummary,
} from '../../ports/policy-store.js';
import type { Row } from '../shared/auth-rows.js';
import {
  DAY_MS,
  FORGET_OLD_POLICY_VERSIONS,
  POLICY_LOG_COLUMNS,
  POLICY_VERSION_SUMMARY_COLUMNS,
  periodOf,
  policyLogColumns,
  policyLogFromRow,
  policySetFromRow,
  policyVersionFromRow,
  policyVersionSummaryFromRow,
} from '../shared/policy-rows.js';
import {
  inTransaction,
  longQuery,
  NO_STATEMENT_TIMEOUT,
  type PostgresClient,
  type PostgresPool,
} from './database.js';

export class PostgresPolicyStore implements PolicyStore {
  constructor(private readonly pool: PostgresPool) {}

  async getPolicySet(accountId: string): Promise<PolicySet> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM policy_sets WHERE account_id = $1', [
      accountId,
    ]);
    const row = rows[0];
    return policySetFromRow(row);
  }

  async savePolicies(
    accountId: string,
    policies: Policy[],
    expectedVersion: number,
    change?: PolicyChange,
  ): Promise<CompareAndSet> {
    const json = JSON.stringify(policies);
    if (!change) return this.#save(this.pool, accountId, expectedVersion, 'policies', json);
    return inTransaction(this.pool, async (client) => {
      const saved = await this.#save(client, accountId, expectedVersion, 'policies', json);
      if (!saved.ok) return saved;
      await client.query(
        'INSERT INTO policy_versions (account_id, version, at, actor, action, count, bytes, policies) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [
          accountId,
          saved.version,
          change.at,
          change.actor,
          change.action,
          policies.length,
          Buffer.byteLength(json),
          json,
        ],
      );
      await client.query(
        FORGET_OLD_POLICY_VERSIONS((n) => `$${n}`),
        [accountId, accountId, POLICY_HISTORY_LENGTH, POLICY_HISTORY_BYTES],
      );
      return saved;
    });
  }

  async listPolicyVersions(accountId: string): Promise<PolicyVersionSummary[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${POLICY_VERSION_SUMMARY_COLUMNS} FROM policy_versions WHERE account_id = $1 ORDER BY version DESC`,
      [accountId],
    );
    return rows.map(policyVersionSummaryFromRow);
  }

  async getPolicyVersion(accountId: string, version: number): Promise<PolicyVersion | null> {
    const { rows } = await this.pool.query<Row>(
      'SELECT * FROM policy_versions WHERE account_id = $1 AND version = $2',
      [accountId, version],
    );
    return rows[0] ? policyVersionFromRow(rows[0]) : null;
  }

  async saveCustomAttributes(
    accountId: string,
    attributes: Record<string, JsonValue>,
    expectedVersion: number,
  ): Promise<CompareAndSet> {
    return this.#save(this.pool, accountId, expectedVersion, 'custom_attributes', JSON.stringify(attributes));
  }

  async deletePolicySet(accountId: string): Promise<void> {
    // One statement, so one transaction: the list and its history go together.
    await this.pool.query(
      `WITH history AS (DELETE FROM policy_versions WHERE account_id = $1)
       DELETE FROM policy_sets WHERE account_id = $1`,
      [accountId],
    );
  }

  /**
   * Compare-and-set in one statement: the first save inserts (and loses to any concurrent insert), later ones
   * update only the row still at `expectedVersion` (re-checked after any concurrent writer commits).
   */
  async #save(
    db: PostgresPool | PostgresClient,
    accountId: string,
    expectedVersion: number,
    column: 'policies' | 'custom_attributes',
    json: string,
  ): Promise<CompareAndSet> {
    const { rows } =
      expectedVersion === 0
        ? await db.query<Row>(
            `INSERT INTO policy_sets (account_id, policies, custom_attributes, version)
             VALUES ($1, ${column === 'policies' ? "$2, '{}'" : "'[]', $2"}, 1)
             ON CONFLICT (account_id) DO NOTHING RETURNING version`,
            [accountId, json],
          )
        : await db.query<Row>(
            `UPDATE policy_sets SET ${column} = $2, version = version + 1
             WHERE account_id = $1 AND version = $3 RETURNING version`,
            [accountId, json, expectedVersion],
          );
    if (rows[0]) return { ok: true, version: Number(rows[0].version) };
    const current = await db.query<Row>('SELECT version FROM policy_sets WHERE account_id = $1', [accountId]);
    return { ok: false, version: Number(current.rows[0]?.version ?? 0) };
  }
}

const PARTITION_PREFIX = 'policy_log_entries_d';
export const dayOf = (at: number): number => periodOf(at, DAY_MS);
/** A partition's name is only ever made from an integer day, never from text that came from outside. */
const partitionOf = (day: number): string => `${PARTITION_PREFIX}${day}`;
export const createPartition = (day: number): string =>
  `CREATE TABLE IF NOT EXISTS ${partitionOf(day)} PARTITION OF policy_log_entries
   FOR VALUES FROM (${day * DAY_MS}) TO (${(day + 1) * DAY_MS})`;
/** PostgreSQL's answer to a row that no partition takes. */
const NO_PARTITION = '23514';
/** Nodes that create or drop the log's partitions at once take turns (one lock per schema). */
const LOCK_LOG_PARTITIONS =
  "SELECT pg_advisory_xact_lock(hashtext('conversation-orchestrator:policy-log-partitions:' || current_schema()))";
/**
 * How long creating the next day's partition or dropping an old one waits for a lock. Both need an exclusive
 * lock on policy_log_entries, and while one waits for it, every insert and search of the log queues behind it:
 * behind a backup (pg_dump holds a shared lock on every table until it ends) that would stall the log's
 * writers for the backup's length. Given up after this long, the work is tried again later.
 */
const DDL_LOCK_TIMEOUT = '1s';
/** PostgreSQL's answer when lock_timeout ran out. */
const LOCK_NOT_AVAILABLE = '55P03';
/** PostgreSQL's answer for a table that is not there. */
const UNDEFINED_TABLE = '42P01';
/** After creating the next day's partition ahead gave up on its lock, the next try waits this long. */
const AHEAD_RETRY_MS = 60_000;

const errorCode = (error: unknown): string | undefined => (error as { code?: string } | null)?.code;

/**
 * An entry whose conversation id PostgreSQL can store (storableText). The next-action routes refuse a NUL in
 * it, so this is a second line: entries are written in batches of many accounts' calls, and one value
 * PostgreSQL refuses (22021) would fail the whole batch.
 */
function storableConversation(entry: PolicyLogEntry): PolicyLogEntry {
  const id = entry.conversationId;
  const storable = id === null ? id : storableText(id);
  return storable === id ? entry : { ...entry, conversationId: storable };
}

/**
 * The policy log: entries in one partition per day of `policy_log_entries`, for the reasons the SQLite store
 * keeps one table per hour (an entry's conversation index pages are those of its period; a purge drops a period
 * whole instead of deleting, and later vacuuming, each row). Days rather than hours here: a search over the
 * week locks every partition and each of its indexes, and PostgreSQL's shared lock table is sized for some 64
 * locks per connection; 8 days of 5 relations each stay well within it, 170 hours would not with a few searches
 * at once. `policy_logs` holds the entries written before: searched beside the partitions and purged row by
 * row, as before, until it is empty.
 *
 * Creating and dropping a partition takes an exclusive lock on policy_log_entries. The next day's partition is
 * made a day ahead (with the day's first entries), so that a day's entries never wait for theirs, and both
 * that and the purge's drops wait at most DDL_LOCK_TIMEOUT for their locks: behind a backup or a long search
 * they give up and are tried again later rather than holding up every writer of the log meanwhile.
 */
export class PostgresPolicyLogStore implements PolicyLogStore {
  /** Days known to have a partition: read on the first append, then kept by this node's creations and drops. */
  #known: Set<number> | null = null;
  /** When creating a day ahead may be tried again after it gave up on its lock (performance.now()). */
  #aheadRetryAt = 0;

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
    const columns = policyLogColumns(entries.map(storableConversation));
    const insert = () =>
      this.pool.query(
        `INSERT INTO policy_log_entries (${POLICY_LOG_COLUMNS})
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`,
        columns,
      );
    await this.#ensureDays(days);
    try {
      await insert();
    } catch (error) {
      if (errorCode(error) !== NO_PARTITION) throw error;
      this.#known = null;
      await this.#ensureDays(days);
      await insert();
    }
    await this.#createAhead(Math.max(...days) + 1);
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

  /**
   * Creates the partitions of `days` that this node does not know of, and the day after the last of them,
   * under the log's advisory lock. Entries need their days' partitions: this waits for its locks as long as it
   * takes (it only has work when no node has written for a day, as the day after is made ahead).
   */
  async #ensureDays(days: Set<number>): Promise<void> {
    this.#known ??= new Set(await this.#listDays());
    const known = this.#known;
    const missing = [...days].filter((day) => !known.has(day));
    if (missing.length === 0) return;
    const next = Math.max(...days) + 1;
    if (!known.has(next)) missing.push(next);
    await inTransaction(this.pool, async (client) => {
      await client.query(LOCK_LOG_PARTITIONS);
      for (const day of missing) await client.query(createPartition(day));
    });
    for (const day of missing) known.add(day);
  }

  /**
   * Makes `day`'s partition before its first entry comes, waiting at most DDL_LOCK_TIMEOUT for the locks. Runs
   * after the entries are written, so it never fails them: when it gives up, or fails, it is tried again a
   * minute later, and the day's first entries would make the partition themselves.
   */
  async #createAhead(day: number): Promise<void> {
    const known = this.#known;
    if (!known || known.has(day) || performance.now() < this.#aheadRetryAt) return;
    try {
      if ((await this.#partitionDdl((client) => client.query(createPartition(day)))) !== null) {
        known.add(day);
        return;
      }
    } catch {
      // Not needed yet: the next try, or the day's first entries, make it.
    }
    this.#aheadRetryAt = performance.now() + AHEAD_RETRY_MS;
  }

  /**
   * Drops one day's partition, if no other node did first; returns how many entries it held. Rejects when it
   * gave up waiting for its locks (the purge logs it, and its next run tries again). The entries are counted
   * before the locks are taken: nothing is written to a day older than the log keeps, and counting a large day
   * takes a while.
   */
  async #dropDay(day: number): Promise<number> {
    const name = partitionOf(day);
    let count: number;
    try {
      // A day of a busy log may take longer to count than the statement time limit of requests.
      const counted = await inTransaction(this.pool, async (client) => {
        await client.query(NO_STATEMENT_TIMEOUT);
        return longQuery<{ n: number }>(client, `SELECT count(*)::int AS n FROM ${name}`);
      });
      count = counted.rows[0]?.n ?? 0;
    } catch (error) {
      if (errorCode(error) !== UNDEFINED_TABLE) throw error;
      this.#known?.delete(day);
      return 0;
    }
    // Not to_regclass first: a name this connection looked up before the other node's drop can still be
    // found in its catalog cache; DROP TABLE looks the name up again once it holds the lock.
    const dropped = await this.#partitionDdl(async (client) => {
      try {
        await client.query(`DROP TABLE ${name}`);
        return true;
      } catch (error) {
        if (errorCode(error) === UNDEFINED_TABLE) return false;
        throw error;
      }
    });
    if (dropped === null) {
      throw new Error(
        `the policy log's partition ${name} was not dropped: another session held a lock on policy_log_entries for more than ${DDL_LOCK_TIMEOUT} (a backup, a long query); the next purge tries again`,
      );
    }
    this.#known?.delete(day);
    return dropped ? count : 0;
  }

  /**
   * Runs partition DDL in a transaction under the log's advisory lock, each lock waited for DDL_LOCK_TIMEOUT at
   * most; null when a lock was not had in time (nothing was done).
   */
  async #partitionDdl<T>(work: (client: PostgresClient) => Promise<T>): Promise<T | null> {
    try {
      return await inTransaction(this.pool, async (client) => {
        await client.query(`SET LOCAL lock_timeout = '${DDL_LOCK_TIMEOUT}'`);
        await client.query(LOCK_LOG_PARTITIONS);
        return work(client);
      });
    } catch (error) {
      if (errorCode(error) === LOCK_NOT_AVAILABLE) return null;
      throw error;
    }
  }
}
