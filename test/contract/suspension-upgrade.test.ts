import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { createPostgresStore } from '../../src/adapters/postgres/store.js';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { createSqliteStore } from '../../src/adapters/sqlite/store.js';
import type { Store } from '../../src/ports/store.js';
import { tempFolders } from '../helpers/folders.js';
import { postgresAdmin, postgresUnavailable, postgresUrl, uniqueName } from './servers.js';

const folder = tempFolders('suspension-upgrade');

/**
 * A node of the version before ends of suspensions (during a rolling upgrade) resumes and suspends an account with
 * statements that leave `suspended_until` as it was. The end left behind must not resume the new suspension.
 */
async function olderNodeLeavesAnEnd(store: Store, sql: (statement: string) => Promise<void>): Promise<void> {
  const { accounts } = store;
  await accounts.createAccount({ accountId: 'rolling', createdAt: 1 });
  assert.equal(await accounts.changeAccountStatus('rolling', 'active', 'suspended', 10, 100), true);
  // The older node: resumed by hand at 20, suspended again (with no end) at 30.
  await sql(`UPDATE accounts SET status = 'active', status_changed_at = 20 WHERE account_id = 'rolling'`);
  await sql(`UPDATE accounts SET status = 'suspended', status_changed_at = 30 WHERE account_id = 'rolling'`);
  assert.equal((await accounts.getAccount('rolling'))?.suspendedUntil, null, 'the old end is none');
  assert.deepEqual(await accounts.resumeDueAccounts(1_000), []);
  assert.equal((await accounts.getAccount('rolling'))?.status, 'suspended');
  // A new node's suspension with an end still ends.
  assert.equal(await accounts.changeAccountStatus('rolling', 'suspended', 'suspended', 40, 2_000), true);
  assert.deepEqual(await accounts.resumeDueAccounts(2_000), ['rolling']);
}

test('SQLite: an end of suspension left behind by an older node resumes nothing', async () => {
  const file = join(folder(), 'orchestrator.db');
  const store = createSqliteStore(file);
  const side = openSqlite(file);
  try {
    await olderNodeLeavesAnEnd(store, async (statement) => {
      side.exec(statement);
    });
  } finally {
    side.close();
    await store.close();
  }
});

test('PostgreSQL: an end of suspension left behind by an older node resumes nothing', async (t) => {
  const unavailable = await postgresUnavailable();
  if (unavailable) return t.skip(unavailable);
  const schema = uniqueName('test_');
  const store = await createPostgresStore(postgresUrl, { schema, maxConnections: 2 });
  const side = new pg.Client({ connectionString: postgresUrl });
  await side.connect();
  try {
    await olderNodeLeavesAnEnd(store, async (statement) => {
      await side.query(`SET search_path TO ${schema}`);
      await side.query(statement);
    });
  } finally {
    await side.end();
    await store.close();
    await postgresAdmin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
});
