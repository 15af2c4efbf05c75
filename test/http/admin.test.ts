import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, basic, createTestApp, signIn, type TestApp } from '../helpers/app.js';
import { probeRoutes } from '../helpers/probes.js';

describe('admin API', () => {
  let t: TestApp;
  let session: Awaited<ReturnType<typeof signIn>>;
  before(async () => {
    t = await createTestApp({ extraRoutes: [probeRoutes] });
    session = await signIn(t);
  });
  after(async () => t.close());

  const admin = (method: 'GET' | 'POST', url: string, payload?: unknown, headers = session.headers) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

  test('sign-in: wrong password 401, right password sets an HttpOnly SameSite=Strict cookie', async () => {
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/admin/login',
      payload: { username: 'admin', password: 'nope' },
    });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.headers['content-type'], 'application/problem+json; charset=utf-8');
    const right = await t.app.inject({
      method: 'POST',
      url: '/api/admin/login',
      payload: { username: 'admin', password: ADMIN_PASSWORD },
    });
    assert.equal(right.statusCode, 200);
    const cookie = right.cookies[0];
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, 'Strict');
    assert.equal(typeof right.json().csrfToken, 'string');
  });

  test('sign-in is rate-limited per username', async () => {
    for (let i = 0; i < 5; i++) {
      await t.app.inject({
        method: 'POST',
        url: '/api/admin/login',
        payload: { username: 'victim', password: 'x' },
        remoteAddress: `10.9.0.${i}`,
      });
    }
    const limited = await t.app.inject({
      method: 'POST',
      url: '/api/admin/login',
      payload: { username: 'victim', password: 'x' },
    });
    assert.equal(limited.statusCode, 429);
    assert.ok(Number(limited.headers['retry-after']) >= 1);
  });

  test('changes need the CSRF token; reads and operator API tokens do not', async () => {
    const noCsrf = await admin(
      'POST',
      '/api/admin/accounts',
      { accountId: 'csrf1' },
      { cookie: session.cookie },
    );
    assert.equal(noCsrf.statusCode, 403);
    const badCsrf = await admin(
      'POST',
      '/api/admin/accounts',
      { accountId: 'csrf1' },
      { cookie: session.cookie, 'x-csrf-token': 'x' },
    );
    assert.equal(badCsrf.statusCode, 403);
    assert.equal(
      (await admin('GET', '/api/admin/accounts', undefined, { cookie: session.cookie })).statusCode,
      200,
    );
    const created = await admin('POST', '/api/admin/operator-tokens', { name: 'ci' });
    assert.equal(created.statusCode, 201);
    const token = created.json().token as string;
    assert.match(token, /^orch_admin_/);
    const viaToken = await admin(
      'POST',
      '/api/admin/accounts',
      { accountId: 'viatoken' },
      { authorization: `Bearer ${token}` },
    );
    assert.equal(viaToken.statusCode, 201);
    assert.equal((await admin('GET', '/api/admin/accounts', undefined, {})).statusCode, 401);
  });

  test('accounts: create (201), duplicate (409), invalid id (400), list', async () => {
    assert.equal((await admin('POST', '/api/admin/accounts', { accountId: 'le12345678' })).statusCode, 201);
    assert.equal((await admin('POST', '/api/admin/accounts', { accountId: 'le12345678' })).statusCode, 409);
    const bad = await admin('POST', '/api/admin/accounts', { accountId: 'has space' });
    assert.equal(bad.statusCode, 400);
    assert.ok(bad.json().detail.includes('accountId'));
    const list = (await admin('GET', '/api/admin/accounts')).json() as { accountId: string }[];
    assert.ok(list.some((a) => a.accountId === 'le12345678'));
  });

  test('API Authorization shows the three secrets; regenerating the key kills the old one at once', async () => {
    await admin('POST', '/api/admin/accounts', { accountId: 'page1' });
    const view = (await admin('GET', '/api/admin/accounts/page1/api-authorization')).json();
    assert.equal(view.testToken, null);
    assert.match(view.credentials.userId, /^orch_client_/);
    assert.match(view.credentials.password, /^orch_secret_/);
    assert.match(view.apiKey.key, /^orch_key_[A-Za-z0-9_-]{43}$/);
    assert.equal(view.loginUrl, 'http://orchestrator.test/v2/authenticate/login');
    const probe = (key: string) =>
      t.app.inject({ method: 'GET', url: '/probe/v1/account/page1', headers: { 'maven-api-key': key } });
    assert.equal((await probe(view.apiKey.key)).statusCode, 200);
    const regenerated = await admin('POST', '/api/admin/accounts/page1/api-key/regenerate', {});
    assert.equal(regenerated.statusCode, 200);
    assert.equal((await probe(view.apiKey.key)).statusCode, 401);
    assert.equal((await probe(regenerated.json().key)).statusCode, 200);
    const grace = await admin('POST', '/api/admin/accounts/page1/api-key/regenerate', {
      graceSeconds: 86_401,
    });
    assert.equal(grace.statusCode, 400);
  });

  test('test token: issued for 24 h, shown on the page, works on v2; credentials regeneration', async () => {
    await admin('POST', '/api/admin/accounts', { accountId: 'page2' });
    const issued = await admin('POST', '/api/admin/accounts/page2/test-token', {});
    assert.equal(issued.statusCode, 200);
    assert.equal(Date.parse(issued.json().expiresAt) - t.clock.now(), 86_400_000);
    const view = (await admin('GET', '/api/admin/accounts/page2/api-authorization')).json();
    assert.equal(view.testToken.token, issued.json().token);
    const v2 = await t.app.inject({
      method: 'GET',
      url: '/probe/v2/account/page2',
      headers: { authorization: `Bearer ${issued.json().token}` },
    });
    assert.equal(v2.statusCode, 200);
    const old = view.credentials;
    const login = await t.app.inject({
      method: 'GET',
      url: '/v2/authenticate/login',
      headers: { authorization: basic(old.userId, old.password) },
    });
    const oldToken = login.json().token;
    const renewed = await admin('POST', '/api/admin/accounts/page2/credentials/regenerate', {});
    assert.equal(renewed.statusCode, 200);
    assert.notEqual(renewed.json().password, old.password);
    const again = await t.app.inject({
      method: 'GET',
      url: '/v2/authenticate/login',
      headers: { authorization: basic(old.userId, old.password) },
    });
    assert.equal(again.statusCode, 401);
    const withOld = await t.app.inject({
      method: 'GET',
      url: '/probe/v2/account/page2',
      headers: { authorization: `Bearer ${oldToken}` },
    });
    assert.equal(withOld.statusCode, 401);
  });

  test('unknown account → 404; audit log records who viewed and regenerated what, from where', async () => {
    assert.equal((await admin('GET', '/api/admin/accounts/nobody/api-authorization')).statusCode, 404);
    assert.equal(
      (await admin('POST', '/api/admin/accounts/page1/audit-events', { action: 'api-key.copied' }))
        .statusCode,
      204,
    );
    assert.equal(
      (await admin('POST', '/api/admin/accounts/page1/audit-events', { action: 'anything' })).statusCode,
      400,
    );
    const events = (await admin('GET', '/api/admin/audit?accountId=page1')).json() as {
      action: string;
      actor: string;
      address: string;
      at: string;
    }[];
    const actions = events.map((e) => e.action);
    for (const action of [
      'account.created',
      'api-authorization.viewed',
      'api-key.regenerated',
      'api-key.copied',
    ]) {
      assert.ok(actions.includes(action), `${action} in ${actions.join(',')}`);
    }
    assert.ok(events.every((e) => e.actor === 'admin' && e.address === '127.0.0.1'));

    // Paged two at a time: every event once, though they share one millisecond (this test's clock stands still).
    const seen: string[] = [];
    let last: { id: string; at: string } | undefined;
    for (let page = 0; page < 20; page++) {
      const query = last ? `&before=${encodeURIComponent(last.at)}&beforeId=${last.id}` : '';
      const got = (await admin('GET', `/api/admin/audit?accountId=page1&limit=2${query}`)).json() as {
        id: string;
        at: string;
      }[];
      seen.push(...got.map((e) => e.id));
      last = got.at(-1);
      if (got.length < 2) break;
    }
    assert.deepEqual(
      seen,
      (events as unknown as { id: string }[]).map((e) => e.id),
      'the same events in the same order as one page',
    );
    assert.equal(new Set(events.map((e) => e.at)).size, 1, 'all of one millisecond');
    const bad = await admin('GET', '/api/admin/audit?accountId=page1&beforeId=not-an-id');
    assert.equal(bad.statusCode, 400);
  });

  test('sign-out ends the session on the server', async () => {
    const own = await signIn(t);
    assert.equal((await admin('POST', '/api/admin/logout', undefined, own.headers)).statusCode, 204);
    assert.equal((await admin('GET', '/api/admin/session', undefined, own.headers)).statusCode, 401);
  });

  test('sessions expire', async () => {
    const own = await signIn(t);
    t.clock.advance(8 * 3_600_000 + 1);
    assert.equal((await admin('GET', '/api/admin/session', undefined, own.headers)).statusCode, 401);
    session = await signIn(t);
  });
});
