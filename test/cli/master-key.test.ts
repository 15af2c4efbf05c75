import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { masterKeyId, sealedKeyId } from '../../src/core/auth/sealing.js';
import { openRuntime, type Runtime, StartupError, startServer } from '../../src/main.js';
import type { SealedRef, SealedValue } from '../../src/ports/sealed-value-store.js';
import { resealUnderMasterKey } from '../../src/services/master-key.js';
import { cliEnv, runCli } from '../helpers/cli.js';
import { tempFolders } from '../helpers/folders.js';
import { freePort } from '../helpers/server.js';

const ADMIN_PASSWORD = 'master-key-test-admin';
const dataFolder = tempFolders('master-key');

const cli = (env: Record<string, string>, ...args: string[]) =>
  runCli(cliEnv({ ORCHESTRATOR_ADMIN_PASSWORD: '', ...env }), ...args);

const open = (env: Record<string, string>) => openRuntime(loadConfig({ LOG_LEVEL: 'warn', ...env }));

async function withRuntime<T>(env: Record<string, string>, fn: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await open(env);
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

interface Shown {
  key: string;
  userId: string;
  password: string;
  testToken: string | null;
}

/** What the API Authorization page shows for each account: every value there was unsealed. */
async function show(runtime: Runtime, accounts: string[]): Promise<Map<string, Shown>> {
  const { apiKeys, clients, tokens } = runtime.services;
  const shown = new Map<string, Shown>();
  for (const accountId of accounts) {
    const key = await apiKeys.reveal(accountId);
    const client = await clients.reveal(accountId);
    assert.ok(key && client);
    const testToken = (await tokens.currentTestToken(accountId))?.token ?? null;
    shown.set(accountId, { key: key.key, userId: client.userId, password: client.password, testToken });
  }
  return shown;
}

/** The secrets still verify: v1 key, v2 credentials, the test token, and a token issued now. */
async function assertVerifies(runtime: Runtime, shown: Map<string, Shown>): Promise<void> {
  const { apiKeys, clients, tokens } = runtime.services;
  for (const [accountId, s] of shown) {
    assert.equal(await apiKeys.verify(s.key), accountId);
    const auth = await clients.authenticate({ clientId: s.userId, clientSecret: s.password });
    assert.ok(auth.ok, `${accountId} credentials`);
    if (s.testToken) assert.ok((await tokens.verify(s.testToken)).ok, `${accountId} test token`);
    const version = await clients.currentVersion(accountId);
    assert.equal(typeof version, 'number', `${accountId} has an active client`);
    const issued = await tokens.issue(accountId, s.userId, version as number, ['context:read']);
    assert.ok((await tokens.verify(issued.token)).ok, `${accountId} new token`);
  }
}

async function listAll(runtime: Runtime): Promise<SealedValue[]> {
  const all: SealedValue[] = [];
  let cursor: SealedRef | null = null;
  for (;;) {
    const page = await runtime.services.ctx.store.sealedValues.listSealed(cursor, 100);
    all.push(...page);
    const last = page.at(-1);
    if (page.length < 100 || !last) return all;
    cursor = last.ref;
  }
}

const keyOf = (file: string) => Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
const json = (output: { code: number; stdout: string; stderr: string }) => {
  assert.equal(output.code, 0, output.stderr || output.stdout);
  return JSON.parse(output.stdout);
};

describe('orchestrator master-key rotate', () => {
  test('single node with master.key: --generate re-seals everything and installs the new key', async () => {
    const dataDir = dataFolder();
    const env = { DATA_DIR: dataDir };
    json(await cli(env, 'account', 'create', 'acme', '--json'));
    json(await cli(env, 'account', 'create', 'beta', '--json'));
    const shown = await withRuntime(env, async (runtime) => {
      const userId = (await runtime.services.clients.reveal('acme'))?.userId as string;
      await runtime.services.tokens.issueTestToken('acme', userId);
      return show(runtime, ['acme', 'beta']);
    });
    const oldKey = keyOf(join(dataDir, 'master.key'));

    const rotated = json(await cli(env, 'master-key', 'rotate', '--generate', '--batch-size', '2', '--json'));
    const newKey = keyOf(join(dataDir, 'master.key'));
    assert.notDeepEqual(newKey, oldKey);
    assert.equal(rotated.keyId, masterKeyId(newKey));
    assert.equal(rotated.previousKeyId, masterKeyId(oldKey));
    // Two v1 keys, two client secrets, one test token, one signing key.
    assert.equal(rotated.resealed, 6);
    assert.equal(rotated.alreadyUnderNewKey, 0);
    assert.equal(rotated.source, 'file');
    assert.deepEqual(keyOf(join(dataDir, 'master.key.previous')), oldKey);
    for (const name of ['master.key', 'master.key.previous'])
      assert.equal(statSync(join(dataDir, name)).mode & 0o777, 0o600, name);
    assert.equal(existsSync(join(dataDir, 'master.key.next')), false);

    // The new key alone (read from master.key) shows and verifies everything.
    await withRuntime(env, async (runtime) => {
      assert.deepEqual(await show(runtime, ['acme', 'beta']), shown);
      await assertVerifies(runtime, shown);
      assert.ok((await listAll(runtime)).every((v) => sealedKeyId(v.cipher) === rotated.keyId));
      const audit = await runtime.services.ctx.store.audit.listAudit({ limit: 10 });
      assert.ok(audit.some((e) => e.action === 'master-key.rotated' && e.detail.keyId === rotated.keyId));
    });
    // The old key alone opens nothing any more.
    await assert.rejects(
      open({ ...env, ORCHESTRATOR_MASTER_KEY: oldKey.toString('base64') }),
      (error: unknown) => error instanceof StartupError && /does not open/.test(error.message),
    );
    // And a real server over the new key answers v1 and v2 clients.
    const server = await startServer(
      loadConfig({
        ...env,
        PORT: String(await freePort()),
        LOG_LEVEL: 'warn',
        ORCHESTRATOR_ADMIN_PASSWORD: ADMIN_PASSWORD,
      }),
    );
    try {
      const acme = shown.get('acme') as Shown;
      const v1 = await fetch(`${server.url}/v1/account/acme/namespace/x/session`, {
        headers: { 'maven-api-key': acme.key },
      });
      assert.equal(v1.status, 200);
      const token = await fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${acme.userId}:${acme.password}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
      assert.equal(token.status, 200);
    } finally {
      await server.stop();
    }

    // Running it again with the installed key changes nothing.
    writeFileSync(join(dataDir, 'same.key'), `${newKey.toString('base64')}\n`, { mode: 0o600 });
    const again = json(
      await cli(env, 'master-key', 'rotate', '--new-key-file', join(dataDir, 'same.key'), '--json'),
    );
    assert.deepEqual([again.resealed, again.alreadyUnderNewKey, again.previousKeyId], [0, 6, null]);
    assert.deepEqual(keyOf(join(dataDir, 'master.key.previous')), oldKey, 'the previous key file is kept');
  });

  test('an interrupted rotation is resumed by running the command again', async () => {
    const dataDir = dataFolder();
    const env = { DATA_DIR: dataDir };
    const accounts = ['a1', 'a2', 'a3', 'a4', 'a5'];
    const shown = await withRuntime(env, async (runtime) => {
      for (const id of accounts) await runtime.services.accounts.create(id);
      return show(runtime, accounts);
    });
    const oldKey = keyOf(join(dataDir, 'master.key'));
    const newKey = randomBytes(32);
    const newKeyFile = join(dataDir, 'new.key');
    writeFileSync(newKeyFile, `${newKey.toString('base64')}\n`, { mode: 0o600 });

    // What the command does, stopped after its first batch (as a crash would stop it).
    const mid = { DATA_DIR: dataDir, ORCHESTRATOR_MASTER_KEY: newKey.toString('base64') };
    await withRuntime(
      { ...mid, ORCHESTRATOR_MASTER_KEY_PREVIOUS: oldKey.toString('base64') },
      async (runtime) => {
        const { ctx } = runtime.services;
        await assert.rejects(
          resealUnderMasterKey(
            ctx.store.sealedValues,
            ctx.random,
            { target: newKey, others: [oldKey] },
            {
              batchSize: 3,
              afterBatch: () => {
                throw new Error('interrupted');
              },
            },
          ),
          /interrupted/,
        );
        const ids = (await listAll(runtime)).map((v) => sealedKeyId(v.cipher));
        assert.equal(ids.filter((id) => id === masterKeyId(newKey)).length, 3);
        assert.equal(ids.filter((id) => id === masterKeyId(oldKey)).length, accounts.length * 2 + 1 - 3);
        // Half-way, a node with both keys still shows every secret.
        assert.deepEqual(await show(runtime, accounts), shown);
      },
    );
    assert.deepEqual(keyOf(join(dataDir, 'master.key')), oldKey, 'not switched before the end');

    const resumed = json(
      await cli(env, 'master-key', 'rotate', '--new-key-file', newKeyFile, '--batch-size', '3', '--json'),
    );
    assert.equal(resumed.alreadyUnderNewKey, 3);
    assert.equal(resumed.resealed, accounts.length * 2 + 1 - 3);
    assert.deepEqual(keyOf(join(dataDir, 'master.key')), newKey);
    await withRuntime(env, async (runtime) => {
      assert.deepEqual(await show(runtime, accounts), shown);
      await assertVerifies(runtime, shown);
    });
  });

  test('an interrupted --generate keeps its key in master.key.next and resumes from it', async () => {
    const dataDir = dataFolder();
    const env = { DATA_DIR: dataDir };
    const shown = await withRuntime(env, async (runtime) => {
      await runtime.services.accounts.create('g1');
      return show(runtime, ['g1']);
    });
    const oldKey = keyOf(join(dataDir, 'master.key'));
    const staged = join(dataDir, 'master.key.next');
    const stagedKey = randomBytes(32);
    writeFileSync(staged, `${stagedKey.toString('base64')}\n`, { mode: 0o600 });
    await withRuntime(
      { ...env, ORCHESTRATOR_MASTER_KEY_PREVIOUS: stagedKey.toString('base64') },
      async (runtime) => {
        const { ctx } = runtime.services;
        const first = (await ctx.store.sealedValues.listSealed(null, 1))[0];
        assert.ok(first);
        const report = await resealUnderMasterKey(
          {
            listSealed: async () => [first],
            replaceSealed: ctx.store.sealedValues.replaceSealed.bind(ctx.store.sealedValues),
          },
          ctx.random,
          { target: stagedKey, others: [oldKey] },
          { maxPasses: 1 },
        );
        assert.equal(report.resealed, 1);
      },
    );

    const refused = await cli(env, 'master-key', 'rotate', '--generate');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--new-key-file .*master\.key\.next/);
    const resumed = json(await cli(env, 'master-key', 'rotate', '--new-key-file', staged, '--json'));
    assert.deepEqual([resumed.alreadyUnderNewKey, resumed.resealed], [1, 2]);
    assert.deepEqual(keyOf(join(dataDir, 'master.key')), stagedKey);
    assert.equal(existsSync(staged), false, 'the staged key was moved into place');
    await withRuntime(env, async (runtime) => assert.deepEqual(await show(runtime, ['g1']), shown));
  });

  test('many nodes with the environment: deploy new + previous, rotate while a node serves, drop previous', async () => {
    const dataDir = dataFolder();
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('base64');
    const before = { DATA_DIR: dataDir, ORCHESTRATOR_MASTER_KEY: oldKey };
    json(await cli(before, 'account', 'create', 'env1', '--json'));
    const shown = await withRuntime(before, (runtime) => show(runtime, ['env1']));

    // Step 1: every node runs with the new key as current and the old one as previous.
    const during = { ...before, ORCHESTRATOR_MASTER_KEY: newKey, ORCHESTRATOR_MASTER_KEY_PREVIOUS: oldKey };
    const server = await startServer(
      loadConfig({
        ...during,
        PORT: String(await freePort()),
        LOG_LEVEL: 'warn',
        ORCHESTRATOR_ADMIN_PASSWORD: ADMIN_PASSWORD,
      }),
    );
    try {
      const node = server.runtime;
      assert.deepEqual(await show(node, ['env1']), shown, 'old values open with the previous key');
      const regenerated = await node.services.apiKeys.regenerate('env1');
      const env1 = { ...(shown.get('env1') as Shown), key: regenerated };
      const cipher = (await node.services.ctx.store.credentials.listApiKeys('env1'))[0]?.keyCipher as string;
      assert.equal(
        sealedKeyId(cipher),
        masterKeyId(Buffer.from(newKey, 'base64')),
        'new values use the current key',
      );

      // Step 2: the command refuses to start another rotation, then finishes this one.
      const other = await cli(during, 'master-key', 'rotate', '--generate');
      assert.equal(other.code, 1);
      assert.match(other.stderr, /ORCHESTRATOR_MASTER_KEY_PREVIOUS is set/);
      const finished = json(await cli(during, 'master-key', 'rotate', '--json'));
      assert.equal(finished.source, 'environment');
      assert.equal(finished.alreadyUnderNewKey, 1);
      assert.equal(finished.resealed, 2, 'the client secret and the signing key');
      assert.match(finished.next, /remove ORCHESTRATOR_MASTER_KEY_PREVIOUS/);
      assert.equal(existsSync(join(dataDir, 'master.key')), false);

      // The node kept working throughout.
      assert.deepEqual((await show(node, ['env1'])).get('env1'), env1);
      const v1 = await fetch(`${server.url}/v1/account/env1/namespace/x/session`, {
        headers: { 'maven-api-key': regenerated },
      });
      assert.equal(v1.status, 200);

      // Step 3: without the previous key, everything still opens and verifies.
      const afterwards = { DATA_DIR: dataDir, ORCHESTRATOR_MASTER_KEY: newKey };
      await withRuntime(afterwards, async (runtime) => {
        const now = await show(runtime, ['env1']);
        assert.deepEqual(now.get('env1'), env1);
        await assertVerifies(runtime, now);
      });
    } finally {
      await server.stop();
    }
  });

  test('environment key with --generate prints the key to set; usage errors', async () => {
    const dataDir = dataFolder();
    const env = { DATA_DIR: dataDir, ORCHESTRATOR_MASTER_KEY: randomBytes(32).toString('base64') };
    json(await cli(env, 'account', 'create', 'gen', '--json'));
    const shown = await withRuntime(env, (runtime) => show(runtime, ['gen']));
    const rotated = json(await cli(env, 'master-key', 'rotate', '--generate', '--json'));
    assert.equal(rotated.source, 'environment');
    assert.equal(typeof rotated.masterKey, 'string');
    assert.equal(rotated.keyId, masterKeyId(Buffer.from(rotated.masterKey, 'base64')));
    assert.match(rotated.next, /Set ORCHESTRATOR_MASTER_KEY on every node/);
    assert.equal(statSync(join(dataDir, 'master.key.next')).mode & 0o777, 0o600);
    await withRuntime({ ...env, ORCHESTRATOR_MASTER_KEY: rotated.masterKey }, async (runtime) =>
      assert.deepEqual(await show(runtime, ['gen']), shown),
    );

    const none = await cli(env, 'master-key', 'rotate');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /needs --new-key-file <path> or --generate/);
    const both = await cli(env, 'master-key', 'rotate', '--generate', '--new-key-file', 'x');
    assert.equal(both.code, 2);
    const bad = await cli({ ...env, ORCHESTRATOR_MASTER_KEY_PREVIOUS: 'c2hvcnQ=' }, 'master-key', 'rotate');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /ORCHESTRATOR_MASTER_KEY_PREVIOUS must be 32 bytes/);
    const fresh = await cli({ DATA_DIR: dataFolder() }, 'master-key', 'rotate', '--generate');
    assert.equal(fresh.code, 1);
    assert.match(fresh.stderr, /no master key to rotate/);
  });
});
