import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  type BackupView,
  backUpNow,
  firstBackup,
  type StatusView,
  sha256,
  signIn,
  status,
  until,
} from '../helpers/backups.js';
import { tempFolders } from '../helpers/folders.js';
import { startTestServer } from '../helpers/server.js';

const folder = tempFolders('backup-command');

/** A word in the command's text: it may hold a credential, so it must never be logged nor answered. */
const IN_THE_TEXT = 'token-in-the-command-7f3a';

/** The status once BACKUP_COMMAND has no run under way or waiting, and has ended `runs` runs. */
const commandSettled = (url: string, admin: Record<string, string>, runs: number) =>
  until(
    `${runs} runs of BACKUP_COMMAND`,
    () => status(url, admin),
    (s: StatusView) =>
      s.command !== null &&
      s.command.running === null &&
      s.command.waiting === null &&
      s.command.succeeded + s.command.failed === runs,
  );

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('BACKUP_COMMAND copies each backup off the folder, in BACKUP_DIR, without the server secrets; remembered across restarts', async () => {
  const backupDir = join(folder(), 'backups');
  const offsite = join(folder(), 'offsite');
  const env = {
    BACKUP_DIR: backupDir,
    // As a real one would: the destination and its credential from the environment; the backup from BACKUP_PATH.
    OFFSITE: offsite,
    OFFSITE_CREDENTIAL: 'the-cloud-tool-needs-this',
    BACKUP_COMMAND: `: ${IN_THE_TEXT}; mkdir -p "$OFFSITE" && cp -r "$BACKUP_PATH" "$OFFSITE/$BACKUP_NAME" && env > "$OFFSITE/$BACKUP_NAME.env" && pwd > "$OFFSITE/$BACKUP_NAME.pwd"`,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
  };
  const t = await startTestServer(env);
  let name = '';
  try {
    const admin = await signIn(t.url);
    const first = await firstBackup(t.url, admin);
    const settled = await commandSettled(t.url, admin, 1);
    const [start] = first.backups;
    assert.ok(start);
    name = start.name;
    assert.equal(settled.command?.failed, 0);
    assert.equal(settled.command?.lastSuccess?.backup, name);
    assert.equal(settled.command?.timeoutSeconds, 3600);

    // The copy is whole: every file as the manifest lists it.
    for (const file of start.files) assert.equal(sha256(join(offsite, name, file.name)), file.sha256);
    assert.equal(readFileSync(join(offsite, `${name}.pwd`), 'utf8').trim(), backupDir);
    const seen = readFileSync(join(offsite, `${name}.env`), 'utf8');
    assert.match(seen, new RegExp(`^BACKUP_PATH=${join(backupDir, name)}$`, 'm'));
    assert.match(seen, new RegExp(`^BACKUP_NAME=${name}$`, 'm'));
    assert.match(seen, /^OFFSITE_CREDENTIAL=the-cloud-tool-needs-this$/m);
    // The server's own secrets stay with it (startTestServer gives it a master key and the admin password).
    for (const secret of ['ORCHESTRATOR_MASTER_KEY', 'ORCHESTRATOR_ADMIN_PASSWORD', 'BACKUP_COMMAND'])
      assert.doesNotMatch(seen, new RegExp(`^${secret}=`, 'm'), secret);

    // An operator's backup is copied too; the answer says nothing of the command's text.
    const made = (await (await backUpNow(t.url, admin)).json()) as BackupView;
    const after = await commandSettled(t.url, admin, 2);
    assert.equal(after.command?.lastSuccess?.backup, made.name);
    assert.ok(existsSync(join(offsite, made.name, 'orchestrator.db')));
    assert.doesNotMatch(JSON.stringify(after), new RegExp(IN_THE_TEXT));
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(metrics, /^orchestrator_backup_commands_total\{outcome="succeeded"\} 2$/m);
    assert.match(metrics, /^orchestrator_backup_command_last_success_timestamp_seconds [1-9]/m);
    name = made.name;
  } finally {
    await t.stop();
  }
  assert.doesNotMatch(t.logs.join(''), new RegExp(IN_THE_TEXT));
  assert.match(t.logs.join(''), /"msg":"backup command done"/);

  // A node started later knows when the last copy was made, before its own first run.
  const again = await startTestServer({ ...env, BACKUP_COMMAND: 'sleep 30' });
  try {
    const admin = await signIn(again.url);
    const view = await status(again.url, admin);
    assert.equal(view.command?.lastSuccess?.backup, name);
  } finally {
    await again.stop();
  }
});

test('BACKUP_COMMAND that fails: the reason from its error output, counted, logged without its text; the backup stays', async () => {
  const backupDir = join(folder(), 'backups');
  const t = await startTestServer({
    BACKUP_DIR: backupDir,
    BACKUP_COMMAND: `: ${IN_THE_TEXT}; echo "upload: bucket not found" >&2; exit 3`,
  });
  try {
    const admin = await signIn(t.url);
    const settled = await commandSettled(t.url, admin, 1);
    const [written] = settled.backups;
    assert.ok(written);
    assert.deepEqual(
      {
        backup: settled.command?.lastFailure?.backup,
        message: settled.command?.lastFailure?.message,
        errorOutput: settled.command?.lastFailure?.errorOutput,
        lastSuccess: settled.command?.lastSuccess,
      },
      {
        backup: written.name,
        message: 'BACKUP_COMMAND exited with code 3',
        errorOutput: 'upload: bucket not found',
        lastSuccess: null,
      },
    );
    // What the command wrote is for those who run the server: a viewer reads how it ended, not what it said.
    await t.server.runtime.services.operators.createOperator('watcher', 'a viewer password', 'viewer', null);
    const viewer = await signIn(t.url, 'watcher', 'a viewer password');
    const seen = await status(t.url, viewer);
    assert.equal(seen.command?.lastFailure?.message, 'BACKUP_COMMAND exited with code 3');
    assert.equal(seen.command?.lastFailure?.errorOutput, null);
    // The backup itself is written and kept: the copy elsewhere failed, not the backup.
    assert.equal(settled.lastFailure, null);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(metrics, /^orchestrator_backup_commands_total\{outcome="failed"\} 1$/m);
    assert.match(metrics, /^orchestrator_backup_command_last_success_timestamp_seconds 0$/m);
  } finally {
    await t.stop();
  }
  const logs = t.logs.join('');
  assert.match(
    logs,
    /"reason":"BACKUP_COMMAND exited with code 3","errorOutput":"upload: bucket not found".*"msg":"backup command failed"/,
  );
  assert.doesNotMatch(logs, new RegExp(IN_THE_TEXT));
});

test('BACKUP_COMMAND past its time limit is stopped with everything it started; so is one under way when the node stops', async () => {
  const backupDir = join(folder(), 'backups');
  const pids = join(folder(), 'pids');
  const command = `sleep 30 & echo $! >> "${pids}"; wait`;
  const t = await startTestServer({
    BACKUP_DIR: backupDir,
    BACKUP_COMMAND: command,
    BACKUP_COMMAND_TIMEOUT_SECONDS: '1',
  });
  try {
    const admin = await signIn(t.url);
    const settled = await commandSettled(t.url, admin, 1);
    assert.equal(
      settled.command?.lastFailure?.message,
      'BACKUP_COMMAND did not finish within 1 s (BACKUP_COMMAND_TIMEOUT_SECONDS) and was stopped',
    );
    const [sleeper] = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    assert.ok(sleeper);
    // Once reaped (the shell that started it is gone, so init reaps it): a moment after its output closed.
    await until(
      'the command the shell started to be stopped too',
      async () => alive(sleeper),
      (up) => !up,
    );
  } finally {
    await t.stop();
  }

  const stopped = await startTestServer({ BACKUP_DIR: join(folder(), 'backups'), BACKUP_COMMAND: command });
  const commandOf = stopped.server.runtime.services.backups?.command;
  assert.ok(commandOf);
  const admin = await signIn(stopped.url);
  await until(
    'the command under way',
    () => status(stopped.url, admin),
    (s) => s.command?.running !== null,
  );
  await until(
    'its sleep',
    async () => existsSync(pids) && readFileSync(pids, 'utf8').split('\n').length > 2,
    Boolean,
  );
  const began = Date.now();
  await stopped.stop();
  assert.ok(Date.now() - began < 4_000, 'the stop did not wait for the command');
  const sleeper = Number(readFileSync(pids, 'utf8').trim().split('\n').at(-1));
  await until(
    'the command to be stopped with the node',
    async () => alive(sleeper),
    (up) => !up,
  );
  assert.equal(commandOf.status().lastFailure?.message, 'BACKUP_COMMAND was stopped with the node');
  assert.match(stopped.logs.join(''), /"msg":"backup command stopped with the node"/);
});

test('one run at a time: the newest backup waits, an older waiting one is skipped, and no backup is removed while it is copied', async () => {
  const backupDir = join(folder(), 'backups');
  const copied = join(folder(), 'copied');
  const gate = join(folder(), 'gate');
  const t = await startTestServer({
    BACKUP_DIR: backupDir,
    BACKUP_KEEP: '1',
    // Each run waits until the test opens the gate (a file), then notes the backup it was given.
    BACKUP_COMMAND: `while [ ! -e "${gate}" ]; do sleep 0.05; done; rm -f "${gate}"; test -e "$BACKUP_PATH/backup.json" && echo "$BACKUP_NAME" >> "${copied}"`,
  });
  try {
    const admin = await signIn(t.url);
    const first = await until(
      'the first run under way',
      () => status(t.url, admin),
      (s) => s.command?.running != null,
    );
    const running = first.command?.running ?? '';
    const second = (await (await backUpNow(t.url, admin)).json()) as BackupView;
    const third = (await (await backUpNow(t.url, admin)).json()) as BackupView;
    const waiting = await status(t.url, admin);
    assert.equal(waiting.command?.running, running);
    assert.equal(waiting.command?.waiting, third.name);
    // BACKUP_KEEP=1, yet the backup being copied is kept; the skipped one is not.
    assert.deepEqual(
      readdirSync(backupDir)
        .filter((n) => n.startsWith('backup-'))
        .sort(),
      [running, third.name].sort(),
    );

    writeFileSync(gate, '');
    await until(
      'the second run',
      () => status(t.url, admin),
      (s) => s.command?.running === third.name,
    );
    writeFileSync(gate, '');
    await commandSettled(t.url, admin, 2);
    assert.deepEqual(readFileSync(copied, 'utf8').trim().split('\n'), [running, third.name]);
    assert.notEqual(second.name, third.name);
    assert.match(
      t.logs.join(''),
      new RegExp(`"backup":"${second.name}".*"msg":"backup command skipped: a newer backup waits"`),
    );
  } finally {
    await t.stop();
  }
});

test('a run ends when its shell does, even if something it left behind keeps its error output open', async () => {
  const backupDir = join(folder(), 'backups');
  const pids = join(folder(), 'daemon-pid');
  // A session of its own: out of reach of the group's signals, holding the error output it was given.
  const t = await startTestServer({
    BACKUP_DIR: backupDir,
    BACKUP_COMMAND: `setsid sleep 60 & echo $! > "${pids}"; exit 0`,
  });
  try {
    const admin = await signIn(t.url);
    const settled = await commandSettled(t.url, admin, 1);
    assert.equal(settled.command?.succeeded, 1, JSON.stringify(settled.command));
  } finally {
    const daemon = Number(readFileSync(pids, 'utf8').trim());
    if (daemon > 0 && alive(daemon)) process.kill(daemon, 'SIGKILL');
    await t.stop();
  }
});
