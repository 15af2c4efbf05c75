import type { Statement } from 'better-sqlite3';
import type { JsonValue } from '../../core/json.js';
import type { Policy } from '../../core/policy/types.js';
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
  FORGET_OLD_POLICY_VERSIONS,
  HOUR_MS,
  POLICY_VERSION_SUMMARY_COLUMNS,
  policyLogFromRow,
  policySetFromRow,
  policyVersionFromRow,
  policyVersionSummaryFromRow,
} from '../shared/policy-rows.js';
import type { SqliteDatabase } from './database.js';
import { newestFirst, PolicyLogHours, searchParameters, searchSql } from './policy-log-hours.js';

export class SqlitePolicyStore implements PolicyStore {
  constructor(private readonly db: SqliteDatabase) {}

  async getPolicySet(accountId: string): Promise<PolicySet> {
    const row = this.db.prepare('SELECT * FROM policy_sets WHERE account_id = ?').get(accountId) as
      | Row
      | undefined;
    return policySetFromRow(row);
  }

  async savePolicies(
    accountId: string,
    policies: Policy[],
    expectedVersion: number,
    change?: PolicyChange,
  ): Promise<CompareAndSet> {
    const json = JSON.stringify(policies);
    return this.db.transaction((): CompareAndSet => {
      const saved = this.#save(accountId, expectedVersion, 'policies', json);
      if (saved.ok && change) {
        this.db
          .prepare(
            'INSERT INTO policy_versions (account_id, version, at, actor, action, count, bytes, policies) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(
            accountId,
            saved.version,
            change.at,
            change.actor,
            change.action,
            policies.length,
            Buffer.byteLength(json),
            json,
          );
        this.db
          .prepare(FORGET_OLD_POLICY_VERSIONS(() => '?'))
          .run(accountId, accountId, POLICY_HISTORY_LENGTH, POLICY_HISTORY_BYTES);
      }
      return saved;
    })();
  }

  async listPolicyVersions(accountId: string): Promise<PolicyVersionSummary[]> {
    return (
      this.db
        .prepare(
          `SELECT ${POLICY_VERSION_SUMMARY_COLUMNS} FROM policy_versions WHERE account_id = ? ORDER BY version DESC`,
        )
        .all(accountId) as Row[]
    ).map(policyVersionSummaryFromRow);
  }

  async getPolicyVersion(accountId: string, version: number): Promise<PolicyVersion | null> {
    const row = this.db
      .prepare('SELECT * FROM policy_versions WHERE account_id = ? AND version = ?')
      .get(accountId, version) as Row | undefined;
    return row ? policyVersionFromRow(row) : null;
  }

  async saveCustomAttributes(
    accountId: string,
    attributes: Record<string, JsonValue>,
    expectedVersion: number,
  ): Promise<CompareAndSet> {
    return this.#save(accountId, expectedVersion, 'custom_attributes', JSON.stringify(attributes));
  }

  async deletePolicySet(accountId: string): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM policy_sets WHERE account_id = ?').run(accountId);
      this.db.prepare('DELETE FROM policy_versions WHERE account_id = ?').run(accountId);
    })();
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

/**
 * The policy log in its own file: entries in one table per hour (policy-log-hours.ts). `policy_logs` holds
 * the entries written before that (and those moved from the main file of older versions): searched beside
 * the hours and purged row by row, as before, until it is empty.
 */
export class SqlitePolicyLogStore implements PolicyLogStore {
  readonly #hours: PolicyLogHours;
  /** Prepared once: a purge run may delete a thousand batches. */
  readonly #purgeOld: Statement;

  constructor(private readonly db: SqliteDatabase) {
    this.#hours = new PolicyLogHours(db);
    this.#purgeOld = db.prepare(
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
    const created: number[] = [];
    try {
      this.db.transaction(() => this.#hours.insert(entries, created))();
    } catch (error) {
      this.#hours.forget(created);
      throw error;
    }
  }

  async searchPolicyLogs(filter: PolicyLogSearch): Promise<PolicyLogEntry[]> {
    const found = this.#hours.search(filter);
    const old = this.db
      .prepare(searchSql('policy_logs', filter.conversationId !== undefined))
      .all(...searchParameters(filter, filter.limit)) as Row[];
    if (old.length > 0) {
      // Older than the hours' entries unless the clock was set back: merged by time all the same.
      found.push(...old);
      found.sort(newestFirst);
      found.length = Math.min(found.length, filter.limit);
    }
    return found.map(policyLogFromRow);
  }

  /**
   * The old table's entries first, row by row; then whole hours that ended by the cutoff, oldest first, until
   * `limit` entries are reached (an hour is never split, so one call may delete more).
   */
  async purgePolicyLogsBefore(cutoff: number, limit: number): Promise<number> {
    let deleted = this.#purgeOld.run(cutoff, limit).changes;
    for (const hour of this.#hours.list()) {
      if (deleted >= limit || (hour.hour + 1) * HOUR_MS > cutoff) break;
      deleted += this.#hours.drop(hour);
    }
    return deleted;
  }

  async purgePolicyOutlinesBefore(cutoff: number): Promise<number> {
    return this.db
      .prepare(
        `DELETE FROM policy_outlines WHERE seen_at < ?
           AND NOT EXISTS (SELECT 1 FROM policy_log_outline_use u
                           WHERE u.account_id = policy_outlines.account_id AND u.outline_id = policy_outlines.id)
           AND NOT EXISTS (SELECT 1 FROM policy_logs l
                           WHERE l.account_id = policy_outlines.account_id AND l.outline_id = policy_outlines.id)`,
      )
      .run(cutoff).changes;
  }
}
