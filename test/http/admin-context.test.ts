import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAccount, createTestApp, signIn, type TestApp } from '../helpers/app.js';

describe('admin context browser API', () => {
  let t: TestApp;
  let session: Awaited<ReturnType<typeof signIn>>;
  let accountId: string;
  const base = () => `/api/admin/accounts/${accountId}/context/namespaces`;

  before(async () => {
    t = await createTestApp({ store: 'sqlite-cached' });
    session = await signIn(t);
    accountId = (await createAccount(t)).accountId;
    const context = t.services.context;
    await context.createNamespace(accountId, 'bot', 3600);
    await context.createNamespace(accountId, 'forever');
    await context.mergeProperties({ accountId, namespace: 'bot' }, { greeting: 'hello' });
    for (const id of ['s1', 's2', 's3']) {
      await context.mergeProperties(
        { accountId, namespace: 'bot', sessionId: id },
        { intent: id, __proto__x: 1 },
      );
    }
    await context.setSessionTtl(accountId, 'bot', 's2', 60);
    await context.mergeProperties({ accountId, namespace: 'bot', sessionId: 's2' }, { more: [1, 2] });
  });
  after(async () => t.close());

  const get = (url: string, headers: Record<string, string> = session.headers) =>
    t.app.inject({ method: 'GET', url, headers });
  const del = (url: string, headers: Record<string, string> = session.headers) =>
    t.app.inject({ method: 'DELETE', url, headers });

  test('needs an operator: 401 without a session', async () => {
    assert.equal((await get(base(), {})).statusCode, 401);
    assert.equal((await del(`${base()}/bot/sessions/s1`, {})).statusCode, 401);
  });

  test('lists namespaces with their TTLs', async () => {
    const response = await get(base());
    assert.equal(response.statusCode, 200);
    const names = response.json() as { name: string; ttlSeconds: number | null }[];
    assert.deepEqual(
      names.map((n) => [n.name, n.ttlSeconds]),
      [
        ['bot', 3600],
        ['forever', null],
      ],
    );
  });

  test('lists sessions a page at a time, with properties, expiry and session TTL', async () => {
    const first = await get(`${base()}/bot/sessions?perPage=2`);
    assert.equal(first.statusCode, 200);
    const page = first.json();
    assert.equal(page.hasMore, true);
    assert.equal(page.sessions.length, 2);
    const all = (await get(`${base()}/bot/sessions?perPage=100`)).json();
    assert.equal(all.hasMore, false);
    const ids = all.sessions.map((s: { sessionId: string }) => s.sessionId);
    assert.deepEqual([...ids].sort(), ['__default__', 's1', 's2', 's3']);
    const s2 = all.sessions.find((s: { sessionId: string }) => s.sessionId === 's2');
    assert.equal(s2.ttlSeconds, 60);
    assert.deepEqual(s2.properties, { intent: 's2', __proto__x: 1, more: [1, 2] });
    assert.equal(Date.parse(s2.expiresAt) - Date.parse(s2.updatedAt), 60_000);
    const second = (await get(`${base()}/bot/sessions?perPage=2&page=1`)).json();
    assert.equal(second.sessions.length, 2);
    assert.equal(second.hasMore, false);
  });

  test('refuses bad paging and reserved or unknown names', async () => {
    assert.equal((await get(`${base()}/bot/sessions?perPage=0`)).statusCode, 400);
    assert.equal((await get(`${base()}/bot/sessions?perPage=101`)).statusCode, 400);
    assert.equal((await get(`${base()}/bot/sessions?page=-1`)).statusCode, 400);
    assert.equal((await get(`${base()}/consumer/sessions`)).statusCode, 400);
    assert.equal((await get('/api/admin/accounts/nosuch/context/namespaces')).statusCode, 404);
  });

  test('deletes a property (audited); a missing one is 404', async () => {
    const url = `${base()}/bot/sessions/s1/properties/intent`;
    assert.equal((await del(url, { cookie: session.cookie })).statusCode, 403, 'no CSRF token');
    assert.equal((await del(url)).statusCode, 204);
    assert.equal((await del(url)).statusCode, 404);
    const left = await t.services.context.getProperties({ accountId, namespace: 'bot', sessionId: 's1' });
    assert.deepEqual(left, { __proto__x: 1 });
    const [event] = await t.ctx.store.audit.listAudit({ accountId, limit: 1 });
    assert.equal(event?.action, 'context.property-deleted');
    assert.deepEqual(event?.detail, { namespace: 'bot', sessionId: 's1', property: 'intent' });
    assert.equal(event?.actor, 'admin');
  });

  test('deletes a session with its TTL (audited); a missing one is 404', async () => {
    const url = `${base()}/bot/sessions/s2`;
    assert.equal((await del(url, { cookie: session.cookie })).statusCode, 403, 'no CSRF token');
    assert.equal((await del(url)).statusCode, 204);
    assert.equal((await del(url)).statusCode, 404);
    const ttls = await t.services.context.listSessionTtls(accountId, 'bot');
    assert.deepEqual(ttls, []);
    const [event] = await t.ctx.store.audit.listAudit({ accountId, limit: 1 });
    assert.equal(event?.action, 'context.session-deleted');
    assert.deepEqual(event?.detail, { namespace: 'bot', sessionId: 's2' });
  });

  test("another account's data is not reachable through this account's path", async () => {
    const other = (await createAccount(t)).accountId;
    await t.services.context.mergeProperties(
      { accountId: other, namespace: 'bot', sessionId: 'x' },
      { secret: 1 },
    );
    const mine = (await get(`${base()}/bot/sessions?perPage=100`)).json();
    assert.ok(!mine.sessions.some((s: { sessionId: string }) => s.sessionId === 'x'));
    assert.equal((await del(`${base()}/bot/sessions/x`)).statusCode, 404);
  });
});
