import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AccountCredentials, createAccount, createTestApp, type TestApp } from '../helpers/app.js';
import { describeSecurity, type ProtectedRoute } from '../helpers/security.js';

const V1_ROUTES: [string, Omit<ProtectedRoute, 'auth'>][] = [
  [
    'create namespace',
    { method: 'POST', url: (a) => `/v1/account/${a}?ttlSecond=60`, body: () => ({ name: 'ns' }) },
  ],
  ['list namespaces', { method: 'GET', url: (a) => `/v1/account/${a}` }],
  ['delete namespace', { method: 'DELETE', url: (a) => `/v1/account/${a}/ns` }],
  [
    'merge namespace properties',
    { method: 'PATCH', url: (a) => `/v1/account/${a}/ns/properties`, body: () => ({ p: 1 }) },
  ],
  [
    'set a namespace property',
    { method: 'PUT', url: (a) => `/v1/account/${a}/ns/properties/p`, body: () => 'v' },
  ],
  ['read namespace properties', { method: 'GET', url: (a) => `/v1/account/${a}/ns/properties?include=p` }],
  ['read a namespace property', { method: 'GET', url: (a) => `/v1/account/${a}/ns/properties/p` }],
  ['delete a namespace property', { method: 'DELETE', url: (a) => `/v1/account/${a}/ns/properties/p` }],
  ['delete namespace properties', { method: 'DELETE', url: (a) => `/v1/account/${a}/ns/properties` }],
  [
    'merge session properties',
    { method: 'PATCH', url: (a) => `/v1/account/${a}/ns/s/properties`, body: () => ({ p: 1 }) },
  ],
  [
    'set a session property',
    { method: 'PUT', url: (a) => `/v1/account/${a}/ns/s/properties/p`, body: () => 2 },
  ],
  ['read session properties', { method: 'GET', url: (a) => `/v1/account/${a}/ns/s/properties` }],
  ['read a session property', { method: 'GET', url: (a) => `/v1/account/${a}/ns/s/properties/p` }],
  ['delete a session property', { method: 'DELETE', url: (a) => `/v1/account/${a}/ns/s/properties/p` }],
  ['clear a session', { method: 'DELETE', url: (a) => `/v1/account/${a}/ns/s/properties` }],
  ['list session ids', { method: 'GET', url: (a) => `/v1/account/${a}/ns/session-ids?page=0&perPage=10` }],
  ['list session properties', { method: 'GET', url: (a) => `/v1/account/${a}/ns/session-properties` }],
  [
    'set a session TTL',
    {
      method: 'POST',
      url: (a) => `/v1/account/${a}/namespace/ns/session?ttlSecond=60`,
      body: () => ({ sessionId: 's' }),
    },
  ],
  ['list session TTLs', { method: 'GET', url: (a) => `/v1/account/${a}/namespace/ns/session` }],
  ['delete a session', { method: 'DELETE', url: (a) => `/v1/account/${a}/namespace/ns/session/s` }],
];

for (const [name, route] of V1_ROUTES) describeSecurity(`v1 ${name}`, { ...route, auth: { v1: true } });

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

for (const storeKind of ['memory', 'sqlite', 'sqlite-cached'] as const) {
  describe(`context v1 (${storeKind})`, () => {
    let t: TestApp;
    let acct: AccountCredentials;
    before(async () => {
      t = await createTestApp({ store: storeKind });
      acct = await createAccount(t);
    });
    after(async () => t.close());

    /** A v1 call; `payload` given as text is sent as it is (to send malformed JSON), anything else as JSON. */
    const call = (method: Method, path: string, payload?: unknown, headers: Record<string, string> = {}) =>
      t.app.inject({
        method,
        url: `/v1/account/${acct.accountId}${path}`,
        headers: {
          'maven-api-key': acct.apiKey,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(payload === undefined
          ? {}
          : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
      });
    const json = async (method: Method, path: string, payload?: unknown) => {
      const response = await call(method, path, payload);
      assert.equal(response.statusCode, 200, response.body);
      assert.match(String(response.headers['content-type']), /^application\/json/);
      return response.json() as unknown;
    };
    const expectStatus = async (status: number, method: Method, path: string, payload?: unknown) => {
      const response = await call(method, path, payload);
      assert.equal(response.statusCode, status, `${method} ${path}: ${response.body}`);
      return response;
    };
    const problem = async (status: number, method: Method, path: string, payload?: unknown) => {
      const response = await expectStatus(status, method, path, payload);
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      return response.json() as {
        code: string;
        detail: string;
        errors?: { field: string; message: string }[];
      };
    };

    test('namespaces: create, set TTL, list with createdAt and ttlSecond, delete with all their data', async () => {
      await expectStatus(204, 'POST', '', { name: 'alpha' });
      await expectStatus(204, 'POST', '?ttlSecond=3600', { name: 'beta' });
      await expectStatus(204, 'PATCH', '/gamma/properties', { implicit: true });
      const listed = (await json('GET', '')) as { name: string; createdAt: string; ttlSecond?: number }[];
      assert.deepEqual(
        listed.map((n) => [n.name, n.ttlSecond]),
        [
          ['alpha', undefined],
          ['beta', 3600],
          ['gamma', undefined],
        ],
      );
      assert.equal(listed[0]?.createdAt, new Date(t.clock.now()).toISOString());
      assert.ok(!('ttlSecond' in (listed[0] ?? {})));
      await expectStatus(204, 'POST', '?ttlSecond=0', { name: 'beta' });
      assert.ok(!('ttlSecond' in ((await json('GET', '')) as object[])[1]!), '0 clears the TTL');

      await expectStatus(204, 'PATCH', '/gamma/s1/properties', { a: 1 });
      await expectStatus(204, 'POST', '/namespace/gamma/session?ttlSecond=60', { sessionId: 's1' });
      await expectStatus(204, 'DELETE', '/gamma');
      assert.deepEqual(await json('GET', '/gamma/properties'), {});
      assert.deepEqual(await json('GET', '/gamma/s1/properties'), {});
      assert.deepEqual(await json('GET', '/namespace/gamma/session'), []);
      assert.deepEqual(
        ((await json('GET', '')) as { name: string }[]).map((n) => n.name),
        ['alpha', 'beta'],
      );
      await expectStatus(204, 'DELETE', '/gamma');
    });

    test('a namespace larger than one deletion batch goes whole, with its TTLs', async () => {
      const accountId = acct.accountId;
      for (let i = 0; i < 2_345; i++)
        await t.ctx.store.contextDocuments.mergeDocument(
          { accountId, namespace: 'huge', sessionId: `s${i}` },
          { i },
          { now: t.clock.now(), expiresAt: null, maxChars: 800_000 },
        );
      await expectStatus(204, 'POST', '/namespace/huge/session?ttlSecond=60', { sessionId: 's7' });
      assert.equal(((await json('GET', '/huge/s2344/properties')) as { i: number }).i, 2_344);
      await expectStatus(204, 'DELETE', '/huge');
      assert.deepEqual(await json('GET', '/huge/s2344/properties'), {});
      assert.deepEqual(await json('GET', '/namespace/huge/session'), []);
      assert.ok(!((await json('GET', '')) as { name: string }[]).some((n) => n.name === 'huge'));
      const left = await t.ctx.store.contextDocuments.listDocuments(accountId, 'huge', {
        offset: 0,
        limit: 5_000,
        now: t.clock.now(),
      });
      assert.deepEqual(left, []);
    });

    test('namespace-level properties: PATCH merges, PUT sets any JSON value, GET all/some/one, DELETE', async () => {
      await expectStatus(204, 'PATCH', '/props/properties', {
        myProperty1: 'myValue1',
        myProperty2: 2,
        myProperty3: { name: 'myValue3' },
      });
      await expectStatus(204, 'PATCH', '/props/properties', { myProperty2: 3 });
      await expectStatus(204, 'PUT', '/props/properties/myProperty4', '"value4"');
      for (const [name, value] of [
        ['n', null],
        ['b', false],
        ['l', [1, 'x']],
        ['f', 1.5],
      ] as const) {
        await expectStatus(204, 'PUT', `/props/properties/${name}`, value);
      }
      assert.deepEqual(await json('GET', '/props/properties'), {
        myProperty1: 'myValue1',
        myProperty2: 3,
        myProperty3: { name: 'myValue3' },
        myProperty4: 'value4',
        n: null,
        b: false,
        l: [1, 'x'],
        f: 1.5,
      });
      assert.deepEqual(await json('GET', '/props/properties?include=myProperty1,myProperty3,nope'), {
        myProperty1: 'myValue1',
        myProperty3: { name: 'myValue3' },
      });
      assert.equal(await json('GET', '/props/properties/myProperty1'), 'myValue1');
      assert.equal(await json('GET', '/props/properties/n'), null);
      assert.deepEqual(
        await json('GET', '/props/__default__/properties/l'),
        [1, 'x'],
        '__default__ is the namespace level',
      );
      assert.equal((await problem(404, 'GET', '/props/properties/nope')).code, 'not_found');
      await expectStatus(204, 'DELETE', '/props/properties/myProperty1');
      await expectStatus(204, 'DELETE', '/props/properties/myProperty1');
      await problem(404, 'GET', '/props/properties/myProperty1');
      await expectStatus(204, 'DELETE', '/props/properties');
      assert.deepEqual(await json('GET', '/props/properties'), {});
    });

    test('session-level properties, session listing and paging', async () => {
      for (const s of ['s3', 's1', 's2'])
        await expectStatus(204, 'PATCH', `/sess/${s}/properties`, { id: s });
      await expectStatus(204, 'PUT', '/sess/s1/properties/extra', '"x"');
      await expectStatus(204, 'PATCH', '/sess/properties', { global: true });
      assert.deepEqual(await json('GET', '/sess/s1/properties'), { id: 's1', extra: 'x' });
      assert.equal(await json('GET', '/sess/s1/properties/extra'), 'x');
      await problem(404, 'GET', '/sess/s2/properties/extra');
      assert.deepEqual(await json('GET', '/sess/session-ids'), ['__default__', 's1', 's2', 's3']);
      assert.deepEqual(await json('GET', '/sess/session-ids?page=1&perPage=3'), ['s3']);
      assert.deepEqual(await json('GET', '/sess/session-ids?page=5&perPage=3'), []);
      assert.deepEqual(await json('GET', '/sess/session-properties?page=0&perPage=2'), [
        { sessionId: '__default__', properties: { global: true } },
        { sessionId: 's1', properties: { id: 's1', extra: 'x' } },
      ]);
      await expectStatus(204, 'DELETE', '/sess/s1/properties/extra');
      assert.deepEqual(await json('GET', '/sess/s1/properties'), { id: 's1' });
    });

    test('session TTLs: set, list, clear keeps the TTL, delete removes both', async () => {
      await expectStatus(204, 'POST', '/namespace/ttl/session?ttlSecond=120', { sessionId: 'a' });
      await expectStatus(204, 'POST', '/namespace/ttl/session?ttlSecond=0', { sessionId: 'b' });
      const now = new Date(t.clock.now()).toISOString();
      assert.deepEqual(await json('GET', '/namespace/ttl/session'), [
        { sessionId: 'a', createdAt: now, ttlSecond: 120 },
        { sessionId: 'b', createdAt: now, ttlSecond: 0 },
      ]);
      await expectStatus(204, 'PATCH', '/ttl/a/properties', { x: 1 });
      await expectStatus(204, 'DELETE', '/ttl/a/properties');
      assert.deepEqual(await json('GET', '/ttl/a/properties'), {});
      assert.equal(((await json('GET', '/namespace/ttl/session')) as unknown[]).length, 2, 'the TTL stays');
      await expectStatus(204, 'PATCH', '/ttl/a/properties', { x: 2 });
      await expectStatus(204, 'DELETE', '/namespace/ttl/session/a');
      assert.deepEqual(await json('GET', '/ttl/a/properties'), {});
      assert.deepEqual(
        ((await json('GET', '/namespace/ttl/session')) as { sessionId: string }[]).map((s) => s.sessionId),
        ['b'],
      );
    });

    test('TTL: session beats namespace, refreshed on every write, expired data is never returned', async () => {
      await expectStatus(204, 'POST', '?ttlSecond=100', { name: 'exp' });
      await expectStatus(204, 'POST', '/namespace/exp/session?ttlSecond=10', { sessionId: 'short' });
      await expectStatus(204, 'PATCH', '/exp/short/properties', { a: 1 });
      await expectStatus(204, 'PATCH', '/exp/long/properties', { a: 1 });
      t.clock.advance(8_000);
      await expectStatus(204, 'PUT', '/exp/short/properties/b', '2');
      t.clock.advance(8_000);
      assert.deepEqual(
        await json('GET', '/exp/short/properties'),
        { a: 1, b: 2 },
        'the write refreshed the TTL',
      );
      t.clock.advance(3_000);
      assert.deepEqual(await json('GET', '/exp/short/properties'), {});
      await problem(404, 'GET', '/exp/short/properties/a');
      assert.deepEqual(await json('GET', '/exp/session-ids'), ['long']);
      t.clock.advance(100_000);
      assert.deepEqual(await json('GET', '/exp/long/properties'), {});
      assert.deepEqual(await json('GET', '/exp/session-properties'), []);
      await expectStatus(204, 'PATCH', '/exp/short/properties', { fresh: true });
      assert.deepEqual(
        await json('GET', '/exp/short/properties'),
        { fresh: true },
        'expired counts as empty',
      );
    });

    test('refuses reserved and invalid names with 400', async () => {
      for (const reserved of ['consumer', 'operational', 'conversation', 'faas', 'custom', 'sde']) {
        const body = await problem(400, 'PATCH', `/${reserved}/properties`, { a: 1 });
        assert.equal(body.code, 'reserved_namespace');
        assert.equal((await problem(400, 'POST', '', { name: reserved })).code, 'reserved_namespace');
        assert.equal((await problem(400, 'GET', `/${reserved}/properties`)).code, 'reserved_namespace');
      }
      assert.match((await problem(400, 'PATCH', '/bad-name/properties', { a: 1 })).detail, /namespace/);
      assert.match((await problem(400, 'POST', '', { name: 'x'.repeat(65) })).detail, /name/);
      assert.match((await problem(400, 'PATCH', '/ns/properties', { 'a/b': 1 })).detail, /property name/);
      assert.match((await problem(400, 'PATCH', '/ns/properties', { '': 1 })).detail, /property name/);
      assert.match(
        (await problem(400, 'PATCH', '/ns/%2E%2E%2E%0A/properties', { a: 1 })).detail,
        /sessionId/,
      );
      assert.match((await problem(400, 'PUT', `/ns/properties/${'p'.repeat(257)}`, 1)).detail, /property/);
      assert.deepEqual(await json('GET', '/ns/properties'), {}, 'nothing written');
    });

    test('refuses malformed JSON, wrong types, bad TTLs and paging with useful 400s', async () => {
      assert.match((await problem(400, 'PATCH', '/bad/properties', '{"a":')).detail, /not valid JSON/);
      assert.match((await problem(400, 'PUT', '/bad/properties/p', 'undefined')).detail, /not valid JSON/);
      assert.match((await problem(400, 'PATCH', '/bad/properties', ' ')).detail, /body must be object/);
      assert.match((await problem(400, 'PUT', '/bad/properties/p', '')).detail, /body must be a JSON value/);
      assert.equal(
        (await call('DELETE', '/bad/properties/p', '')).statusCode,
        204,
        'an empty JSON body is no body',
      );
      for (const payload of ['[1,2]', '"text"', '42', 'null', 'true']) {
        const body = await problem(400, 'PATCH', '/bad/properties', payload);
        assert.match(body.detail, /object/, payload);
      }
      assert.match((await problem(400, 'POST', '', { name: 5 })).detail, /body\.name/);
      assert.match((await problem(400, 'POST', '', {})).detail, /name/);
      assert.match((await problem(400, 'POST', '', '"ns"')).detail, /body/);
      assert.match(
        (await problem(400, 'POST', '/namespace/bad/session?ttlSecond=5', { sessionId: 7 })).detail,
        /sessionId/,
      );
      for (const ttl of ['-1', 'abc', '1.5', '1e3', '', '99999999999']) {
        const body = await problem(400, 'POST', `?ttlSecond=${ttl}`, { name: 'bad' });
        assert.match(body.detail, /ttlSecond/, ttl);
        await problem(400, 'POST', `/namespace/bad/session?ttlSecond=${ttl}`, { sessionId: 's' });
      }
      assert.match(
        (await problem(400, 'POST', '/namespace/bad/session', { sessionId: 's' })).detail,
        /ttlSecond/,
      );
      assert.match(
        (await problem(400, 'POST', `?ttlSecond=${13 * 31 * 86_400 + 1}`, { name: 'bad' })).detail,
        /maximum retention/,
      );
      for (const query of [
        'page=-1',
        'page=x',
        'perPage=0',
        'perPage=1001',
        'perPage=-5',
        'perPage=2.5',
        'page=1e2',
      ]) {
        const body = await problem(400, 'GET', `/bad/session-ids?${query}`);
        assert.match(body.detail, /page|perPage/i, query);
        await problem(400, 'GET', `/bad/session-properties?${query}`);
      }
      assert.deepEqual(await json('GET', '/bad/session-ids?perPage=1000'), []);
      const unsupported = await call('PATCH', '/bad/properties', '<a>1</a>', {
        'content-type': 'application/xml',
      });
      assert.equal(unsupported.statusCode, 415);
      const names = ((await json('GET', '')) as { name: string }[]).map((n) => n.name);
      assert.ok(!names.includes('bad'), 'nothing was created');
    });

    test('__proto__ and constructor keys are stored as data and pollute nothing', async () => {
      const text =
        '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"toString":1}';
      await expectStatus(204, 'PATCH', '/proto/properties', text);
      await expectStatus(204, 'PUT', '/proto/properties/__proto__', '{"again":{"__proto__":{"deep":1}}}');
      const response = await call('GET', '/proto/properties');
      assert.equal(
        response.body,
        '{"__proto__":{"again":{"__proto__":{"deep":1}}},"constructor":{"prototype":{"polluted":"yes"}},"toString":1}',
      );
      assert.equal(
        (await call('GET', '/proto/properties/__proto__')).body,
        '{"again":{"__proto__":{"deep":1}}}',
      );
      assert.equal(
        (await call('GET', '/proto/properties/constructor')).body,
        '{"prototype":{"polluted":"yes"}}',
      );
      await problem(404, 'GET', '/proto/properties/hasOwnProperty');
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(({} as Record<string, unknown>).again, undefined);
      await expectStatus(204, 'DELETE', '/proto/properties/__proto__');
      assert.equal(
        (await call('GET', '/proto/properties')).body,
        '{"constructor":{"prototype":{"polluted":"yes"}},"toString":1}',
      );
    });

    test('a document over 800,000 characters gets 413 "document too large" and nothing is saved', async () => {
      await expectStatus(204, 'PATCH', '/big/s/properties', { keep: 'me' });
      const overhead = JSON.stringify({ keep: 'me', v: '' }).length;
      await expectStatus(204, 'PUT', '/big/s/properties/v', JSON.stringify('é'.repeat(800_000 - overhead)));
      const full = (await json('GET', '/big/s/properties')) as Record<string, string>;
      assert.equal(
        JSON.stringify(full).length,
        800_000,
        'exactly at the limit fits (multi-byte characters too)',
      );
      const refused = await problem(413, 'PATCH', '/big/s/properties', { one: 1 });
      assert.equal(refused.code, 'document_too_large');
      assert.equal(refused.detail, 'document too large');
      await problem(413, 'PUT', '/big/s/properties/w', '1');
      assert.deepEqual(Object.keys((await json('GET', '/big/s/properties')) as object), ['keep', 'v']);
      await problem(413, 'PATCH', '/big/fresh/properties', { v: 'x'.repeat(800_001) });
      assert.deepEqual(await json('GET', '/big/session-ids'), ['s'], 'no document for the refused write');
      await expectStatus(204, 'DELETE', '/big/s/properties/v');
      await expectStatus(204, 'PATCH', '/big/s/properties', { one: 1 });
    });

    test('values nested up to 100 levels are kept; deeper ones, even 100,000 levels in 600,000 characters, get 400', async () => {
      const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
      // The properties object is level 1: a value of 99 levels under it makes 100.
      await expectStatus(204, 'PATCH', '/deep/s/properties', `{"v":${nested(99)}}`);
      const kept = (await json('GET', '/deep/s/properties')) as Record<string, unknown>;
      assert.equal(JSON.stringify(kept), `{"v":${nested(99)}}`);
      for (const [method, path, body] of [
        ['PATCH', '/deep/s/properties', `{"w":${nested(100)}}`],
        ['PATCH', '/deep/other/properties', `{"w":${nested(100_000)}}`],
        ['PUT', '/deep/s/properties/w', nested(100)],
        ['PUT', '/deep/s/properties/w', `[${'['.repeat(200)}${']'.repeat(200)}]`],
      ] as const) {
        const refused = await problem(400, method, path, body);
        assert.match(refused.detail, /nest at most 100 levels/);
      }
      assert.deepEqual(Object.keys((await json('GET', '/deep/s/properties')) as object), ['v']);
      assert.deepEqual(await json('GET', '/deep/session-ids'), ['s'], 'no document for the refused write');
    });

    test('200 concurrent PATCH merges with distinct keys into one document lose nothing', async () => {
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, i) => call('PATCH', '/race/hot/properties', { [`k${i}`]: i })),
      );
      assert.ok(responses.every((r) => r.statusCode === 204));
      const merged = (await json('GET', '/race/hot/properties')) as Record<string, number>;
      assert.equal(Object.keys(merged).length, 200);
      for (let i = 0; i < 200; i++) assert.equal(merged[`k${i}`], i);
    });
  });
}
