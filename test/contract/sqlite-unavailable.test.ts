import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { createSqliteStore } from '../../src/adapters/sqlite/store.js';
import { isSqliteUnavailable } from '../../src/adapters/sqlite/unavailable.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { tempFolders } from '../helpers/folders.js';

const folder = tempFolders('sqlite-unavailable');

const withCode = (code: string) => Object.assign(new Error(code), { code });

test('SQLite failures that mean the file cannot be worked on now, and those that do not', () => {
  for (const code of [
    'SQLITE_BUSY',
    'SQLITE_BUSY_SNAPSHOT',
    'SQLITE_FULL',
    'SQLITE_IOERR_WRITE',
    'SQLITE_LOCKED',
  ])
    assert.equal(isSqliteUnavailable(withCode(code)), true, code);
  for (const code of ['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_ERROR', 'SQLITE_MISMATCH', 'SQLITE_BUSYNESS'])
    assert.equal(isSqliteUnavailable(withCode(code)), false, code);
  assert.equal(isSqliteUnavailable('SQLITE_BUSY'), false);
});

test('a write while another connection holds the write lock past busy_timeout: StoreUnavailableError, nothing written', async () => {
  const file = join(folder(), 'orchestrator.db');
  const store = createSqliteStore(file);
  const other = new Database(file);
  try {
    other.exec('BEGIN IMMEDIATE');
    // The store waits busy_timeout (5 s) for the lock, then gives up.
    await assert.rejects(
      Promise.resolve().then(() =>
        store.accounts.createAccount({ accountId: 'held', createdAt: Date.now() }),
      ),
      (error: unknown) => {
        assert.ok(error instanceof StoreUnavailableError, String(error));
        assert.equal(error.status, 503);
        assert.match(String((error.cause as { code?: string }).code), /^SQLITE_BUSY/);
        return true;
      },
    );
    other.exec('ROLLBACK');
    assert.equal(await store.accounts.getAccount('held'), null);
    await store.accounts.createAccount({ accountId: 'held', createdAt: Date.now() });
    assert.notEqual(await store.accounts.getAccount('held'), null);
  } finally {
    other.close();
    await store.close();
  }
});
