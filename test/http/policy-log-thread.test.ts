import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { tempFolders } from '../helpers/folders.js';
import { freePort } from '../helpers/net.js';

const dataDir = tempFolders('log-thread')();
const masterKey = randomBytes(32).toString('base64');
const password = 'log-thread-admin-password';

/** A node on `dataDir` with the policy log on its own thread whatever the machine's cores. */
async function start(): Promise<RunningServer> {
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  const config = loadConfig({
    PORT: String(await freePort()),
    DATA_DIR: dataDir,
    ORCHESTRATOR_MASTER_KEY: masterKey,
    ORCHESTRATOR_ADMIN_PASSWORD: password,
    POLICY_LOG_THREAD: 'true',
    LOG_LEVEL: 'warn',
  });
  return startServer(config, quiet);
}

test('with the policy log on its thread, every next action is logged, and a stop writes what waited', async () => {
  const accountId = 'logthread1';
  const calls = 40;
  let node = await start();
  try {
    const { services } = node.runtime;
    await services.accounts.create(accountId);
    const client = await services.clients.reveal(accountId);
    assert.ok(client);
    const current = await services.policies.list(accountId);
    await services.policies.replaceAll(
      accountId,
      [
        {
          name: 'everyone',
          enabled: true,
          conditions: [{ attribute: 'conversation.conversationId', operator: 'CONTAINS', value: 'c-' }],
          actions: [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: '7' } }],
        },
      ],
      current.etag,
    );
    const basic = Buffer.from(`${client.userId}:${client.password}`).toString('base64');
    const issued = await fetch(`${node.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=next-actions',
    });
    const { access_token: token } = (await issued.json()) as { access_token: string };
    for (let i = 0; i < calls; i++) {
      const answer = await fetch(`${node.url}/v2/policy/nextaction`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ accountId, conversationId: `c-${i}` }),
      });
      assert.equal(answer.status, 200);
      assert.deepEqual(await answer.json(), [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: '7' } }]);
    }
  } finally {
    // Right after the calls: their entries still wait for their batch, and the stop must write them.
    await node.stop();
  }
  assert.ok(existsSync(join(dataDir, 'policy-logs.db')));

  node = await start();
  try {
    const login = await fetch(`${node.url}/api/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    assert.equal(login.status, 200);
    const cookie = String(login.headers.get('set-cookie')).split(';')[0] ?? '';
    const search = async (query: string) => {
      const response = await fetch(`${node.url}/api/admin/accounts/${accountId}/policy-logs?${query}`, {
        headers: { cookie },
      });
      assert.equal(response.status, 200);
      return (await response.json()) as { conversationId: string; results: { result: string }[] }[];
    };
    const all = await search('limit=500');
    assert.equal(all.length, calls);
    assert.deepEqual(
      new Set(all.map((entry) => entry.conversationId)),
      new Set(Array.from({ length: calls }, (_, i) => `c-${i}`)),
    );
    const one = await search('conversationId=c-7');
    assert.equal(one.length, 1);
    assert.deepEqual(
      one[0]?.results.map((r) => r.result),
      ['TRUE'],
    );
  } finally {
    await node.stop();
  }
});
