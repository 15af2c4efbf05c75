import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openPolicyLogDatabase, POLICY_LOG_FILE } from '../../src/adapters/sqlite/policy-log-file.js';
import { ThreadedPolicyLogStore } from '../../src/adapters/sqlite/policy-log-thread.js';
import { createSqliteStore } from '../../src/adapters/sqlite/store.js';
import { tempFolders } from '../helpers/folders.js';
import { logEntry, mainPolicyTables, oldPolicyLogLayout, T0 } from '../helpers/policy-log-files.js';

const folder = tempFolders('policy-log');

const entry = logEntry;

const search = { accountId: 'acct', conversationId: 'conv-1', since: 0, limit: 100 };

/** The ids that the policy log of a store opened on `file` finds, newest first; the store is closed again. */
async function loggedIds(file: string): Promise<string[]> {
  const store = createSqliteStore(file);
  try {
    return (await store.policyLogs.searchPolicyLogs(search)).map((e) => e.id);
  } finally {
    await store.close();
  }
}

describe('the policy log file', () => {
  for (const policyLogThread of [false, true]) {
    test(`entries logged in the main file before are moved into it at open (thread: ${policyLogThread})`, async () => {
      const file = join(folder(), 'orchestrator.db');
      oldPolicyLogLayout(file, ['e1', 'e2', 'e3']);
      const store = createSqliteStore(file, { policyLogThread });
      try {
        const found = await store.policyLogs.searchPolicyLogs(search);
        assert.deepEqual(
          found.map((e) => e.id),
          ['e3', 'e2', 'e1'],
        );
        assert.deepEqual(found[2], entry('e1'));
        const [outline] = await store.policyLogs.getOutlines('acct', ['o1']);
        assert.deepEqual(outline?.policies, [{ policyId: 'p1', name: 'one' }]);
      } finally {
        await store.close();
      }
      assert.deepEqual(
        mainPolicyTables(file),
        ['policy_sets', 'policy_versions'],
        'the main file keeps only the policies and their history',
      );
    });
  }

  test('a store opened without the move (a CLI command) leaves the old tables to the server that uses them', async () => {
    const file = join(folder(), 'orchestrator.db');
    oldPolicyLogLayout(file, ['e1', 'e2']);
    const cli = createSqliteStore(file, { moveOldPolicyLogs: false });
    await cli.close();
    assert.deepEqual(mainPolicyTables(file), [
      'policy_logs',
      'policy_outlines',
      'policy_sets',
      'policy_versions',
    ]);
    assert.deepEqual(await loggedIds(file), ['e2', 'e1']);
    assert.deepEqual(mainPolicyTables(file), ['policy_sets', 'policy_versions']);
  });

  test('a move cut short is finished at the next open, with no entry twice', async () => {
    const dir = folder();
    const file = join(dir, 'orchestrator.db');
    oldPolicyLogLayout(file, ['e1', 'e2', 'e3']);
    // As after a crash between the copy and the drop: the log file's table for moved entries holds entries
    // the main file still has.
    const logDb = openPolicyLogDatabase(join(dir, POLICY_LOG_FILE));
    const copy = logDb.prepare(
      `INSERT INTO policy_logs (id, account_id, conversation_id, at, evaluation_id, outline_id, results, reasons, matched_policy_id)
       VALUES (?, 'acct', 'conv-1', ?, ?, 'o1', 'FT', '[]', 'p2')`,
    );
    copy.run('e1', T0, 'eval-e1');
    copy.run('e2', T0 + 1, 'eval-e2');
    logDb.close();
    assert.deepEqual(await loggedIds(file), ['e3', 'e2', 'e1']);
    assert.deepEqual(mainPolicyTables(file), ['policy_sets', 'policy_versions']);
  });

  test('what is appended before close is in the file at the next open', async () => {
    const file = join(folder(), 'orchestrator.db');
    const store = createSqliteStore(file, { policyLogThread: true });
    const writes = [
      store.policyLogs.appendPolicyLogs([entry('a1')]),
      store.policyLogs.appendPolicyLogs([entry('a2', T0 + 1)]),
    ];
    await store.close();
    await Promise.all(writes);
    assert.deepEqual(await loggedIds(file), ['a2', 'a1']);
  });
});

describe('the policy log thread', () => {
  test('a thread that stops fails the calls waiting for it; after a pause the next call starts a new one', async () => {
    const file = join(folder(), POLICY_LOG_FILE);
    openPolicyLogDatabase(file).close();
    const logs = new ThreadedPolicyLogStore(file, { restartDelayMs: 200 });
    try {
      await logs.appendPolicyLogs([entry('before')]);
      // A batch that keeps the thread busy for a while, and a search behind it: both wait when it stops.
      const bulk = Array.from({ length: 50_000 }, (_, i) => entry(`bulk-${i}`, T0 - 1 - i));
      const busy = logs.appendPolicyLogs(bulk);
      const waiting = logs.searchPolicyLogs(search);
      await logs.crashForTest();
      await assert.rejects(busy, /the policy log thread stopped/);
      await assert.rejects(waiting, /the policy log thread stopped/);
      // Not at once: a thread that cannot start would otherwise be started again for every batch.
      await assert.rejects(logs.appendPolicyLogs([entry('too-soon', T0 + 1)]), /a new one starts shortly/);
      await new Promise((resolve) => setTimeout(resolve, 250));
      await logs.appendPolicyLogs([entry('after', T0 + 1)]);
      assert.deepEqual(
        (await logs.searchPolicyLogs(search)).map((e) => e.id),
        ['after', 'before'],
      );
    } finally {
      await logs.close();
    }
  });

  test('an error in the thread reaches the caller with its message; the thread goes on', async () => {
    const file = join(folder(), 'orchestrator.db');
    const store = createSqliteStore(file, { policyLogThread: true });
    try {
      await store.policyLogs.appendPolicyLogs([entry('x1')]);
      await assert.rejects(
        store.policyLogs.appendPolicyLogs([entry('x2'), entry('x1')]),
        /UNIQUE constraint failed/,
      );
      assert.deepEqual(
        (await store.policyLogs.searchPolicyLogs(search)).map((e) => e.id),
        ['x1'],
      );
    } finally {
      await store.close();
    }
  });

  test('a closed store refuses calls', async () => {
    const store = createSqliteStore(join(folder(), 'orchestrator.db'), { policyLogThread: true });
    await store.close();
    await assert.rejects(store.policyLogs.searchPolicyLogs(search), /closed/);
  });
});
