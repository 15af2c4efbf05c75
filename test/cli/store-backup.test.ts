import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

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

  // store verify: every check passes with the right key, and the backup is left as it was.
  const before = Object.fromEntries(readdirSync(backup).map((f) => [f, sha256(join(backup, f))]));
  assert.deepEqual(Object.keys(before).sort(), ['backup.json', 'orchestrator.db', 'policy-logs.db']);
  const verified = await runCli(env, 'store', 'verify', '--from', backup, '--json');
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  const report = JSON.parse(verified.stdout) as { ok: boolean; checks: { name: string; ok: boolean }[] };
  assert.deepEqual(
    report.checks.map((c) => [c.name, c.ok]),
    [
      ['files', true],
      ['integrity', true],
      ['schema', true],
      ['master key', true],
      ['contents', true],
    ],
  );
  assert.deepEqual(Object.fromEntries(readdirSync(backup).map((f) => [f, sha256(join(backup, f))])), before);
  // Another key: the master key check fails, naming what it cannot open.
  const otherKey = await runCli(
    { ...env, ORCHESTRATOR_MASTER_KEY: randomBytes(32).toString('base64') },
    'store',
    'verify',
    '--from',
    backup,
  );
  assert.equal(otherKey.code, 1);
  assert.match(
    otherKey.stdout,
    /FAILED master key: .* does not open \d+ sealed secret\(s\) \(.*api-key of acme-backup/,
  );
  // Usage: --from is needed, nothing else is taken; a folder with no store is refused.
  assert.equal((await runCli(env, 'store', 'verify')).code, 2);
  assert.equal((await runCli(env, 'store', 'verify', '--from', backup, '--all')).code, 2);
  assert.equal((await runCli(env, 'store', 'verify', '--from', folder())).code, 1);

  // A damaged copy: a file that no longer matches its manifest fails the check, and so does SQLite's own.
  const damaged = folder();
  cpSync(backup, damaged, { recursive: true });
  const db = join(damaged, 'orchestrator.db');
  const pageSize = 4096;
  const bytes = readFileSync(db);
  // Overwrite the second page (the first table's root) with noise.
  randomBytes(pageSize).copy(bytes, pageSize);
  writeFileSync(db, bytes);
  const broken = await runCli(env, 'store', 'verify', '--from', damaged, '--json');
  assert.equal(broken.code, 1);
  const failed = (JSON.parse(broken.stdout) as { checks: { name: string; ok: boolean }[] }).checks
    .filter((c) => !c.ok)
    .map((c) => c.name);
  assert.deepEqual(failed, ['files', 'integrity']);

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
