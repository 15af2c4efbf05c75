import type { Statement } from 'better-sqlite3';
import type { PolicyLogEntry, PolicyLogSearch } from '../../ports/policy-store.js';
import type { Row } from '../shared/auth-rows.js';
import { HOUR_MS, POLICY_LOG_COLUMNS, periodOf, policyLogValues } from '../shared/policy-rows.js';
import type { SqliteDatabase } from './database.js';

/** The hour, counted from the epoch (UTC), that an entry made at `at` belongs to. */
export const hourOf = (at: number): number => periodOf(at, HOUR_MS);

const PREFIX = 'policy_logs_h';

/** A table name is only ever made from an integer hour, never from text that came from outside. */
const tableOf = (hour: number): string => `${PREFIX}${hour}`;

/**
 * One hour's table and its indexes. Never change it: a different layout needs a new table prefix, read beside
 * this one until its hours have been purged.
 */
const hourTable = (hour: number): string => {
  const t = tableOf(hour);
  return `
    CREATE TABLE IF NOT EXISTS ${t} (
      id TEXT NOT NULL UNIQUE,
      account_id TEXT NOT NULL,
      conversation_id TEXT,
      at INTEGER NOT NULL,
      evaluation_id TEXT NOT NULL,
      outline_id TEXT NOT NULL,
      results TEXT NOT NULL,
      reasons TEXT NOT NULL,
      matched_policy_id TEXT
    );
    CREATE INDEX IF NOT EXISTS ${t}_conversation ON ${t}(account_id, conversation_id, at);
    CREATE INDEX IF NOT EXISTS ${t}_account ON ${t}(account_id, at);`;
};

/**
 * A search of one table of entries (an hour's, or the old single table), newest first: by account, or by
 * account and conversation. Its parameters come from `searchParameters`.
 */
export const searchSql = (table: string, byConversation: boolean): string =>
  `SELECT * FROM ${table} WHERE account_id = ?${byConversation ? ' AND conversation_id = ?' : ''} AND at >= ?
   ORDER BY at DESC, id DESC LIMIT ?`;

export const searchParameters = (filter: PolicyLogSearch, limit: number): unknown[] =>
  filter.conversationId === undefined
    ? [filter.accountId, filter.since, limit]
    : [filter.accountId, filter.conversationId, filter.since, limit];

interface HourStatements {
  insert: Statement;
  byAccount?: Statement;
  byConversation?: Statement;
}

/**
 * The policy log's entries, one table per hour. A log kept 7 days and searched by conversation needs an
 * index by conversation, and conversation ids come in no order: in a single table, each entry is written to
 * a random page of an index that holds a week of entries, and purging deletes each entry again from every
 * index. Here each entry's index pages are those of its own hour, and a purge drops an hour's table whole.
 * Measured with a week of 2 million entries (bench/policy-log.ts): appending 21–22 → 7–7.5 µs of CPU per
 * entry, purging 19 → 0.2–0.3 µs. Searching reads every hour of the week: one index lookup per hour, about
 * 3 ms in all.
 *
 * The one writer of the file (the log's thread, or a node without it) keeps the list of hours; searches and
 * purges read it from the schema, so that they also see what another connection wrote.
 */
export class PolicyLogHours {
  readonly #known: Set<number>;
  readonly #statements = new Map<number, HourStatements>();
  readonly #useOutline: Statement;

  constructor(private readonly db: SqliteDatabase) {
    this.#known = new Set(this.list());
    this.#useOutline = db.prepare(
      'INSERT OR IGNORE INTO policy_log_outline_use (hour, account_id, outline_id) VALUES (?, ?, ?)',
    );
  }

  /** The hours that have a table, ascending. */
  list(): number[] {
    return (
      this.db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'policy_logs_h[0-9]*'")
        .all() as { name: string }[]
    )
      .map((row) => Number(row.name.slice(PREFIX.length)))
      .filter((hour) => Number.isSafeInteger(hour))
      .sort((a, b) => a - b);
  }

  /**
   * Writes `entries` into their hours' tables, creating those missing, and notes which outlines each hour's
   * entries refer to (policy_log_outline_use); adds the hours it created to `created`. Runs inside the
   * caller's transaction: if that fails, the caller passes `created` to `forget`.
   */
  insert(entries: PolicyLogEntry[], created: number[]): void {
    const used = new Set<string>();
    for (const e of entries) {
      const hour = hourOf(e.at);
      if (!this.#known.has(hour)) {
        this.db.exec(hourTable(hour));
        this.#known.add(hour);
        created.push(hour);
      }
      this.#of(hour).insert.run(...policyLogValues(e));
      const key = `${hour}\u0000${e.accountId}\u0000${e.outlineId}`;
      if (used.has(key)) continue;
      used.add(key);
      this.#useOutline.run(hour, e.accountId, e.outlineId);
    }
  }

  /** After a failed transaction: the tables it created are gone again. */
  forget(hours: number[]): void {
    for (const hour of hours) {
      this.#known.delete(hour);
      this.#statements.delete(hour);
    }
  }

  /** One hour's entries that match `filter`, newest first, at most `limit`. */
  search(hour: number, filter: PolicyLogSearch, limit: number): Row[] {
    const statements = this.#of(hour);
    const byConversation = filter.conversationId !== undefined;
    const kind = byConversation ? 'byConversation' : 'byAccount';
    let statement = statements[kind];
    if (!statement) {
      statement = this.db.prepare(searchSql(tableOf(hour), byConversation));
      statements[kind] = statement;
    }
    return statement.all(...searchParameters(filter, limit)) as Row[];
  }

  /**
   * Drops one hour's table and its outline references; returns how many entries it held (rows are only
   * ever appended to an hour's table, so its row ids run without a gap).
   */
  drop(hour: number): number {
    const t = tableOf(hour);
    return this.db.transaction(() => {
      const { n } = this.db
        .prepare(`SELECT coalesce(max(rowid) - min(rowid) + 1, 0) AS n FROM ${t}`)
        .get() as { n: number };
      this.db.prepare('DELETE FROM policy_log_outline_use WHERE hour = ?').run(hour);
      this.db.exec(`DROP TABLE ${t}`);
      this.forget([hour]);
      return Number(n);
    })();
  }

  #of(hour: number): HourStatements {
    let statements = this.#statements.get(hour);
    if (!statements) {
      statements = {
        insert: this.db.prepare(
          `INSERT INTO ${tableOf(hour)} (${POLICY_LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ),
      };
      this.#statements.set(hour, statements);
    }
    return statements;
  }
}
