import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { orchestratorArgs } from '../helpers/build.js';
import { tempFolders } from '../helpers/folders.js';
import { freePort, serverEnv, untilReady } from '../helpers/net.js';

const run = promisify(execFile);
const dataDir = tempFolders('lock')();

const cli = orchestratorArgs();

test('one server per SQLite data folder: a second is refused, the CLI still works beside it, a crash leaves no lock', async () => {
  const env = (port: number) => serverEnv(dataDir, port, 'lock-admin-password');
  const port = await freePort();
  const first = spawn(process.execPath, [...cli, 'start'], { env: env(port), stdio: 'ignore' });
  const firstExit = new Promise((resolve) => first.once('exit', resolve));
  try {
    await untilReady(`http://127.0.0.1:${port}`);

    const second = await run(process.execPath, [...cli, 'start'], { env: env(await freePort()) }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    assert.ok(second, 'the second server must not start');
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, /another orchestrator server is running on/);

    // The CLI is not a server: it runs beside one, and what it changes reaches the server.
    const created = await run(process.execPath, [...cli, 'account', 'create', 'beside', '--json'], {
      env: env(port),
    });
    assert.equal(JSON.parse(created.stdout).accountId, 'beside');
  } finally {
    first.kill('SIGKILL'); // a crash: the operating system releases the lock with the process
    await firstExit;
  }

  const port2 = await freePort();
  const again = spawn(process.execPath, [...cli, 'start'], { env: env(port2), stdio: 'ignore' });
  const againExit = new Promise((resolve) => again.once('exit', resolve));
  try {
    await untilReady(`http://127.0.0.1:${port2}`);
  } finally {
    again.kill('SIGTERM');
    await againExit;
  }
});
