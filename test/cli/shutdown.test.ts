import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { orchestratorArgs } from '../helpers/build.js';
import { tempFolders } from '../helpers/folders.js';
import { freePort, serverEnv, untilReady } from '../helpers/net.js';

const run = promisify(execFile);
const dataDir = tempFolders('shutdown')();

/** The process's exit code, or a failure if it still runs `seconds` later. */
function exitWithin(child: ChildProcess, seconds: number, what: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`still running ${seconds} s after ${what}`)),
      seconds * 1000,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function start(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, orchestratorArgs('start'), {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

test('SIGTERM: answers what it accepted, refuses the rest with 503, exits 0; acknowledged writes kept, refused ones absent', async () => {
  const port = await freePort();
  const env = serverEnv(dataDir, port, 'shutdown-admin-password');
  await run(process.execPath, orchestratorArgs('account', 'create', 'halt'), { env });
  const { stdout } = await run(process.execPath, orchestratorArgs('key', 'regenerate', 'halt', '--json'), {
    env,
  });
  const key = JSON.parse(stdout).key as string;
  const url = `http://127.0.0.1:${port}`;
  const headers = { 'maven-api-key': key, 'content-type': 'application/json' };

  // No deadline to end the stop early: it must end because every connection was closed once answered (a
  // connection that went idle after closing began used to stay open until the 72 s keep-alive timeout).
  const server = start({ ...env, SHUTDOWN_TIMEOUT_SECONDS: '3600' });
  await untilReady(url);
  let firstAnswer: () => void = () => {};
  const answered = new Promise<void>((resolve) => {
    firstAnswer = resolve;
  });
  const writes = Array.from({ length: 150 }, (_, i) =>
    fetch(`${url}/v1/account/halt/ns/s/properties`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ [`p${i}`]: i }),
    }).then(
      (response) => {
        firstAnswer();
        return { i, status: response.status };
      },
      () => ({ i, status: 0 }),
    ),
  );
  // Stop while the rest of the writes are in flight.
  await answered;
  server.kill('SIGTERM');
  const exited = exitWithin(server, 20, 'SIGTERM');
  const results = await Promise.all(writes);
  assert.equal(await exited, 0, 'a graceful stop exits 0');
  const acknowledged = results.filter((r) => r.status === 204).map((r) => r.i);
  // Fastify answers requests that arrive on open connections once closing has begun with 503 (and closes
  // the connection), so a load balancer retries them elsewhere; new connections are refused.
  const unexpected = results.filter((r) => ![204, 503, 0].includes(r.status));
  assert.deepEqual(unexpected, [], 'only 204, 503 or a refused connection');
  assert.ok(acknowledged.length > 0, 'requests in flight were answered');
  await assert.rejects(fetch(`${url}/healthz`), 'no longer accepting');

  const again = start(env);
  try {
    await untilReady(url);
    const stored = (await (
      await fetch(`${url}/v1/account/halt/ns/s/properties`, { headers })
    ).json()) as Record<string, number>;
    for (const i of acknowledged) assert.equal(stored[`p${i}`], i, `acknowledged write p${i} kept`);
    for (const r of results.filter((x) => x.status === 503))
      assert.equal(stored[`p${r.i}`], undefined, `refused write p${r.i} absent`);
  } finally {
    again.kill('SIGTERM');
    await new Promise((resolve) => again.once('exit', resolve));
  }
});

test('SIGTERM: a request that never finishes holds the stop SHUTDOWN_TIMEOUT_SECONDS at most, then its connection is closed', async () => {
  const port = await freePort();
  const env = { ...serverEnv(dataDir, port, 'shutdown-admin-password'), SHUTDOWN_TIMEOUT_SECONDS: '1' };
  const server = start(env);
  try {
    await untilReady(`http://127.0.0.1:${port}`);
    // Headers and a part of the body: the request is in flight until the rest comes, which it never does.
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(
      'POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=',
    );
    // The server has the request once it answers another connection after it.
    await fetch(`http://127.0.0.1:${port}/healthz`);
    server.kill('SIGTERM');
    assert.equal(await exitWithin(server, 20, 'SIGTERM'), 0, 'a stop at its deadline still exits 0');
    await closed;
    assert.equal(answer, '', 'the unfinished request was never answered: its connection was closed');
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
  }
});
