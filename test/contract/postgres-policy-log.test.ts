import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createPostgresStore } from '../../src/adapters/postgres/store.js';
import { DAY_MS } from '../../src/adapters/shared/policy-rows.js';
import type { Store } from '../../src/ports/store.js';
import { logEntry } from '../helpers/policy-log-files.js';
import { postgresAdmin, postgresUnavailable, postgresUrl, uniqueName } from './servers.js';

const reason = await postgresUnavailable();

/** Day 19,675 (2023-11-14) and the ones after it. */
const D = 19_675 * DAY_MS;

const entry = logEntry;

describe('PostgreSQL policy log: one partition per day, shared by the nodes', () => {
  const it = (name: string, fn: () => Promise<void>) =>
    reason ? test(name, { skip: reason }, () => {}) : test(name, fn);
  const schema = uniqueName('test_');
  let nodes: Store[] = [];
  before(async () => {
    if (reason) return;
    nodes = await Promise.all(
      [1, 2].map(() => createPostgresStore(postgresUrl, { schema, maxConnections: 3 })),
    );
  });
  after(async () => {
    if (reason) return;
    await Promise.all(nodes.map((node) => node.close()));
    await postgresAdmin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });
  const node = (i: number) => nodes[i] as Store;
  const partitions = async () =>
    (
      await postgresAdmin(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = '${schema}.policy_log_entries'::regclass ORDER BY c.relname`,
      )
    ).rows.map((row) => String(row.name));
  const ids = async (i: number) =>
    (await node(i).policyLogs.searchPolicyLogs({ accountId: 'acct', since: 0, limit: 100 })).map((e) => e.id);

  it('two nodes writing the same new days at once create each partition once and lose nothing', async () => {
    await Promise.all(
      Array.from({ length: 8 }, (_, k) =>
        node(k % 2).policyLogs.appendPolicyLogs([
          entry(`w${k}-a`, D + k),
          entry(`w${k}-b`, D + DAY_MS + k),
          entry(`w${k}-c`, D + 2 * DAY_MS + k),
        ]),
      ),
    );
    assert.deepEqual(
      await partitions(),
      [
        'policy_log_entries_d19675',
        'policy_log_entries_d19676',
        'policy_log_entries_d19677',
        'policy_log_entries_d19678',
      ],
      'the day after the last one written is made ahead',
    );
    assert.equal((await ids(0)).length, 24);
    assert.deepEqual(await ids(0), await ids(1));
  });

  it('two nodes purging at once drop each day once and count each entry once', async () => {
    const counts = await Promise.all(
      [0, 1].map((i) => node(i).policyLogs.purgePolicyLogsBefore(D + 2 * DAY_MS, 1_000)),
    );
    assert.equal((counts[0] ?? 0) + (counts[1] ?? 0), 16);
    assert.deepEqual(await partitions(), ['policy_log_entries_d19677', 'policy_log_entries_d19678']);
    assert.equal((await ids(1)).length, 8);
  });

  it('a node that still thinks a dropped day has a partition writes to it all the same', async () => {
    // Node 0 knows day 19,677; node 1 drops it.
    await node(0).policyLogs.appendPolicyLogs([entry('late-1', D + 2 * DAY_MS + 100)]);
    assert.equal(await node(1).policyLogs.purgePolicyLogsBefore(D + 3 * DAY_MS, 1_000), 9);
    assert.deepEqual(await partitions(), ['policy_log_entries_d19678']);
    await node(0).policyLogs.appendPolicyLogs([entry('late-2', D + 2 * DAY_MS + 200)]);
    assert.deepEqual(await ids(1), ['late-2']);
  });

  it('entries of the table from before the partitions are searched beside them and purged first', async () => {
    await postgresAdmin(
      `INSERT INTO ${schema}.policy_logs (id, account_id, conversation_id, at, evaluation_id, outline_id, results, reasons, matched_policy_id)
       VALUES ('old-1', 'acct', 'conv-1', ${D - 2}, 'e', 'o1', 'T', '[]', NULL),
              ('old-2', 'acct', 'conv-1', ${D + 2 * DAY_MS + 150}, 'e', 'o1', 'T', '[]', NULL)`,
    );
    assert.deepEqual(await ids(0), ['late-2', 'old-2', 'old-1']);
    assert.equal(
      await node(0).policyLogs.purgePolicyLogsBefore(D + 3 * DAY_MS, 1),
      1,
      'one old row: the limit',
    );
    assert.equal(await node(0).policyLogs.purgePolicyLogsBefore(D + 3 * DAY_MS, 1), 1);
    assert.equal(await node(0).policyLogs.purgePolicyLogsBefore(D + 3 * DAY_MS, 1), 1, 'then the day');
    assert.deepEqual(await ids(0), []);
  });

  /** A second connection holding what a backup holds (pg_dump: a shared lock on every table) until released. */
  async function holdBackupLock(): Promise<() => Promise<void>> {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query('BEGIN');
    await client.query(`LOCK TABLE ${schema}.policy_log_entries IN ACCESS SHARE MODE`);
    return async () => {
      await client.query('COMMIT');
      await client.end();
    };
  }

  async function waitForWaitingLock(): Promise<void> {
    for (;;) {
      const { rows } = await postgresAdmin(
        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
         WHERE NOT l.granted AND c.relname = 'policy_log_entries' AND c.relnamespace = '${schema}'::regnamespace`,
      );
      if (Number(rows[0]?.n) > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('while a backup holds its lock, entries are written and the purge leaves the day for a later run', async () => {
    const day = D + 10 * DAY_MS;
    await node(0).policyLogs.appendPolicyLogs([entry('b-1', day + 1)]);
    const release = await holdBackupLock();
    try {
      // The day's partition (and the next) exist: writing needs no lock the backup's conflicts with.
      await node(0).policyLogs.appendPolicyLogs([entry('b-2', day + 2)]);
      const purging = assert.rejects(
        node(1).policyLogs.purgePolicyLogsBefore(day + DAY_MS, 1_000),
        /was not dropped: another session held a lock/,
        'the drop gave up',
      );
      // Once the drop waits for its lock, a write queues behind it: it goes through when the drop gives up,
      // while the backup still holds its lock.
      await waitForWaitingLock();
      await node(0).policyLogs.appendPolicyLogs([entry('b-3', day + 3)]);
      await purging;
      assert.ok((await partitions()).includes('policy_log_entries_d19685'));
    } finally {
      await release();
    }
    assert.equal(await node(1).policyLogs.purgePolicyLogsBefore(day + DAY_MS, 1_000), 3);
    assert.ok(!(await partitions()).includes('policy_log_entries_d19685'));
  });

  it('making the next day ahead gives up behind a backup and never fails the entries', async () => {
    const release = await holdBackupLock();
    try {
      // Day 19,686 was made ahead by the last test; its first entries now try to make day 19,687.
      await node(0).policyLogs.appendPolicyLogs([entry('c-1', D + 11 * DAY_MS + 1)]);
      assert.ok(!(await partitions()).includes('policy_log_entries_d19687'));
    } finally {
      await release();
    }
    assert.deepEqual(await ids(1), ['c-1']);
    // The next day's first entries make their partition themselves (and the day after theirs).
    await node(0).policyLogs.appendPolicyLogs([entry('c-2', D + 12 * DAY_MS + 1)]);
    const made = await partitions();
    assert.ok(made.includes('policy_log_entries_d19687') && made.includes('policy_log_entries_d19688'));
    assert.deepEqual(await ids(1), ['c-2', 'c-1']);
  });
});
