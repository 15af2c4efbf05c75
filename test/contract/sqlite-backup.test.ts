import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteStoreBackup } from '../../src/adapters/sqlite/backup.js';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { tempFolders } from '../helpers/folders.js';

const folder = tempFolders('sqlite-backup');

/** A main file of about `megabytes` MB (one table of random blobs), and no policy log file. */
function bigStore(megabytes: number): string {
  const file = join(folder(), 'orchestrator.db');
  const db = openSqlite(file);
  db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB)');
  const insert = db.prepare('INSERT INTO filler (data) VALUES (randomblob(65536))');
  db.transaction(() => {
    for (let i = 0; i < megabytes * 16; i++) insert.run();
  })();
  db.close();
  return file;
}

test('a backup stopped half-way rejects only once its thread is gone: nothing is written after', async () => {
  // A thread cannot be stopped inside SQLite's VACUUM INTO: it ends when the file being copied is done.
  const backup = new SqliteStoreBackup(bigStore(100));
  const into = folder();
  const abort = new AbortController();
  const copying = backup.writeCopy(into, { policyLogs: true, signal: abort.signal });
  // Stop it once the copy has begun to write.
  for (let i = 0; i < 2_000; i++) {
    if (readdirSync(into).length > 0 && statSync(join(into, 'orchestrator.db')).size > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  abort.abort();
  await assert.rejects(copying, /the backup was stopped/);
  const sizes = () => readdirSync(into).map((name) => statSync(join(into, name)).size);
  const atStop = sizes();
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(sizes(), atStop);
});

test('a backup whose signal is already aborted starts no thread and rejects', async () => {
  const backup = new SqliteStoreBackup(bigStore(1));
  const into = folder();
  await assert.rejects(
    backup.writeCopy(into, { policyLogs: true, signal: AbortSignal.abort() }),
    /the backup was stopped/,
  );
  assert.deepEqual(readdirSync(into), []);
});

test('a copy of a store without a policy log file is the main file only, checked and hashed', async () => {
  const backup = new SqliteStoreBackup(bigStore(1));
  const into = folder();
  const files = await backup.writeCopy(into, { policyLogs: true });
  assert.deepEqual(
    files.map((f) => f.name),
    ['orchestrator.db'],
  );
  assert.match(files[0]?.sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.equal(statSync(join(into, 'orchestrator.db')).size, files[0]?.bytes);
});
