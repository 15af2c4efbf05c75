import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { before, test } from 'node:test';
import { promisify } from 'node:util';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { BUILT_CLI, orchestratorArgs } from '../helpers/build.js';
import { tempFolders } from '../helpers/folders.js';
import { basic, freePort, serverEnv, untilReady } from '../helpers/net.js';

/**
 * The server as `npm start` runs it: the compiled JavaScript in dist/, not the sources through tsx. What
 * only the build exercises is checked here: the policy log's and the signing thread start from their compiled
 * entry points, and libsodium's binary loads and signs.
 */
const run = promisify(execFile);
const CLI = BUILT_CLI;
// Fails at once, saying why, when dist/ is older than the sources.
before(() => orchestratorArgs());
const dataDir = tempFolders('built')();
const password = 'built-admin-password';

test('the built server signs Ed25519 tokens on its thread that verify against its JWKS, and logs next actions on its thread', async () => {
  const port = await freePort();
  const env = serverEnv(dataDir, port, password, { POLICY_LOG_THREAD: 'true', SIGNING_THREADS: 'true' });
  await run(process.execPath, [CLI, 'account', 'create', 'built'], { env });
  const { stdout } = await run(process.execPath, [CLI, 'credentials', 'regenerate', 'built', '--json'], {
    env,
  });
  const client = JSON.parse(stdout) as { userId: string; password: string };

  const server = spawn(process.execPath, [CLI, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += String(chunk);
  };
  server.stdout?.on('data', collect);
  server.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await untilReady(url);
    const issued = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: basic(client.userId, client.password),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=next-actions',
    });
    assert.equal(issued.status, 200);
    const { access_token: token } = (await issued.json()) as { access_token: string };
    const jwks = createLocalJWKSet(
      (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as JSONWebKeySet,
    );
    const { protectedHeader, payload } = await jwtVerify(token, jwks, {
      issuer: url,
      audience: url,
      typ: 'at+jwt',
    });
    assert.equal(protectedHeader.alg, 'EdDSA');
    assert.equal(payload.sub, 'built');

    const answer = await fetch(`${url}/v2/policy/nextaction`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ accountId: 'built', conversationId: 'c-built' }),
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(await answer.json(), []);

    const login = await fetch(`${url}/api/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    assert.equal(login.status, 200);
    const cookie = String(login.headers.get('set-cookie')).split(';')[0] ?? '';
    // The entry reaches the log's thread with the writer's next batch (within about 50 ms).
    let entries: { conversationId: string }[] = [];
    for (let attempt = 0; attempt < 50 && entries.length === 0; attempt++) {
      const search = await fetch(`${url}/api/admin/accounts/built/policy-logs?conversationId=c-built`, {
        headers: { cookie },
      });
      assert.equal(search.status, 200);
      entries = (await search.json()) as { conversationId: string }[];
      if (entries.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(
      entries.map((entry) => entry.conversationId),
      ['c-built'],
    );
  } finally {
    server.kill('SIGTERM');
  }
  assert.equal(await exited, 0, output);
  // A thread that did not start would have been stood in for by the event loop, and said so.
  assert.doesNotMatch(output, /signing thread|policy log|"level":5/i);
});
