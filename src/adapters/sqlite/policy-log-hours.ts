import { hash } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { PolicyLogEntry, PolicyLogSearch } from '../../ports/policy-store.js';
import type { Row } from '../shared/auth-rows.js';
import { HOUR_MS, POLICY_LOG_COLUMNS, periodOf, policyLogValues } from '../shared/policy-rows.js';
import type { SqliteDatabase } from './database.js';

/** The hour, counted from the epoch (UTC), that an entry made at `at` belongs to. */
const hourOf = (at: number): number => periodOf(at, HOUR_MS);

/**
 * How one layout of the hour tables is made, written and searched; its tables are named `<prefix><hour>`.
 * A layout is never changed once released: a new one gets a new prefix, and the tables of older layouts are
 * read beside it until their hours have been purged.
 */
interface Layout {
  readonly prefix: string;
  search(table: string, byConversation: boolean): string;
  /** `key`: the conversation's `conversationKey`, made once per search (undefined without a conversation). */
  parameters(filter: PolicyLogSearch, limit: number, key: number | undefined): unknown[];
}

/**
 * The conversation index's key: 48 bits of SHA-256 over the account and conversation ids. Conversations may
 * share a key (a search by conversation also compares the ids): the key only keeps the index small. An index
 * over the ids themselves took each entry at a random place in pages holding some 80 entries; over an
 * integer, some 200 fit, and a batch rewrites fewer pages.
 */
export function conversationKey(accountId: string, conversationId: string): number {
  // Hex and parseInt: a third of the cost of asking `hash` for a Buffer.
  return Number.parseInt(hash('sha256', `${accountId}\u0000${conversationId}`, 'hex').slice(0, 12), 16);
}

/**
 * The layout written now: the conversation index is over `conversation_key` (above) and time. (Entry ids are
 * time-ordered, so their unique index takes each new one at its end.)
 */
const KEYED: Layout & { create(table: string): string } = {
  prefix: 'policy_log_hour_',
  create: (t) => `
    CREATE TABLE IF NOT EXISTS ${t} (
      id TEXT NOT NULL UNIQUE,
      account_id TEXT NOT NULL,
      conversation_id TEXT,
      at INTEGER NOT NULL,
      evaluation_id TEXT NOT NULL,
      outline_id TEXT NOT NULL,
      results TEXT NOT NULL,
      reasons TEXT NOT NULL,
      matched_policy_id TEXT,
      conversation_key INTEGER
    );
    CREATE INDEX IF NOT EXISTS ${t}_conversation ON ${t}(conversation_key, at);
    CREATE INDEX IF NOT EXISTS ${t}_account ON ${t}(account_id, at);`,
  search: (t, byConversation) =>
    byConversation
      ? `SELECT ${POLICY_LOG_COLUMNS} FROM ${t}
         WHERE conversation_key = ? AND at >= ? AND account_id = ? AND conversation_id = ?
         ORDER BY at DESC, id DESC LIMIT ?`
      : `SELECT ${POLICY_LOG_COLUMNS} FROM ${t} WHERE account_id = ? AND at >= ? ORDER BY at DESC, id DESC LIMIT ?`,
  parameters: (filter, limit, key) =>
    filter.conversationId === undefined
      ? [filter.accountId, filter.since, limit]
      : [key, filter.since, filter.accountId, filter.conversationId, limit],
};

/**
 * The first layout, written by versions before the conversation key: the conversation index over the ids
 * themselves, `(account_id, conversation_id, at)`, and the table's columns without `conversation_key`.
 */
const FIRST: Layout = {
  prefix: 'policy_logs_h',
  search: (t, byConversation) => searchSql(t, byConversation),
  parameters: (filter, limit) => searchParameters(filter, limit),
};

/** Newest first. */
const LAYOUTS: readonly Layout[] = [KEYED, FIRST];

/** A table name is only ever made from a layout's prefix and an integer hour, never from text from outside. */
const tableOf = (layout: Layout, hour: number): string => `${layout.prefix}${hour}`;

/**
 * A search of one table of entries of the first layout (an hour's, or the old single table), newest first: by
 * account, or by account and conversation. Its parameters come from `searchParameters`.
 */
export const searchSql = (table: string, byConversation: boolean): string =>
  `SELECT * FROM ${table} WHERE account_id = ?${byConversation ? ' AND conversation_id = ?' : ''} AND at >= ?
   ORDER BY at DESC, id DESC LIMIT ?`;

export const searchParameters = (filter: PolicyLogSearch, limit: number): unknown[] =>
  filter.conversationId === undefined
    ? [filter.accountId, filter.since, limit]
    : [filter.accountId, filter.conversationId, filter.since, limit];

/** The order of a search's answer, for rows read from several tables: newest first, then by id. */
export const newestFirst = (a: Row, b: Row): number =>
  Number(b.at) - Number(a.at) || (String(b.id) > String(a.id) ? 1 : String(b.id) < String(a.id) ? -1 : 0);

/** The tables that hold one hour's entries: one per layout that wrote in that hour. */
interface HourTables {
  hour: number;
  tables: { name: string; layout: Layout }[];
}

/**
 * The policy log's entries, one table per hour. A log kept 7 days and searched by conversation needs an
 * index by conversation, and conversation ids come in no order: in a single table, each entry is written to
 * a random page of an index that holds a week of entries, and purging deletes each entry again from every
 * index. Here each entry's index pages are those of its own hour, and a purge drops an hour's tables whole.
 * Measured with a week of 2 million entries (bench/policy-log.ts): appending 21–22 → 7–7.5 µs of CPU per
 * entry, purging 19 → 0.2–0.3 µs. Searching reads every hour of the week: one index lookup per hour, about
 * 3 ms in all. Within an hour, the conversation index is over a 48-bit key rather than the ids (`KEYED`).
 *
 * The one writer of the file (the log's thread, or a node without it) keeps the list of hours it has written
 * tables for; searches and purges read the tables from the schema, so that they also see what another
 * connection wrote.
 */
export class PolicyLogHours {
  /** The hours that have a table of the layout written now. */
  readonly #known: Set<number>;
  /** Prepared inserts, by hour (tables of the layout written now). */
  readonly #inserts = new Map<number, Statement>();
  /** Prepared searches, by table and kind. */
  readonly #searches = new Map<string, Statement>();
  readonly #useOutline: Statement;

  constructor(private readonly db: SqliteDatabase) {
    this.#known = new Set(
      this.list()
        .filter((h) => h.tables.some((t) => t.layout === KEYED))
        .map((h) => h.hour),
    );
    this.#useOutline = db.prepare(
      'INSERT OR IGNORE INTO policy_log_outline_use (hour, account_id, outline_id) VALUES (?, ?, ?)',
    );
  }

  /** The hours that have a table, ascending, each with its tables. */
  list(): HourTables[] {
    const rows = this.db
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND (${LAYOUTS.map(
          (l) => `name GLOB '${l.prefix}[0-9]*'`,
        ).join(' OR ')})`,
      )
      .all() as { name: string }[];
    const hours = new Map<number, HourTables>();
    for (const { name } of rows) {
      const layout = LAYOUTS.find((l) => name.startsWith(l.prefix));
      const hour = layout ? Number(name.slice(layout.prefix.length)) : Number.NaN;
      if (!layout || !Number.isSafeInteger(hour)) continue;
      const found = hours.get(hour) ?? { hour, tables: [] };
      found.tables.push({ name, layout });
      hours.set(hour, found);
    }
    return [...hours.values()].sort((a, b) => a.hour - b.hour);
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
        this.db.exec(KEYED.create(tableOf(KEYED, hour)));
        this.#known.add(hour);
        created.push(hour);
      }
      this.#insertInto(hour).run(
        ...policyLogValues(e),
        e.conversationId === null ? null : conversationKey(e.accountId, e.conversationId),
      );
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
      this.#inserts.delete(hour);
      for (const layout of LAYOUTS) {
        for (const kind of SEARCH_KINDS) this.#searches.delete(searchKey(tableOf(layout, hour), kind));
      }
    }
  }

  /**
   * The entries of the hours from `filter.since` on that match `filter`, newest first, at most `filter.limit`:
   * the newest hours first, stopping once the limit is reached.
   */
  search(filter: PolicyLogSearch): Row[] {
    const key =
      filter.conversationId === undefined
        ? undefined
        : conversationKey(filter.accountId, filter.conversationId);
    const firstHour = hourOf(Math.max(filter.since, 0));
    const found: Row[] = [];
    for (const hour of this.list().reverse()) {
      if (hour.hour < firstHour || found.length >= filter.limit) break;
      found.push(...this.#searchHour(hour, filter, filter.limit - found.length, key));
    }
    return found;
  }

  /** One hour's entries that match `filter`, newest first, at most `limit`, from each of its tables. */
  #searchHour(hour: HourTables, filter: PolicyLogSearch, limit: number, key: number | undefined): Row[] {
    const byConversation = filter.conversationId !== undefined;
    const found: Row[] = [];
    for (const { name, layout } of hour.tables) {
      const statementKey = searchKey(name, byConversation ? 'conversation' : 'account');
      let statement = this.#searches.get(statementKey);
      if (!statement) {
        statement = this.db.prepare(layout.search(name, byConversation));
        this.#searches.set(statementKey, statement);
      }
      found.push(...(statement.all(...layout.parameters(filter, limit, key)) as Row[]));
    }
    if (hour.tables.length > 1) {
      found.sort(newestFirst);
      found.length = Math.min(found.length, limit);
    }
    return found;
  }

  /**
   * Drops one hour's tables and its outline references; returns how many entries they held (rows are only
   * ever appended to an hour's table, so its row ids run without a gap).
   */
  drop(hour: HourTables): number {
    return this.db.transaction(() => {
      let count = 0;
      for (const { name } of hour.tables) {
        const { n } = this.db
          .prepare(`SELECT coalesce(max(rowid) - min(rowid) + 1, 0) AS n FROM ${name}`)
          .get() as { n: number };
        count += Number(n);
        this.db.exec(`DROP TABLE ${name}`);
      }
      this.db.prepare('DELETE FROM policy_log_outline_use WHERE hour = ?').run(hour.hour);
      this.forget([hour.hour]);
      return count;
    })();
  }

  #insertInto(hour: number): Statement {
    let statement = this.#inserts.get(hour);
    if (!statement) {
      statement = this.db.prepare(
        `INSERT INTO ${tableOf(KEYED, hour)} (${POLICY_LOG_COLUMNS}, conversation_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      this.#inserts.set(hour, statement);
    }
    return statement;
  }
}

const SEARCH_KINDS = ['account', 'conversation'] as const;
const searchKey = (table: string, kind: (typeof SEARCH_KINDS)[number]): string => `${table} ${kind}`;
