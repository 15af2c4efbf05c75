import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { cliEnv, runCli } from '../helpers/cli.js';
import { tempFolders } from '../helpers/folders.js';
import { freePort } from '../helpers/server.js';

const folder = tempFolders('store-backup');
const ACCOUNT = 'acme-backup';

async function node(dataDir: string, masterKey: string): Promise<RunningServer> {
  return startServer(
    loadConfig({
      PORT: String(await freePort()),
      DATA_DIR: dataDir,
      ORCHESTRATOR_MASTER_KEY: masterKey,
      ORCHESTRATOR_ADMIN_PASSWORD: 'store-backup-admin-password',
      LOG_LEVEL: 'warn',
    }),
    new Writable({ write: (_chunk, _encoding, done) => done() }),
  );
}

const properties = (base: string, key: string, init: RequestInit = {}) =>
  fetch(`${base}/v1/account/${ACCOUNT}/orchestrator/conv-1/properties`, {
    ...init,
    headers: { 'maven-api-key': key, 'content-type': 'application/json' },
  });

test('orchestrator store backup: taken while the server writes, a node on the copy serves what it held', async () => {
  const dataDir = folder();
  const masterKey = randomBytes(32).toString('base64');
  const env = cliEnv({ DATA_DIR: dataDir, ORCHESTRATOR_MASTER_KEY: masterKey, DATABASE_URL: undefined });
  const backup = join(folder(), 'nightly');

  const server = await node(dataDir, masterKey);
  let key: string;
  let writes = 0;
  try {
    await server.runtime.services.accounts.create(ACCOUNT);
    key = (await server.runtime.services.apiKeys.reveal(ACCOUNT))?.key ?? '';
    const first = await properties(server.url, key, { method: 'PATCH', body: JSON.stringify({ n: 0 }) });
    assert.equal(first.status, 204);
    // The server keeps writing while the backup runs.
    let writing = true;
    const writer = (async () => {
      while (writing) {
        writes++;
        const patched = await properties(server.url, key, {
          method: 'PATCH',
          body: JSON.stringify({ n: writes }),
        });
        assert.equal(patched.status, 204);
      }
    })();
    const taken = await runCli(env, 'store', 'backup', '--to', backup, '--json');
    writing = false;
    await writer;
    assert.equal(taken.code, 0, taken.stderr);
    const files = (JSON.parse(taken.stdout) as { files: { file: string; bytes: number }[] }).files;
    assert.deepEqual(
      files.map((f) => f.file),
      [join(backup, 'orchestrator.db'), join(backup, 'policy-logs.db')],
    );
    for (const { file } of files) assert.equal(statSync(file).mode & 0o777, 0o600, file);
    assert.ok(!existsSync(join(backup, 'master.key')), 'the master key is kept apart');
    assert.ok(writes > 1, 'writes went on during the backup');

    // A second backup into the same folder is refused; so are a folder equal to DATA_DIR and a missing --to.
    const again = await runCli(env, 'store', 'backup', '--to', backup);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists already/);
    assert.equal((await runCli(env, 'store', 'backup', '--to', dataDir)).code, 1);
    assert.equal((await runCli(env, 'store', 'backup')).code, 2);
    assert.equal((await runCli(env, 'store', 'backup', '--to', folder(), '--all')).code, 2);
    const onPostgres = await runCli(
      { ...env, DATABASE_URL: 'postgres://127.0.0.1:1/x', ISSUER: 'http://x.test' },
      'store',
      'backup',
      '--to',
      folder(),
    );
    assert.equal(onPostgres.code, 2);
    const empty = await runCli({ ...env, DATA_DIR: folder() }, 'store', 'backup', '--to', folder());
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /no SQLite store to back up/);
  } finally {
    await server.stop();
  }

  // The backup folder, with the master key, is a data folder: the account, its key and a document are there.
  const restored = await node(backup, masterKey);
  try {
    const read = await properties(restored.url, key);
    assert.equal(read.status, 200);
    const { n } = (await read.json()) as { n: number };
    assert.ok(Number.isInteger(n) && n >= 0 && n <= writes, `a state the server acknowledged (n = ${n})`);
  } finally {
    await restored.stop();
  }
});
