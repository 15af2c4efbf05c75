import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { postgresUnavailable } from '../contract/servers.js';
import { type Cluster, Operator, type ServerNode, startCluster } from './cluster.js';

const reason = await postgresUnavailable();

describe('a PostgreSQL node whose database does not answer in time', () => {
  let cluster: Cluster;
  let node: ServerNode;
  let apiKey: string;
  before(async () => {
    if (reason) return;
    // Statements are cancelled after 300 ms: a table held by another session stands in for a stuck database.
    cluster = await startCluster({
      redis: false,
      count: 1,
      env: { DATABASE_STATEMENT_TIMEOUT_MS: '300' },
    });
    node = cluster.nodes[0] as ServerNode;
    const operator = await Operator.signIn(node);
    ({ apiKey } = await operator.createAccount(node, 'stuck'));
  });
  after(async () => {
    if (!reason) await cluster.close();
  });
  const it = (name: string, fn: () => Promise<void>) =>
    reason ? test(name, { skip: reason }, () => {}) : test(name, { timeout: 60_000 }, fn);

  /** Another session holding `table` exclusively until released. */
  async function holdTable(table: string): Promise<() => Promise<void>> {
    const client = new pg.Client({ connectionString: cluster.databaseUrl });
    await client.connect();
    await client.query('BEGIN');
    await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    return async () => {
      await client.query('COMMIT');
      await client.end();
    };
  }

  const expectUnavailable = (answer: { status: number; body: unknown; headers: Headers }) => {
    assert.equal(answer.status, 503, JSON.stringify(answer.body));
    assert.equal(answer.headers.get('retry-after'), '1');
    assert.match(String(answer.headers.get('content-type')), /application\/problem\+json/);
    const body = answer.body as { type: string; status: number; detail: string };
    assert.match(body.type, /unavailable$/);
    assert.equal(body.status, 503);
    assert.match(body.detail, /retry shortly/);
  };

  it('answers 503 with Retry-After while checking a key, then serves once the database answers', async () => {
    const headers = { 'maven-api-key': apiKey };
    const release = await holdTable('api_keys');
    try {
      expectUnavailable(await node.request('GET', '/v1/account/stuck', { headers }));
    } finally {
      await release();
    }
    assert.equal((await node.request('GET', '/v1/account/stuck', { headers })).status, 200);
    assert.match(node.output, /the store could not answer; answered 503/);
    assert.match(node.output, /statement timeout/);
  });

  it('answers 503 with Retry-After on a context read, and loses no write', async () => {
    const headers = { 'maven-api-key': apiKey };
    assert.equal(
      (await node.request('POST', '/v1/account/stuck', { headers, json: { name: 'ns' } })).status,
      204,
    );
    const path = '/v1/account/stuck/ns/s1/properties';
    const release = await holdTable('context_documents');
    try {
      expectUnavailable(await node.request('GET', path, { headers }));
      expectUnavailable(await node.request('PATCH', path, { headers, json: { a: 1 } }));
    } finally {
      await release();
    }
    assert.equal((await node.request('PATCH', path, { headers, json: { b: 2 } })).status, 204);
    assert.deepEqual((await node.request('GET', path, { headers })).body, { b: 2 });
  });
});
