import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type AccountCredentials,
  createAccount,
  createTestApp,
  getToken,
  type TestApp,
} from '../helpers/app.js';
import { probeRoutes } from '../helpers/probes.js';
import { describeSecurity } from '../helpers/security.js';

describeSecurity(
  'v1 hook',
  { method: 'GET', url: (a) => `/probe/v1/account/${a}`, auth: { v1: true } },
  { extraRoutes: [probeRoutes] },
);
describeSecurity(
  'v2 hook (path account)',
  { method: 'GET', url: (a) => `/probe/v2/account/${a}`, auth: { v2: 'context:read' } },
  { extraRoutes: [probeRoutes] },
);
describeSecurity(
  'v2 hook (body account)',
  {
    method: 'POST',
    url: () => '/probe/v2/body',
    body: (a) => ({ accountId: a }),
    auth: { v2: 'context:write' },
  },
  { extraRoutes: [probeRoutes] },
);

describe('v1 API key hook', () => {
  let t: TestApp;
  let acct: AccountCredentials;
  before(async () => {
    t = await createTestApp({ extraRoutes: [probeRoutes] });
    acct = await createAccount(t);
  });
  after(async () => t.close());

  const call = (key: string, accountId = acct.accountId) =>
    t.app.inject({ method: 'GET', url: `/probe/v1/account/${accountId}`, headers: { 'maven-api-key': key } });

  test('accepts the current key and records its last use to the minute', async () => {
    const response = await call(acct.apiKey);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { accountId: acct.accountId });
    await new Promise((resolve) => setImmediate(resolve));
    const view = await t.services.apiKeys.reveal(acct.accountId);
    assert.equal(view?.lastUsedAt, t.clock.now() - (t.clock.now() % 60_000));
  });

  test('a regenerated key refuses the old one at once, the new one works at once', async () => {
    assert.equal((await call(acct.apiKey)).statusCode, 200, 'cached as valid');
    const fresh = await t.services.apiKeys.regenerate(acct.accountId);
    assert.equal((await call(acct.apiKey)).statusCode, 401);
    assert.equal((await call(fresh)).statusCode, 200);
    acct = { ...acct, apiKey: fresh };
  });

  test('with a grace period the old key works until it ends', async () => {
    const fresh = await t.services.apiKeys.regenerate(acct.accountId, 120);
    assert.equal((await call(acct.apiKey)).statusCode, 200);
    assert.equal((await call(fresh)).statusCode, 200);
    const view = await t.services.apiKeys.reveal(acct.accountId);
    assert.equal(view?.previous.length, 1);
    t.clock.advance(120_000);
    assert.equal((await call(acct.apiKey)).statusCode, 401);
    assert.equal((await call(fresh)).statusCode, 200);
    acct = { ...acct, apiKey: fresh };
  });

  test('refuses grace periods out of range', async () => {
    await assert.rejects(t.services.apiKeys.regenerate(acct.accountId, 86_401), /graceSeconds/);
    await assert.rejects(t.services.apiKeys.regenerate(acct.accountId, -1), /graceSeconds/);
  });

  test('a lost bus connection drops the caches: a key removed behind the node’s back is refused', async () => {
    assert.equal((await call(acct.apiKey)).statusCode, 200);
    // Simulate a regeneration on another node whose message was missed: change the store directly.
    await t.ctx.store.credentials.replaceApiKey(
      { accountId: acct.accountId, keyHash: 'f'.repeat(64), keyCipher: 'x', createdAt: t.clock.now() },
      null,
    );
    assert.equal((await call(acct.apiKey)).statusCode, 200, 'still cached: no message came');
    t.bus.emit({ type: 'reset' });
    assert.equal((await call(acct.apiKey)).statusCode, 401);
  });

  test('fails closed when the store fails: 503, never a pass', async () => {
    const other = await createAccount(t);
    const original = t.ctx.store.credentials.findApiKeyByHash;
    t.ctx.store.credentials.findApiKeyByHash = async () => {
      throw new Error('database is down');
    };
    try {
      const response = await call(other.apiKey, other.accountId);
      assert.equal(response.statusCode, 503);
      assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.doesNotMatch(response.body, /database is down/);
    } finally {
      t.ctx.store.credentials.findApiKeyByHash = original;
    }
  });
});

describe('v2 bearer hook', () => {
  let t: TestApp;
  let acct: AccountCredentials;
  before(async () => {
    t = await createTestApp({ extraRoutes: [probeRoutes] });
    acct = await createAccount(t);
  });
  after(async () => t.close());

  test('takes the token from the header or the access_token query parameter, not both', async () => {
    const token = await getToken(t, acct);
    const url = `/probe/v2/account/${acct.accountId}`;
    assert.equal(
      (await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })).statusCode,
      200,
    );
    assert.equal(
      (await t.app.inject({ method: 'GET', url: `${url}?access_token=${token}` })).statusCode,
      200,
    );
    const both = await t.app.inject({
      method: 'GET',
      url: `${url}?access_token=${token}`,
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(both.statusCode, 401);
    assert.match(String(both.headers['www-authenticate']), /invalid_request/);
    const twice = await t.app.inject({
      method: 'GET',
      url: `${url}?access_token=${token}&access_token=${token}`,
    });
    assert.equal(twice.statusCode, 401);
  });

  test('a known token is accepted in every header form the syntax allows, and only in those', async () => {
    const token = await getToken(t, acct);
    const url = `/probe/v2/account/${acct.accountId}`;
    const status = async (authorization: string) =>
      (await t.app.inject({ method: 'GET', url, headers: { authorization } })).statusCode;
    // Verified and remembered first: the forms below must not depend on how the node found it.
    assert.equal(await status(`Bearer ${token}`), 200);
    for (const form of [`bearer ${token}`, `BEARER ${token}`, `Bearer   ${token}`, `Bearer ${token}  `])
      assert.equal(await status(form), 200, form);
    for (const form of [`Bearer ${token}!`, `Bearer ${token} x`, `Bearer${token}`, `Basic ${token}`, token])
      assert.equal(await status(form), 401, form);
  });

  test('the test token works for 24 hours and a new one revokes it', async () => {
    const first = await t.services.tokens.issueTestToken(acct.accountId, acct.userId);
    assert.equal(first.expiresAt - t.clock.now(), 86_400_000);
    const url = `/probe/v2/account/${acct.accountId}`;
    const use = (token: string) =>
      t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    assert.equal((await use(first.token)).statusCode, 200);
    const second = await t.services.tokens.issueTestToken(acct.accountId, acct.userId);
    assert.equal((await use(first.token)).statusCode, 401);
    assert.equal((await use(second.token)).statusCode, 200);
    t.clock.advance(86_400_000);
    assert.equal((await use(second.token)).statusCode, 401);
    t.clock.advance(-86_400_000);
  });

  test('a token signed by an unknown key, or tampered with, is refused, also once the genuine one is known', async () => {
    const token = await getToken(t, acct);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url');
    const longer = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86_400 })).toString('base64url');
    const url = `/probe/v2/account/${acct.accountId}`;
    // The genuine token is verified and remembered first: a forgery with its signature must not ride on that.
    const genuine = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    assert.equal(genuine.statusCode, 200);
    for (const bad of [
      `${header}.${forged}.${signature}`,
      `${header}.${longer}.${signature}`,
      `${header}.${payload}.${signature.slice(0, -4)}AAAA`,
      `${header}.${payload}.`,
    ]) {
      const response = await t.app.inject({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${bad}` },
      });
      assert.equal(response.statusCode, 401);
    }
  });
});
