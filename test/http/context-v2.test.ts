import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type AccountCredentials,
  createAccount,
  createTestApp,
  getToken,
  type TestApp,
} from '../helpers/app.js';
import { describeSecurity, type ProtectedRoute } from '../helpers/security.js';

const target = (accountId: string) => ({ accountId, nameSpace: 'ns', sessionId: 's' });
const V2_ROUTES: [string, ProtectedRoute][] = [
  [
    'create',
    {
      method: 'POST',
      url: () => '/v2/context/document/create',
      body: (a) => ({ ...target(a), ttlSeconds: 60, payload: { p: 1 } }),
      auth: { v2: 'context:write' },
    },
  ],
  [
    'read namespace',
    { method: 'GET', url: (a) => `/v2/context/document/${a}/ns`, auth: { v2: 'context:read' } },
  ],
  [
    'read session',
    { method: 'GET', url: (a) => `/v2/context/document/${a}/ns/s`, auth: { v2: 'context:read' } },
  ],
  [
    'filter read',
    {
      method: 'POST',
      url: () => '/v2/context/document/properties',
      body: (a) => ({ ...target(a), filter: ['ns.p'] }),
      auth: { v2: 'context:read' },
    },
  ],
  [
    'delete properties',
    {
      method: 'DELETE',
      url: () => '/v2/context/document/property/delete',
      body: (a) => ({ ...target(a), propertyToDelete: ['p'] }),
      auth: { v2: 'context:write' },
    },
  ],
  [
    'delete document',
    {
      method: 'DELETE',
      url: () => '/v2/context/document/delete',
      body: target,
      auth: { v2: 'context:write' },
    },
  ],
];

for (const [name, route] of V2_ROUTES) describeSecurity(`v2 ${name}`, route);

const MAX_RETENTION_MS = 13 * 31 * 86_400 * 1000;

for (const storeKind of ['memory', 'sqlite', 'sqlite-cached'] as const) {
  describe(`context v2 (${storeKind})`, () => {
    let t: TestApp;
    let acct: AccountCredentials;
    let token: string;
    before(async () => {
      t = await createTestApp({ store: storeKind });
      acct = await createAccount(t);
      token = await getToken(t, acct);
    });
    after(async () => t.close());

    type Method = 'GET' | 'POST' | 'DELETE' | 'PATCH';
    /** A v2 call; `payload` given as text is sent as it is (to send malformed JSON), anything else as JSON. */
    const call = (method: Method, url: string, payload?: unknown) =>
      t.app.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined
          ? {}
          : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
      });
    const ok = async (status: number, method: Method, url: string, payload?: unknown) => {
      const response = await call(method, url, payload);
      assert.equal(response.statusCode, status, `${method} ${url}: ${response.body}`);
      assert.match(String(response.headers['content-type']), /^application\/json/);
      return response.json() as Record<string, unknown>;
    };
    const problem = async (status: number, method: Method, url: string, payload?: unknown) => {
      const response = await call(method, url, payload);
      assert.equal(response.statusCode, status, `${method} ${url}: ${response.body}`);
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      return response.json() as { code: string; detail: string };
    };
    const create = (body: Record<string, unknown>) =>
      ok(201, 'POST', '/v2/context/document/create', { accountId: acct.accountId, ...body });
    const doc = (path: string) => `/v2/context/document/${acct.accountId}/${path}`;

    test('create answers 201 with the document key; reads return the documented document shape', async () => {
      assert.deepEqual(
        await create({ nameSpace: 'shop', sessionId: 'conv1', ttlSeconds: 3600, payload: { a: 1, b: 'x' } }),
        {
          documentKey: `${acct.accountId}:shop:conv1`,
          tenantId: acct.accountId,
          success: true,
        },
      );
      assert.deepEqual(await create({ nameSpace: 'shop', ttlSeconds: 60, payload: { g: true } }), {
        documentKey: `${acct.accountId}:shop:`,
        tenantId: acct.accountId,
        success: true,
      });
      await create({ nameSpace: 'shop', sessionId: 'conv1', ttlSeconds: 7200, payload: { b: 'y', c: [1] } });
      assert.deepEqual(await ok(200, 'GET', doc('shop/conv1')), {
        accountId: acct.accountId,
        tenantId: acct.accountId,
        documentKey: `${acct.accountId}:shop:conv1`,
        documentType: 'CONTEXT',
        nameSpace: 'shop',
        sessionId: 'conv1',
        payload: { a: 1, b: 'y', c: [1] },
        ttl: new Date(t.clock.now() + 7_200_000).toISOString(),
      });
      const namespaceLevel = await ok(200, 'GET', doc('shop'));
      assert.equal(namespaceLevel.documentKey, `${acct.accountId}:shop:`);
      assert.ok(!('sessionId' in namespaceLevel));
      assert.deepEqual(namespaceLevel.payload, { g: true });
      assert.equal(namespaceLevel.ttl, new Date(t.clock.now() + 60_000).toISOString());
      assert.deepEqual((await ok(200, 'GET', doc('shop/__default__'))).payload, { g: true });
    });

    test('404 for a missing or expired document', async () => {
      assert.equal((await problem(404, 'GET', doc('nothing'))).code, 'not_found');
      await problem(404, 'GET', doc('nothing/here'));
      await create({ nameSpace: 'brief', sessionId: 's', ttlSeconds: 5, payload: { a: 1 } });
      assert.ok(await ok(200, 'GET', doc('brief/s')));
      t.clock.advance(5_000);
      await problem(404, 'GET', doc('brief/s'));
      assert.deepEqual(
        await ok(200, 'POST', '/v2/context/document/properties', {
          accountId: acct.accountId,
          nameSpace: 'brief',
          sessionId: 's',
          filter: ['brief.a'],
        }),
        {},
      );
    });

    test('TTL without ttlSeconds: session, else namespace TTL (set through v1), else the maximum retention', async () => {
      await create({ nameSpace: 'nottl', payload: { a: 1 } });
      assert.equal(
        (await ok(200, 'GET', doc('nottl'))).ttl,
        new Date(t.clock.now() + MAX_RETENTION_MS).toISOString(),
      );
      await create({ nameSpace: 'nottl', payload: { a: 1 }, ttlSeconds: 0 });
      assert.equal(
        (await ok(200, 'GET', doc('nottl'))).ttl,
        new Date(t.clock.now() + MAX_RETENTION_MS).toISOString(),
      );
      const v1 = (method: 'POST', url: string, body: unknown) =>
        t.app.inject({
          method,
          url: `/v1/account/${acct.accountId}${url}`,
          headers: { 'maven-api-key': acct.apiKey, 'content-type': 'application/json' },
          payload: JSON.stringify(body),
        });
      assert.equal((await v1('POST', '?ttlSecond=300', { name: 'withttl' })).statusCode, 204);
      assert.equal(
        (await v1('POST', '/namespace/withttl/session?ttlSecond=30', { sessionId: 'short' })).statusCode,
        204,
      );
      await create({ nameSpace: 'withttl', sessionId: 'other', payload: { a: 1 } });
      await create({ nameSpace: 'withttl', sessionId: 'short', payload: { a: 1 } });
      assert.equal(
        (await ok(200, 'GET', doc('withttl/other'))).ttl,
        new Date(t.clock.now() + 300_000).toISOString(),
      );
      assert.equal(
        (await ok(200, 'GET', doc('withttl/short'))).ttl,
        new Date(t.clock.now() + 30_000).toISOString(),
      );
    });

    test('filter read answers qualified names of the properties that exist', async () => {
      await create({
        nameSpace: 'filt',
        sessionId: 's',
        payload: { property1: 100, Property2: 'abc', 'dotted.name': 1 },
      });
      assert.deepEqual(
        await ok(200, 'POST', '/v2/context/document/properties', {
          accountId: acct.accountId,
          nameSpace: 'filt',
          sessionId: 's',
          filter: ['filt.property1', 'filt.Property2', 'filt.dotted.name', 'filt.missing'],
        }),
        { 'filt.property1': 100, 'filt.Property2': 'abc', 'filt.dotted.name': 1 },
      );
      const refused = await problem(400, 'POST', '/v2/context/document/properties', {
        accountId: acct.accountId,
        nameSpace: 'filt',
        filter: ['other.property1'],
      });
      assert.match(refused.detail, /qualified as filt\.<property>/);
    });

    test('delete listed properties, or the whole document without a list, on both paths', async () => {
      const body = { accountId: acct.accountId, nameSpace: 'del', sessionId: 's' };
      await create({ ...body, payload: { a: 1, b: 2, c: 3 } });
      const result = { documentKey: `${acct.accountId}:del:s`, tenantId: acct.accountId, success: true };
      assert.deepEqual(
        await ok(200, 'DELETE', '/v2/context/document/property/delete', {
          ...body,
          propertyToDelete: ['a', 'zz'],
        }),
        result,
      );
      assert.deepEqual((await ok(200, 'GET', doc('del/s'))).payload, { b: 2, c: 3 });
      assert.deepEqual(await ok(200, 'DELETE', '/v2/context/document/property/delete', body), result);
      await problem(404, 'GET', doc('del/s'));
      await create({ ...body, payload: { a: 1 } });
      assert.deepEqual(await ok(200, 'DELETE', '/v2/context/document/delete', body), result);
      await problem(404, 'GET', doc('del/s'));
      assert.deepEqual(await ok(200, 'DELETE', '/v2/context/document/delete', body), result, 'idempotent');
      await create({ accountId: acct.accountId, nameSpace: 'del', payload: { g: 1 } });
      assert.deepEqual(
        await ok(200, 'DELETE', '/v2/context/document/delete', {
          accountId: acct.accountId,
          nameSpace: 'del',
        }),
        {
          ...result,
          documentKey: `${acct.accountId}:del:`,
        },
      );
    });

    test("an accountId in the body other than the token's → 403, and nothing is written there", async () => {
      const other = await createAccount(t);
      const foreign = { accountId: other.accountId, nameSpace: 'ns' };
      assert.equal(
        (await problem(403, 'POST', '/v2/context/document/create', { ...foreign, payload: { a: 1 } })).code,
        'forbidden',
      );
      await problem(403, 'POST', '/v2/context/document/properties', { ...foreign, filter: ['ns.a'] });
      await problem(403, 'DELETE', '/v2/context/document/property/delete', foreign);
      await problem(403, 'DELETE', '/v2/context/document/delete', foreign);
      await problem(403, 'GET', `/v2/context/document/${other.accountId}/ns`);
      const otherToken = await getToken(t, other);
      const read = await t.app.inject({
        method: 'GET',
        url: `/v2/context/document/${other.accountId}/ns`,
        headers: { authorization: `Bearer ${otherToken}` },
      });
      assert.equal(read.statusCode, 404);
    });

    test('the token also works as ?access_token=, as in the documented examples', async () => {
      await create({ nameSpace: 'qs', payload: { a: 1 } });
      const response = await t.app.inject({ method: 'GET', url: `${doc('qs')}?access_token=${token}` });
      assert.equal(response.statusCode, 200);
      assert.deepEqual((response.json() as { payload: unknown }).payload, { a: 1 });
    });

    test('bad input gets a useful 400 and writes nothing', async () => {
      const base = { accountId: acct.accountId, nameSpace: 'bad', sessionId: 's' };
      const url = '/v2/context/document/create';
      const cases: [unknown, RegExp][] = [
        ['{"accountId":', /not valid JSON/],
        ['', /empty|body/],
        ['[]', /body must be object/],
        [{ ...base }, /payload/],
        [{ ...base, payload: [1, 2] }, /payload/],
        [{ ...base, payload: 'text' }, /payload/],
        [{ ...base, payload: null }, /payload/],
        [{ ...base, payload: {}, ttlSeconds: -1 }, /ttlSeconds/],
        [{ ...base, payload: {}, ttlSeconds: '60' }, /ttlSeconds/],
        [{ ...base, payload: {}, ttlSeconds: 1.5 }, /ttlSeconds/],
        [{ ...base, payload: {}, ttlSeconds: 13 * 31 * 86_400 + 1 }, /maximum retention/],
        [{ ...base, nameSpace: 42, payload: {} }, /nameSpace/],
        [{ ...base, nameSpace: 'my-ns', payload: {} }, /nameSpace/],
        [{ ...base, sessionId: '', payload: {} }, /sessionId/],
        [{ ...base, sessionId: 'a/b', payload: {} }, /sessionId/],
        [{ ...base, payload: { '': 1 } }, /property name/],
        [{ ...base, payload: { 'ctl\u0001': 1 } }, /property name/],
        [{ nameSpace: 'bad', payload: {} }, /accountId/],
      ];
      for (const [payload, message] of cases) {
        const body = await problem(400, 'POST', url, payload);
        assert.match(body.detail, message, JSON.stringify(payload));
      }
      for (const reserved of ['consumer', 'faas', 'sde']) {
        assert.equal(
          (await problem(400, 'POST', url, { ...base, nameSpace: reserved, payload: {} })).code,
          'reserved_namespace',
        );
        await problem(400, 'GET', doc(reserved));
      }
      await problem(400, 'POST', '/v2/context/document/properties', { ...base, filter: 'bad.a' });
      await problem(400, 'POST', '/v2/context/document/properties', { ...base });
      await problem(400, 'DELETE', '/v2/context/document/property/delete', {
        ...base,
        propertyToDelete: 'a',
      });
      await problem(400, 'DELETE', '/v2/context/document/property/delete', {
        ...base,
        propertyToDelete: ['a/b'],
      });
      await problem(400, 'DELETE', '/v2/context/document/delete');
      await problem(404, 'GET', doc('bad/s'));
    });

    test('__proto__ and constructor keys in the payload are stored as data', async () => {
      const text = `{"accountId":"${acct.accountId}","nameSpace":"proto","payload":{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"x":{"__proto__":2}}}`;
      assert.equal((await call('POST', '/v2/context/document/create', text)).statusCode, 201);
      const response = await call('GET', doc('proto'));
      const raw = response.body;
      assert.ok(
        raw.includes(
          '"payload":{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"x":{"__proto__":2}}',
        ),
      );
      const filtered = await call('POST', '/v2/context/document/properties', {
        accountId: acct.accountId,
        nameSpace: 'proto',
        filter: ['proto.__proto__', 'proto.constructor'],
      });
      assert.equal(
        filtered.body,
        '{"proto.__proto__":{"polluted":1},"proto.constructor":{"prototype":{"polluted":1}}}',
      );
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });

    test('over 800,000 characters → 413 "document too large", nothing saved', async () => {
      const body = { accountId: acct.accountId, nameSpace: 'big', sessionId: 's' };
      await create({ ...body, payload: { keep: 1 } });
      const refused = await problem(413, 'POST', '/v2/context/document/create', {
        ...body,
        payload: { v: '€'.repeat(800_000) },
      });
      assert.equal(refused.code, 'document_too_large');
      assert.equal(refused.detail, 'document too large');
      assert.deepEqual((await ok(200, 'GET', doc('big/s'))).payload, { keep: 1 });
      await problem(413, 'POST', '/v2/context/document/create', {
        ...body,
        sessionId: 'fresh',
        payload: { v: 'x'.repeat(800_000) },
      });
      await problem(404, 'GET', doc('big/fresh'));
    });

    test('a payload nested more than 100 levels deep → 400, nothing saved', async () => {
      const nested = (levels: number) => {
        let value: unknown = 1;
        for (let i = 0; i < levels; i++) value = { a: value };
        return value;
      };
      const body = { accountId: acct.accountId, nameSpace: 'deep', sessionId: 's' };
      await create({ ...body, payload: { v: nested(99) } });
      const refused = await problem(400, 'POST', '/v2/context/document/create', {
        ...body,
        payload: { w: nested(100) },
      });
      assert.match(refused.detail, /nest at most 100 levels/);
      assert.deepEqual(Object.keys((await ok(200, 'GET', doc('deep/s'))).payload as object), ['v']);
    });

    test('200 concurrent creates with distinct keys into one document lose nothing', async () => {
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          call('POST', '/v2/context/document/create', {
            accountId: acct.accountId,
            nameSpace: 'race',
            sessionId: 'hot',
            ttlSeconds: 600,
            payload: { [`k${i}`]: i, [`s${i}`]: `v${i}` },
          }),
        ),
      );
      assert.ok(responses.every((r) => r.statusCode === 201));
      const payload = (await ok(200, 'GET', doc('race/hot'))).payload as Record<string, unknown>;
      assert.equal(Object.keys(payload).length, 400);
      for (let i = 0; i < 200; i++) {
        assert.equal(payload[`k${i}`], i);
        assert.equal(payload[`s${i}`], `v${i}`);
      }
    });
  });
}
