import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { migrateSqlite, openSqlite } from '../../src/adapters/sqlite/database.js';
import { createSqliteStore, sqliteMigrations } from '../../src/adapters/sqlite/store.js';
import type { Policy } from '../../src/core/policy/types.js';
import { tempFolders } from '../helpers/folders.js';

const folder = tempFolders('policy-history-upgrade');

const policy: Policy = {
  id: 'p1',
  name: 'Überweisung à la carte',
  enabled: true,
  conditions: [{ attribute: 'custom.tier', operator: 'EQUAL', value: 'gold' }],
  actions: [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: '42' } }],
};

test('a SQLite history written before lists had a size gets each size in bytes at open, and is kept within them from then on', async () => {
  const file = join(folder(), 'orchestrator.db');
  // The file as the version before wrote it: every migration up to the history's first layout, and one list.
  const before = openSqlite(file);
  const upTo = sqliteMigrations.findIndex((m) => m.id === 'policy-004');
  assert.ok(upTo > 0);
  migrateSqlite(before, sqliteMigrations.slice(0, upTo));
  const json = JSON.stringify([policy]);
  before
    .prepare(
      'INSERT INTO policy_versions (account_id, version, at, actor, action, count, policies) VALUES (?, ?, ?, ?, ?, ?, ?)',
    )
    .run('acct', 1, 1_700_000_000_000, 'alice', 'policies.created', 1, json);
  before
    .prepare('INSERT INTO policy_sets (account_id, policies, custom_attributes, version) VALUES (?, ?, ?, ?)')
    .run('acct', json, '{}', 1);
  before.close();

  const store = createSqliteStore(file);
  try {
    assert.deepEqual(await store.policies.getPolicyVersion('acct', 1), {
      version: 1,
      at: 1_700_000_000_000,
      actor: 'alice',
      action: 'policies.created',
      count: 1,
      policies: [policy],
    });
    await store.policies.savePolicies('acct', [], 1, {
      at: 1_700_000_000_001,
      actor: 'bob',
      action: 'policies.replaced',
    });
    assert.deepEqual(
      (await store.policies.listPolicyVersions('acct')).map((v) => v.version),
      [2, 1],
    );
  } finally {
    await store.close();
  }
  const after = openSqlite(file);
  try {
    // Bytes of UTF-8, not characters: the name has two two-byte letters.
    const sizes = after.prepare('SELECT version, bytes FROM policy_versions ORDER BY version').all();
    assert.deepEqual(sizes, [
      { version: 1, bytes: Buffer.byteLength(json) },
      { version: 2, bytes: 2 },
    ]);
    assert.equal(Buffer.byteLength(json), json.length + 2);
  } finally {
    after.close();
  }
});
