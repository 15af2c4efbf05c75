import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { HOUR_MS } from '../../src/adapters/shared/policy-rows.js';
import { openSqlite, type SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { openPolicyLogDatabase } from '../../src/adapters/sqlite/policy-log-file.js';
import { conversationKey } from '../../src/adapters/sqlite/policy-log-hours.js';
import { SqlitePolicyLogStore } from '../../src/adapters/sqlite/policy-stores.js';
import { tempFolders } from '../helpers/folders.js';
import { logEntry } from '../helpers/policy-log-files.js';

/** Hour 472,222 (2023-11-14 22:00 UTC) and the ones after it. */
const H = 472_222 * HOUR_MS;

const entry = logEntry;

const folder = tempFolders('policy-log-hours');

function open(): { db: SqliteDatabase; store: SqlitePolicyLogStore; file: string } {
  const file = join(folder(), 'policy-logs.db');
  const db = openPolicyLogDatabase(file);
  return { db, store: new SqlitePolicyLogStore(db), file };
}

const tables = (db: SqliteDatabase): string[] =>
  (
    db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'policy_log%' ORDER BY name",
      )
      .all() as { name: string }[]
  ).map((row) => row.name);

const ids = async (
  store: SqlitePolicyLogStore,
  filter: { conversationId?: string; since?: number; limit?: number },
) =>
  (
    await store.searchPolicyLogs({
      accountId: 'acct',
      since: filter.since ?? 0,
      limit: filter.limit ?? 100,
      ...(filter.conversationId === undefined ? {} : { conversationId: filter.conversationId }),
    })
  ).map((e) => e.id);

describe('the SQLite policy log keeps one table per hour', () => {
  test('entries go to their hour’s table; a search reads across hours, newest first, with since and limit', async () => {
    const { db, store } = open();
    await store.appendPolicyLogs([
      entry('a', H + 5),
      entry('b', H + HOUR_MS + 1, { conversationId: 'conv-2' }),
      entry('c', H + 3 * HOUR_MS - 1),
      entry('d', H + 3 * HOUR_MS + 7, { conversationId: 'conv-2' }),
    ]);
    assert.deepEqual(tables(db), [
      'policy_log_hour_472222',
      'policy_log_hour_472223',
      'policy_log_hour_472224',
      'policy_log_hour_472225',
      'policy_log_outline_use',
      'policy_logs',
    ]);
    assert.deepEqual(await ids(store, {}), ['d', 'c', 'b', 'a']);
    assert.deepEqual(await ids(store, { limit: 3 }), ['d', 'c', 'b']);
    assert.deepEqual(await ids(store, { conversationId: 'conv-2' }), ['d', 'b']);
    assert.deepEqual(await ids(store, { conversationId: 'conv-1', limit: 1 }), ['c']);
    assert.deepEqual(await ids(store, { since: H + HOUR_MS + 2 }), ['d', 'c'], 'since falls inside an hour');
    db.close();
  });

  test('a purge drops whole hours that ended by the cutoff, however many entries they hold, and their outline references', async () => {
    const { db, store } = open();
    const many = Array.from({ length: 30 }, (_, i) => entry(`old-${i}`, H + i, { outlineId: 'o-old' }));
    await store.appendPolicyLogs([
      ...many,
      entry('next', H + HOUR_MS + 1),
      entry('same-hour-as-cutoff', H + 2 * HOUR_MS + 1),
    ]);
    await store.saveOutline({ id: 'o-old', accountId: 'acct', policies: [] }, 0);
    await store.saveOutline({ id: 'o1', accountId: 'acct', policies: [] }, 0);
    const cutoff = H + 2 * HOUR_MS + 10;
    assert.equal(await store.purgePolicyLogsBefore(cutoff, 10), 30, 'the first hour, whole');
    assert.equal(await store.purgePolicyOutlinesBefore(cutoff), 1, 'o-old: its entries are gone');
    assert.equal(await store.purgePolicyLogsBefore(cutoff, 10), 1);
    assert.equal(await store.purgePolicyLogsBefore(cutoff, 10), 0, 'the cutoff’s own hour is kept');
    assert.deepEqual(await ids(store, {}), ['same-hour-as-cutoff']);
    assert.deepEqual(tables(db), ['policy_log_hour_472224', 'policy_log_outline_use', 'policy_logs']);
    assert.equal(await store.purgePolicyOutlinesBefore(cutoff), 0, 'o1 is still referred to');
    assert.equal(await store.purgePolicyLogsBefore(H + 3 * HOUR_MS, 10), 1);
    assert.equal(await store.purgePolicyOutlinesBefore(cutoff), 1);
    db.close();
  });

  test('small hours are dropped together up to the limit', async () => {
    const { db, store } = open();
    await store.appendPolicyLogs(Array.from({ length: 5 }, (_, i) => entry(`e${i}`, H + i * HOUR_MS)));
    assert.equal(await store.purgePolicyLogsBefore(H + 10 * HOUR_MS, 3), 3);
    assert.equal(await store.purgePolicyLogsBefore(H + 10 * HOUR_MS, 3), 2);
    assert.equal(await store.purgePolicyLogsBefore(H + 10 * HOUR_MS, 3), 0);
    db.close();
  });

  test('entries in the table from before the hours are searched beside them and purged first, row by row', async () => {
    const { db, store } = open();
    const old = db.prepare(
      `INSERT INTO policy_logs (id, account_id, conversation_id, at, evaluation_id, outline_id, results, reasons, matched_policy_id)
       VALUES (?, 'acct', 'conv-1', ?, 'eval', 'o-moved', 'T', '[]', NULL)`,
    );
    old.run('moved-1', H - 2);
    old.run('moved-2', H - 1);
    old.run('moved-late', H + 2 * HOUR_MS + 5);
    await store.saveOutline({ id: 'o-moved', accountId: 'acct', policies: [] }, 0);
    await store.appendPolicyLogs([entry('new-1', H + 1), entry('new-2', H + 2 * HOUR_MS + 9)]);
    assert.deepEqual(await ids(store, {}), ['new-2', 'moved-late', 'new-1', 'moved-2', 'moved-1']);
    assert.deepEqual(await ids(store, { limit: 2 }), ['new-2', 'moved-late']);
    assert.equal(await store.purgePolicyLogsBefore(H + HOUR_MS, 1), 1, 'one old row: the limit');
    assert.equal(await store.purgePolicyLogsBefore(H + HOUR_MS, 1), 1);
    assert.equal(await store.purgePolicyLogsBefore(H + HOUR_MS, 1), 1, 'then the first hour');
    assert.equal(await store.purgePolicyOutlinesBefore(H + HOUR_MS), 0, 'moved-late still refers to o-moved');
    assert.deepEqual(await ids(store, {}), ['new-2', 'moved-late']);
    db.close();
  });

  test('an append that fails writes nothing, creates no table, and the next one into that hour works', async () => {
    const { db, store } = open();
    await store.appendPolicyLogs([entry('x', H)]);
    await assert.rejects(store.appendPolicyLogs([entry('y', H + HOUR_MS), entry('x', H)]));
    assert.deepEqual(tables(db), ['policy_log_hour_472222', 'policy_log_outline_use', 'policy_logs']);
    await store.appendPolicyLogs([entry('y', H + HOUR_MS)]);
    assert.deepEqual(await ids(store, {}), ['y', 'x']);
    await assert.rejects(store.appendPolicyLogs([entry('z', -1)]), /no valid time/);
    db.close();
  });

  test('a store opened again finds the hours written before', async () => {
    const { db, store, file } = open();
    await store.appendPolicyLogs([entry('a', H), entry('b', H + HOUR_MS)]);
    db.close();
    const again = openPolicyLogDatabase(file);
    const reopened = new SqlitePolicyLogStore(again);
    await reopened.appendPolicyLogs([entry('c', H + HOUR_MS + 1)]);
    assert.deepEqual(await ids(reopened, {}), ['c', 'b', 'a']);
    assert.equal(await reopened.purgePolicyLogsBefore(H + 2 * HOUR_MS, 100), 3);
    again.close();
  });
});

/** An hour's table as versions before the conversation key made it (`policy_logs_h<hour>`), with `ids` in it. */
function firstLayoutHour(
  db: SqliteDatabase,
  hour: number,
  rows: [id: string, at: number, conversationId: string][],
) {
  const t = `policy_logs_h${hour}`;
  db.exec(`
    CREATE TABLE ${t} (
      id TEXT NOT NULL UNIQUE, account_id TEXT NOT NULL, conversation_id TEXT, at INTEGER NOT NULL,
      evaluation_id TEXT NOT NULL, outline_id TEXT NOT NULL, results TEXT NOT NULL, reasons TEXT NOT NULL,
      matched_policy_id TEXT
    );
    CREATE INDEX ${t}_conversation ON ${t}(account_id, conversation_id, at);
    CREATE INDEX ${t}_account ON ${t}(account_id, at);`);
  const insert = db.prepare(
    `INSERT INTO ${t} (id, account_id, conversation_id, at, evaluation_id, outline_id, results, reasons, matched_policy_id)
     VALUES (?, 'acct', ?, ?, 'eval', 'o1', 'T', '[]', NULL)`,
  );
  for (const [id, at, conversationId] of rows) insert.run(id, conversationId, at);
  db.prepare(
    "INSERT OR IGNORE INTO policy_log_outline_use (hour, account_id, outline_id) VALUES (?, 'acct', 'o1')",
  ).run(hour);
}

describe('the SQLite policy log reads the hours of its earlier layout', () => {
  test('hours written before the conversation key are searched beside the new tables, even within one hour, and purged with them', async () => {
    const { db, store } = open();
    firstLayoutHour(db, 472_222, [
      ['old-a', H + 10, 'conv-1'],
      ['old-b', H + 30, 'conv-2'],
    ]);
    firstLayoutHour(db, 472_223, [['old-c', H + HOUR_MS + 5, 'conv-1']]);
    await store.appendPolicyLogs([
      entry('new-a', H + 20),
      entry('new-b', H + 40, { conversationId: 'conv-2' }),
      entry('new-c', H + 2 * HOUR_MS),
    ]);
    assert.deepEqual(tables(db), [
      'policy_log_hour_472222',
      'policy_log_hour_472224',
      'policy_log_outline_use',
      'policy_logs',
      'policy_logs_h472222',
      'policy_logs_h472223',
    ]);
    assert.deepEqual(await ids(store, {}), ['new-c', 'old-c', 'new-b', 'old-b', 'new-a', 'old-a']);
    assert.deepEqual(await ids(store, { conversationId: 'conv-1' }), ['new-c', 'old-c', 'new-a', 'old-a']);
    assert.deepEqual(await ids(store, { conversationId: 'conv-2', limit: 1 }), ['new-b']);
    assert.deepEqual(await ids(store, { limit: 4 }), ['new-c', 'old-c', 'new-b', 'old-b']);
    assert.deepEqual(await ids(store, { since: H + 25 }), ['new-c', 'old-c', 'new-b', 'old-b']);

    assert.equal(await store.purgePolicyLogsBefore(H + HOUR_MS, 100), 4, 'both tables of the first hour');
    assert.equal(
      await store.purgePolicyLogsBefore(H + 2 * HOUR_MS, 100),
      1,
      'an hour of the first layout alone',
    );
    assert.deepEqual(tables(db), ['policy_log_hour_472224', 'policy_log_outline_use', 'policy_logs']);
    assert.deepEqual(await ids(store, {}), ['new-c']);
    db.close();
  });

  test('a search by conversation compares the ids, not only their key', async () => {
    const { db, store } = open();
    await store.appendPolicyLogs([entry('mine', H + 1), entry('mine-later', H + 3)]);
    // Rows whose key is that of acct/conv-1, as another conversation or account sharing it would write them.
    const sameKey = conversationKey('acct', 'conv-1');
    const insert = db.prepare(
      `INSERT INTO policy_log_hour_472222 (id, account_id, conversation_id, at, evaluation_id, outline_id, results, reasons, conversation_key)
       VALUES (?, ?, ?, ?, 'eval', 'o1', 'T', '[]', ?)`,
    );
    insert.run('other-conversation', 'acct', 'conv-9', H + 2, sameKey);
    insert.run('other-account', 'someone-else', 'conv-1', H + 4, sameKey);
    assert.deepEqual(await ids(store, { conversationId: 'conv-1' }), ['mine-later', 'mine']);
    assert.deepEqual(await ids(store, { conversationId: 'conv-9' }), []);
    assert.notEqual(conversationKey('acct', 'conv-1'), conversationKey('acct', 'conv-2'));
    assert.ok(Number.isSafeInteger(sameKey) && sameKey >= 0);
    db.close();
  });
});

test('the log’s file copies its write-ahead pages into the database every 10,000 pages; the main file keeps SQLite’s 1,000', () => {
  const { db } = open();
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 10_000);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.close();
  const main = openSqlite(join(folder(), 'orchestrator.db'));
  assert.equal(main.pragma('wal_autocheckpoint', { simple: true }), 1_000);
  main.close();
});
