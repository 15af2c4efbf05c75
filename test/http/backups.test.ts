import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { startServer } from '../../src/main.js';
import {
  type BackupView,
  backUpNow,
  firstBackup,
  sha256,
  signIn,
  status,
  until,
} from '../helpers/backups.js';
import { cliEnv, runCli } from '../helpers/cli.js';
import { tempFolders } from '../helpers/folders.js';
import { freePort, startTestServer } from '../helpers/server.js';

const folder = tempFolders('backups');
const ACCOUNT = 'acme-backups';

test('scheduled backups: the first at start; complete, private, checked; kept N; a node starts on one', async () => {
  const backupDir = join(folder(), 'backups');
  const t = await startTestServer({ BACKUP_DIR: backupDir, BACKUP_KEEP: '2', LOG_LEVEL: 'warn' });
  let restored: Awaited<ReturnType<typeof startServer>> | undefined;
  let kept: string[] = [];
  try {
    const admin = await signIn(t.url);
    // An empty BACKUP_DIR: the first backup is due at once.
    const first = await firstBackup(t.url, admin);
    assert.equal(first.enabled, true);
    assert.equal(first.folder, backupDir);
    assert.equal(first.keep, 2);
    assert.equal(first.intervalSeconds, 86_400);
    const [start] = first.backups;
    assert.ok(start);
    assert.match(start.name, /^backup-\d{8}T\d{6}Z(-\d+)?$/);
    assert.equal(first.lastSuccessAt, start.createdAt);
    // Due an interval after the one just written.
    assert.equal(Date.parse(first.nextAt ?? '') - Date.parse(start.createdAt), 86_400_000);

    // What a restore needs: both files, each as the manifest says, readable by this user only; no master key.
    const startFolder = join(backupDir, start.name);
    assert.deepEqual(readdirSync(startFolder).sort(), ['backup.json', 'orchestrator.db', 'policy-logs.db']);
    assert.equal(statSync(startFolder).mode & 0o777, 0o700);
    for (const file of start.files) {
      const path = join(startFolder, file.name);
      assert.equal(statSync(path).mode & 0o777, 0o600, file.name);
      assert.equal(statSync(path).size, file.bytes);
      assert.equal(sha256(path), file.sha256);
    }
    const manifest = JSON.parse(readFileSync(join(startFolder, 'backup.json'), 'utf8'));
    assert.deepEqual(manifest, {
      format: 1,
      createdAt: start.createdAt,
      policyLogs: true,
      files: start.files,
    });

    // store verify takes a scheduled backup as it takes its own: every check passes with the node's key.
    const verified = await runCli(
      cliEnv({
        DATA_DIR: folder(),
        ORCHESTRATOR_MASTER_KEY: t.server.runtime.config.masterKey?.toString('base64') ?? '',
        DATABASE_URL: undefined,
      }),
      'store',
      'verify',
      '--from',
      startFolder,
    );
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(
      verified.stdout,
      /ok {5}files: orchestrator\.db and policy-logs\.db as backup\.json lists them/,
    );

    // Data written after it, then a backup on demand.
    const services = t.server.runtime.services;
    await services.accounts.create(ACCOUNT);
    const key = (await services.apiKeys.reveal(ACCOUNT))?.key ?? '';
    const written = await fetch(`${t.url}/v1/account/${ACCOUNT}/orchestrator/conv-1/properties`, {
      method: 'PATCH',
      headers: { 'maven-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ intent: 'billing' }),
    });
    assert.equal(written.status, 204);
    const made = await backUpNow(t.url, admin);
    assert.equal(made.status, 201);
    assert.equal(made.headers.get('cache-control'), 'no-store');
    const second = (await made.json()) as BackupView;
    assert.notEqual(second.name, start.name);

    // Other files in the folder are left alone; what a stopped backup left is removed; two are kept.
    writeFileSync(join(backupDir, 'notes.txt'), 'kept');
    mkdirSync(join(backupDir, '.partial-backup-20200101T000000Z'));
    const third = (await (await backUpNow(t.url, admin)).json()) as BackupView;
    const after = await status(t.url, admin);
    assert.deepEqual(
      after.backups.map((b) => b.name),
      [third.name, second.name],
    );
    assert.deepEqual(readdirSync(backupDir).sort(), [second.name, third.name, 'notes.txt'].sort());

    // One at a time: a second request while one is written is refused.
    const both = await Promise.all([backUpNow(t.url, admin), backUpNow(t.url, admin)]);
    assert.deepEqual(both.map((r) => r.status).sort(), [201, 409]);
    const refused = both.find((r) => r.status === 409);
    assert.ok(refused);
    assert.match(((await refused.json()) as { detail: string }).detail, /a backup is being written now/);

    const metrics = await (await fetch(`${t.url}/metrics`, { headers: admin })).text();
    assert.match(metrics, /^orchestrator_backups_total\{outcome="written"\} 4$/m);
    assert.match(metrics, /^orchestrator_backups_total\{outcome="failed"\} 0$/m);
    assert.match(metrics, /^orchestrator_backup_last_success_timestamp_seconds \d{10}/m);

    // A node started on a copy of the newest backup, with the master key, serves what the node had written.
    const newest = (await status(t.url, admin)).backups[0];
    assert.ok(newest);
    const dataDir = join(folder(), 'restored');
    cpSync(join(backupDir, newest.name), dataDir, { recursive: true });
    restored = await startServer(
      loadConfig({
        PORT: String(await freePort()),
        DATA_DIR: dataDir,
        ORCHESTRATOR_MASTER_KEY: t.server.runtime.config.masterKey?.toString('base64') ?? '',
        LOG_LEVEL: 'warn',
      }),
      new Writable({ write: (_chunk, _encoding, done) => done() }),
    );
    const read = await fetch(`${restored.url}/v1/account/${ACCOUNT}/orchestrator/conv-1/properties`, {
      headers: { 'maven-api-key': key },
    });
    assert.equal(read.status, 200);
    assert.deepEqual(await read.json(), { intent: 'billing' });
    kept = (await status(t.url, admin)).backups.map((b) => b.name);
  } finally {
    await restored?.stop();
    await t.stop();
  }

  // A node started again on the same BACKUP_DIR does not back up at once: the newest is still fresh.
  const again = await startTestServer({ BACKUP_DIR: backupDir, BACKUP_KEEP: '2', LOG_LEVEL: 'warn' });
  try {
    const admin = await signIn(again.url);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const view = await status(again.url, admin);
    assert.deepEqual(
      view.backups.map((b) => b.name),
      kept,
    );
    const newest = view.backups[0];
    assert.ok(newest);
    assert.equal(view.lastSuccessAt, newest.createdAt);
    assert.equal(Date.parse(view.nextAt ?? '') - Date.parse(newest.createdAt), 86_400_000);
  } finally {
    await again.stop();
  }
});

test('the schedule after the clock was set back; folders without a manifest are not backups and are left alone', async () => {
  const backupDir = join(folder(), 'backups');
  const ahead = join(backupDir, 'backup-20990101T000000Z');
  mkdirSync(ahead, { recursive: true });
  writeFileSync(
    join(ahead, 'backup.json'),
    JSON.stringify({ format: 1, createdAt: '2099-01-01T00:00:00.000Z', policyLogs: true, files: [] }),
  );
  mkdirSync(join(backupDir, 'backup-20200101T000000Z'));
  const started = Date.now();
  const t = await startTestServer({ BACKUP_DIR: backupDir, BACKUP_KEEP: '1', LOG_LEVEL: 'warn' });
  try {
    const admin = await signIn(t.url);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const view = await status(t.url, admin);
    assert.deepEqual(
      view.backups.map((b) => b.name),
      ['backup-20990101T000000Z'],
    );
    // Due an interval from now, not from 2099.
    const due = Date.parse(view.nextAt ?? '');
    assert.ok(due >= started + 86_400_000 && due <= Date.now() + 86_400_000, view.nextAt ?? 'no nextAt');
    // Keeping one: the backup just written stays, though the one dated 2099 is "newer"; the folder without
    // a manifest is left alone.
    const made = (await (await backUpNow(t.url, admin)).json()) as BackupView;
    assert.deepEqual(readdirSync(backupDir).sort(), ['backup-20200101T000000Z', made.name].sort());
  } finally {
    await t.stop();
  }
});

test('a backup that fails answers 503 with the reason, is counted, and leaves nothing half-written', async () => {
  const backupDir = join(folder(), 'backups');
  const t = await startTestServer({ BACKUP_DIR: backupDir, BACKUP_POLICY_LOGS: 'false', LOG_LEVEL: 'warn' });
  try {
    const admin = await signIn(t.url);
    const first = await firstBackup(t.url, admin);
    assert.deepEqual(
      first.backups[0]?.files.map((f) => f.name),
      ['orchestrator.db'],
    );
    // The folder is replaced by a file: the next backup cannot be written.
    rmSync(backupDir, { recursive: true });
    writeFileSync(backupDir, 'not a folder');
    const failed = await backUpNow(t.url, admin);
    assert.equal(failed.status, 503);
    assert.match(((await failed.json()) as { detail: string }).detail, /^the backup failed: /);
    const view = await status(t.url, admin);
    assert.match(view.lastFailure?.message ?? '', /EEXIST|ENOTDIR/);
    // Tried again within ten minutes, not a day later.
    assert.ok(Date.parse(view.nextAt ?? '') - Date.parse(view.lastFailure?.at ?? '') <= 600_000);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(metrics, /^orchestrator_backups_total\{outcome="failed"\} 1$/m);

    rmSync(backupDir);
    assert.equal((await backUpNow(t.url, admin)).status, 201);
    assert.equal(readdirSync(backupDir).length, 1);
  } finally {
    await t.stop();
  }
});

test('a backup under way when the node stops is stopped and removed', async () => {
  const backupDir = join(folder(), 'backups');
  const t = await startTestServer({ BACKUP_DIR: backupDir, LOG_LEVEL: 'warn' });
  const backups = t.server.runtime.services.backups;
  assert.ok(backups);
  await until(
    'the first backup',
    async () => ({ kept: (await backups.list()).length, running: backups.status().running }),
    ({ kept, running }) => kept === 1 && !running,
  );
  const running = backups.runNow();
  await t.stop();
  await assert.rejects(running, /the backup failed: the backup was stopped/);
  assert.equal(readdirSync(backupDir).length, 1, 'only the first backup, no partial folder');
});

test('backups are off without BACKUP_DIR; operators only; a BACKUP_DIR that cannot be made stops the start', async () => {
  const t = await startTestServer({ LOG_LEVEL: 'warn' });
  try {
    const admin = await signIn(t.url);
    const view = await status(t.url, admin);
    assert.equal(view.enabled, false);
    assert.deepEqual(view.backups, []);
    const refused = await backUpNow(t.url, admin);
    assert.equal(refused.status, 409);
    assert.match(((await refused.json()) as { detail: string }).detail, /set BACKUP_DIR/);

    // No credential, a wrong operator token, a session without its CSRF token.
    assert.equal((await fetch(`${t.url}/api/admin/backups`)).status, 401);
    const wrong = { authorization: `Bearer orch_op_${'A'.repeat(43)}` };
    assert.equal((await fetch(`${t.url}/api/admin/backups`, { headers: wrong })).status, 401);
    assert.equal((await backUpNow(t.url, wrong)).status, 401);
    assert.equal((await backUpNow(t.url, { cookie: admin.cookie ?? '' })).status, 403);
  } finally {
    await t.stop();
  }

  const file = join(folder(), 'a-file');
  writeFileSync(file, 'x');
  await assert.rejects(
    startTestServer({ BACKUP_DIR: join(file, 'backups'), LOG_LEVEL: 'warn' }),
    /BACKUP_DIR .* cannot be used/,
  );
  assert.ok(!existsSync(join(file, 'backups')));
});
