import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createAccount,
  createTestApp,
  maintainOnce,
  maintenanceOf,
  signIn,
  type TestApp,
} from '../helpers/app.js';

describe('operations endpoints', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  test('healthz and readyz', async () => {
    assert.deepEqual((await t.app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().store, true);
  });

  test('readyz answers 503 when the store does not', async () => {
    const original = t.ctx.store.ping;
    t.ctx.store.ping = async () => {
      throw new Error('down');
    };
    try {
      assert.equal((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503);
    } finally {
      t.ctx.store.ping = original;
    }
  });

  test('metrics in the Prometheus text format, by route template, never with an account id', async () => {
    await t.app.inject({ method: 'GET', url: '/v1/account/secretacct/namespace/x/session' });
    const response = await t.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /text\/plain/);
    assert.match(response.body, /orchestrator_http_request_duration_seconds_bucket/);
    assert.match(response.body, /orchestrator_credentials_refused_total\{status="401"\}/);
    assert.doesNotMatch(response.body, /secretacct/);
  });

  test('metrics count every answer once, by route template, method and status; unknown paths as unmatched', async () => {
    const count = async (labels: string) => {
      const body = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      const line = body
        .split('\n')
        .find((l) => l.startsWith(`orchestrator_http_request_duration_seconds_count{${labels}}`));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    };
    const healthz = 'method="GET",route="/healthz",status="200"';
    const unmatched = 'method="DELETE",route="unmatched",status="404"';
    const [h0, u0] = [await count(healthz), await count(unmatched)];
    for (let i = 0; i < 3; i++) await t.app.inject({ method: 'GET', url: '/healthz' });
    await t.app.inject({ method: 'DELETE', url: '/no/such/path' });
    assert.equal(await count(healthz), h0 + 3);
    assert.equal(await count(unmatched), u0 + 1);
  });

  test('every answer carries its request id and nosniff: success, refusal and unknown path alike', async () => {
    for (const [url, status] of [
      ['/healthz', 200],
      ['/v1/account/acct1/ns/s1/properties', 401],
      ['/nowhere', 404],
    ] as const) {
      const response = await t.app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, status, url);
      assert.equal(response.headers['x-content-type-options'], 'nosniff', url);
      assert.match(String(response.headers['x-request-id']), /^[A-Za-z0-9._-]{8,64}$/, url);
    }
  });

  test('OpenAPI 3.1 document generated from the route schemas, and human docs', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    assert.equal(spec.openapi, '3.1.0');
    for (const path of ['/oauth/token', '/v2/authenticate/login', '/api/admin/accounts'])
      assert.ok(spec.paths[path], path);
    const docs = await t.app.inject({ method: 'GET', url: '/docs' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.body, /\/oauth\/token/);
    assert.match(String(docs.headers['content-security-policy']), /default-src 'none'/);
  });

  test('unknown routes answer problem+json 404 with the request id', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/nope',
      headers: { 'x-request-id': 'req-12345678' },
    });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().requestId, 'req-12345678');
    assert.equal(response.headers['x-request-id'], 'req-12345678');
  });

  test('a request without a usable id gets one of its own, different for every request', async () => {
    const ids = new Set<string>();
    for (const given of [undefined, 'short', 'has space in it', 'x'.repeat(65)]) {
      const response = await t.app.inject({
        method: 'GET',
        url: '/healthz',
        ...(given === undefined ? {} : { headers: { 'x-request-id': given } }),
      });
      const id = String(response.headers['x-request-id']);
      assert.match(id, /^[A-Za-z0-9._-]{8,64}$/);
      assert.notEqual(id, given);
      ids.add(id);
    }
    assert.equal(ids.size, 4);
  });
});

/** The value of one series (a metric name, with its labels if any) in GET /metrics; undefined when absent. */
async function metricValue(t: TestApp, series: string): Promise<number | undefined> {
  const body = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics of the context read cache', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ store: 'sqlite-cached' });
  });
  after(async () => t.close());

  const metric = (series: string) => metricValue(t, series);

  test('documents, hits and misses are counted as reads go through the cache', async () => {
    const account = await createAccount(t, 'cachemetrics');
    const headers = { 'maven-api-key': account.apiKey, 'content-type': 'application/json' };
    const url = '/v1/account/cachemetrics/ns/conv-1/properties';
    assert.equal((await t.app.inject({ method: 'PATCH', url, headers, payload: { a: 1 } })).statusCode, 204);
    const [hits0, misses0] = [
      await metric('orchestrator_context_cache_hits_total'),
      await metric('orchestrator_context_cache_misses_total'),
    ];
    for (let i = 0; i < 3; i++) {
      const read = await t.app.inject({ method: 'GET', url, headers });
      assert.deepEqual(read.json(), { a: 1 });
    }
    assert.equal(await metric('orchestrator_context_cache_misses_total'), (misses0 ?? 0) + 1);
    assert.equal(await metric('orchestrator_context_cache_hits_total'), (hits0 ?? 0) + 2);
    assert.ok(((await metric('orchestrator_context_cache_documents')) ?? 0) >= 1);
    assert.equal(await metric('orchestrator_context_cache_budget_chars'), 1_000_000);
  });

  test('a node without the cache reports none of it', async () => {
    const plain = await createTestApp();
    try {
      const body = (await plain.app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.doesNotMatch(body, /orchestrator_context_cache_/);
    } finally {
      await plain.close();
    }
  });
});

describe('metrics of the policy log and the background purges', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ store: 'sqlite' });
  });
  after(async () => t.close());

  const metric = (series: string) => metricValue(t, series);
  const WRITTEN = 'orchestrator_policy_log_entries_total{outcome="written"}';
  const PURGED = 'orchestrator_purged_total{what="policy_log_entries"}';

  test('entries written are counted; a week later the purge deletes them and says how many', async () => {
    const account = await createAccount(t, 'logmetrics');
    assert.equal(await metric(WRITTEN), 0);
    assert.equal(await metric('orchestrator_policy_log_entries_total{outcome="dropped"}'), 0);
    assert.equal(await metric(PURGED), 0);
    for (let i = 0; i < 3; i++)
      await t.services.policies.nextAction(account.accountId, { conversationId: `conv-${i}` });
    assert.equal(await metric('orchestrator_policy_log_queued'), 3, 'waiting for their batch');
    await t.services.policies.flushLogs();
    assert.equal(await metric(WRITTEN), 3);
    assert.equal(await metric('orchestrator_policy_log_queued'), 0);

    const maintenance = maintenanceOf(t);
    try {
      await maintenance.purgeNow();
      assert.equal(await metric(PURGED), 0, 'nothing is a week old yet');
      // The log is dropped an hour (SQLite) or a day (PostgreSQL) at a time, once it is a week old.
      t.clock.advance(8 * 86_400_000);
      await maintenance.purgeNow();
      assert.equal(await metric(PURGED), 3);
      assert.equal(await metric('orchestrator_purged_total{what="context_documents"}'), 0);
      assert.deepEqual(await t.services.policies.searchLogs(account.accountId, { limit: 10 }), []);
    } finally {
      await maintenance.stop();
      t.clock.advance(-8 * 86_400_000);
    }
  });
  test('a steady stream of calls never holds the writer back: nothing dropped, the queue stays near one batch', async () => {
    // Turns of 20 calls, far less than a millisecond apart: a flush timer set again by every call would
    // never fire, and the queue would fill up (20,000) and drop entries.
    const account = await createAccount(t, 'logstream');
    const written = (await metric(WRITTEN)) ?? 0;
    let mostQueued = 0;
    for (let turn = 0; turn < 1_250; turn++) {
      for (let i = 0; i < 20; i++)
        await t.services.policies.nextAction(account.accountId, { conversationId: `conv-${i}` });
      mostQueued = Math.max(mostQueued, t.services.policies.logStats().queued);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await t.services.policies.flushLogs();
    assert.equal(await metric('orchestrator_policy_log_entries_total{outcome="dropped"}'), 0);
    assert.equal(await metric(WRITTEN), written + 25_000);
    assert.ok(mostQueued <= 1_000, `at most two batches wait (${mostQueued} did)`);
  });
});

describe('audit retention (AUDIT_RETENTION_DAYS)', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ store: 'sqlite' });
  });
  after(async () => t.close());

  const events = async (headers: Record<string, string>) =>
    (
      (await t.app.inject({ method: 'GET', url: '/api/admin/audit?limit=100', headers })).json() as {
        action: string;
        at: string;
      }[]
    ).map((e) => e.action);

  test('events older than the retention are deleted in the background, counted; without it, none', async () => {
    const session = await signIn(t); // records operator.signed-in
    await createAccount(t, 'audited');
    const before = await events(session.headers);
    assert.ok(before.includes('operator.signed-in'));
    const PURGED = 'orchestrator_purged_total{what="audit_events"}';

    // The default keeps everything, however old.
    t.clock.advance(40 * 86_400_000);
    await maintainOnce(t);
    assert.equal(await metricValue(t, PURGED), 0);

    // With 30 days: what is 40 days old goes, what was just recorded stays.
    const fresh = await signIn(t);
    await maintainOnce(t, { auditRetentionMs: 30 * 86_400_000 });
    assert.equal(await metricValue(t, PURGED), before.length);
    assert.deepEqual(await events(fresh.headers), ['operator.signed-in']);
    t.clock.advance(-40 * 86_400_000);
  });
});
