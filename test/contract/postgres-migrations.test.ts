import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { migratePostgres, openPostgres } from '../../src/adapters/postgres/database.js';
import { createPostgresStore, postgresMigrations } from '../../src/adapters/postgres/store.js';
import { postgresAdmin, postgresUnavailable, postgresUrl, uniqueName } from './servers.js';

const reason = await postgresUnavailable();

describe('PostgreSQL migrations', () => {
  const it = (name: string, fn: () => Promise<void>) =>
    reason ? test(name, { skip: reason }, () => {}) : test(name, fn);

  it('applies each migration exactly once when eight nodes start at the same moment', async () => {
    const schema = uniqueName('test_');
    try {
      const stores = await Promise.all(
        Array.from({ length: 8 }, () => createPostgresStore(postgresUrl, { schema, maxConnections: 2 })),
      );
      assert.ok(await stores[0]?.accounts.createAccount({ accountId: 'after-migration', createdAt: 1 }));
      await Promise.all(stores.map((store) => store.close()));
      const { rows } = await postgresAdmin(`SELECT id FROM ${schema}.schema_migrations ORDER BY id`);
      assert.deepEqual(
        rows.map((row) => row.id),
        postgresMigrations.map((m) => m.id).sort(),
      );
    } finally {
      await postgresAdmin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }
  });

  it('applies only what is new, and nothing of a migration that fails', async () => {
    const schema = uniqueName('test_');
    const pool = openPostgres(postgresUrl, { schema, maxConnections: 1 });
    try {
      const first = { id: 'x-001', sql: 'CREATE TABLE one (id INT)' };
      assert.deepEqual(await migratePostgres(pool, [first], schema), ['x-001']);
      assert.deepEqual(await migratePostgres(pool, [first], schema), []);
      const second = { id: 'x-002', sql: 'CREATE TABLE two (id INT)' };
      const broken = { id: 'x-003', sql: 'CREATE TABLE three (id NOT_A_TYPE)' };
      await assert.rejects(migratePostgres(pool, [first, second, broken], schema));
      const tables = await pool.query(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema],
      );
      assert.deepEqual(
        tables.rows.map((row) => row.table_name),
        ['one', 'schema_migrations'],
        'the whole batch rolled back',
      );
      assert.deepEqual(await migratePostgres(pool, [first, second], schema), ['x-002']);
    } finally {
      await pool.end();
      await postgresAdmin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }
  });
});
