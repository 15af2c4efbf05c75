import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { HOUR_MS } from '../../src/adapters/shared/policy-rows.js';
import type { SqliteDatabase } from '../../src/adapters/sqlite/database.js';
import { openPolicyLogDatabase } from '../../src/adapters/sqlite/policy-log-file.js';
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
      'policy_log_outline_use',
      'policy_logs',
      'policy_logs_h472222',
      'policy_logs_h472223',
      'policy_logs_h472224',
      'policy_logs_h472225',
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
    assert.deepEqual(tables(db), ['policy_log_outline_use', 'policy_logs', 'policy_logs_h472224']);
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
    assert.deepEqual(tables(db), ['policy_log_outline_use', 'policy_logs', 'policy_logs_h472222']);
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
