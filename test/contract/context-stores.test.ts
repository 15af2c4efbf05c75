import assert from 'node:assert/strict';
import type { JsonValue } from '../../src/core/json.js';
import { DEFAULT_SESSION, type DocumentKey } from '../../src/ports/context-store.js';
import { describeStoreContract } from './adapters.js';

const LIMIT = 800_000;
const T0 = 1_700_000_000_000;
const keyOf = (accountId: string, namespace: string, sessionId: string = DEFAULT_SESSION): DocumentKey => ({
  accountId,
  namespace,
  sessionId,
});
const opts = (now: number, expiresAt: number | null = null, maxChars = LIMIT) => ({
  now,
  expiresAt,
  maxChars,
});

describeStoreContract('context stores', (store, it, factory) => {
  const docs = () => store.contextDocuments;
  const spaces = () => store.contextNamespaces;

  it('merges top-level properties, keeps the rest, and creates the namespace', async () => {
    const key = keyOf('merge', 'ns', 's1');
    const first = await docs().mergeDocument(key, { a: 1, b: { x: 1, y: 2 } }, opts(T0, T0 + 60_000));
    assert.equal(first.ok, true);
    const second = await docs().mergeDocument(key, { b: { z: 3 }, c: null }, opts(T0 + 10, T0 + 90_000));
    assert.ok(second.ok);
    const expected = {
      key,
      properties: { a: 1, b: { z: 3 }, c: null },
      createdAt: T0,
      updatedAt: T0 + 10,
      expiresAt: T0 + 90_000,
    };
    assert.deepEqual(second.document, expected);
    assert.deepEqual(await docs().getDocument(key, T0 + 20), expected);
    assert.deepEqual(await spaces().getNamespace('merge', 'ns'), {
      accountId: 'merge',
      name: 'ns',
      createdAt: T0,
      ttlSeconds: null,
    });
    assert.equal(await docs().getDocument(keyOf('merge', 'ns', 's2'), T0), null);
    assert.equal(await docs().getDocument(keyOf('other', 'ns', 's1'), T0), null);
  });

  it('round-trips every kind of JSON value, including unicode', async () => {
    const key = keyOf('values', 'ns');
    const properties: Record<string, JsonValue> = {
      string: 'héllo ✓ 😀 "quoted" \\ \n',
      int: -42,
      float: 3.25,
      big: 1e300,
      bool: false,
      nil: null,
      list: [1, 'two', [3], { four: 4 }],
      nested: { a: { b: { c: [] } } },
      empty: {},
      'with space.and.dots': 'x',
      'ünï©ødé 😀': true,
    };
    const outcome = await docs().mergeDocument(key, properties, opts(T0));
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.document.properties, properties);
    assert.deepEqual((await docs().getDocument(key, T0))?.properties, properties);
  });

  it('stores __proto__ and constructor keys as plain data without polluting anything', async () => {
    const key = keyOf('proto', 'ns');
    const patch = JSON.parse(
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"nested":{"__proto__":{"polluted":1}}}',
    ) as Record<string, JsonValue>;
    const outcome = await docs().mergeDocument(key, patch, opts(T0));
    assert.ok(outcome.ok);
    await docs().mergeDocument(key, JSON.parse('{"__proto__":{"again":1},"toString":"x"}'), opts(T0 + 1));
    const found = await docs().getDocument(key, T0 + 1);
    assert.ok(found);
    const props = found.properties;
    assert.equal(Object.getPrototypeOf(props), Object.prototype);
    assert.ok(Object.hasOwn(props, '__proto__'));
    assert.deepEqual(Object.getOwnPropertyDescriptor(props, '__proto__')?.value, { again: 1 });
    assert.deepEqual(props.constructor, { prototype: { polluted: true } });
    assert.equal(props.toString, 'x');
    assert.ok(Object.hasOwn(props.nested as object, '__proto__'));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(({} as Record<string, unknown>).again, undefined);
    assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false);
    assert.ok(await docs().deleteProperties(key, ['__proto__'], T0 + 2));
    const after = await docs().getDocument(key, T0 + 2);
    assert.equal(Object.hasOwn(after?.properties ?? {}, '__proto__'), false);
    assert.ok(Object.hasOwn(after?.properties ?? {}, 'constructor'));
  });

  it('never returns an expired document and merges into it as if it were empty', async () => {
    const key = keyOf('expiry', 'ns', 's');
    await docs().mergeDocument(key, { old: 1 }, opts(T0, T0 + 1_000));
    assert.ok(await docs().getDocument(key, T0 + 999));
    assert.equal(await docs().getDocument(key, T0 + 1_000), null, 'expired at expiresAt');
    assert.equal(await docs().deleteProperties(key, ['old'], T0 + 1_500), false);
    assert.deepEqual(
      await docs().listDocuments('expiry', 'ns', { offset: 0, limit: 10, now: T0 + 1_000 }),
      [],
    );
    const outcome = await docs().mergeDocument(key, { fresh: 2 }, opts(T0 + 2_000, null));
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.document.properties, { fresh: 2 });
    assert.equal(outcome.document.createdAt, T0 + 2_000);
    assert.equal(outcome.document.expiresAt, null);
    assert.deepEqual(
      (await docs().getDocument(key, T0 + 10 ** 12))?.properties,
      { fresh: 2 },
      'null never expires',
    );
  });

  it('refuses a merge over maxChars and writes nothing', async () => {
    const key = keyOf('size', 'ns', 's');
    const exact = { v: 'x'.repeat(100 - '{"v":""}'.length) };
    assert.equal(JSON.stringify(exact).length, 100);
    const fits = await docs().mergeDocument(key, exact, opts(T0, T0 + 5_000, 100));
    assert.equal(fits.ok, true, 'exactly maxChars fits');
    const refused = await docs().mergeDocument(key, { w: 1 }, opts(T0 + 1, T0 + 9_000, 100));
    assert.deepEqual(refused, { ok: false, reason: 'too_large', size: 100 + ',"w":1'.length });
    const kept = await docs().getDocument(key, T0 + 2);
    assert.deepEqual(kept?.properties, exact);
    assert.equal(kept?.updatedAt, T0);
    assert.equal(kept?.expiresAt, T0 + 5_000);

    const fresh = keyOf('size-new', 'ns', 's');
    const big = await docs().mergeDocument(fresh, { v: 'y'.repeat(LIMIT) }, opts(T0));
    assert.equal(big.ok, false);
    assert.equal(await docs().getDocument(fresh, T0), null);
    assert.equal(await spaces().getNamespace('size-new', 'ns'), null, 'no namespace from a refused write');
  });

  it('deletes named properties, keeping the others and the expiry', async () => {
    const key = keyOf('delprops', 'ns', 's');
    await docs().mergeDocument(key, { a: 1, b: 2, c: 3 }, opts(T0, T0 + 60_000));
    assert.equal(await docs().deleteProperties(key, ['a', 'c', 'missing'], T0 + 5), true);
    const found = await docs().getDocument(key, T0 + 6);
    assert.deepEqual(found?.properties, { b: 2 });
    assert.equal(found?.updatedAt, T0 + 5);
    assert.equal(found?.expiresAt, T0 + 60_000);
    assert.equal(await docs().deleteProperties(keyOf('delprops', 'ns', 'none'), ['b'], T0), false);
  });

  it('deletes a whole document and nothing else', async () => {
    const a = keyOf('deldoc', 'ns', 'a');
    const b = keyOf('deldoc', 'ns', 'b');
    await docs().mergeDocument(a, { x: 1 }, opts(T0));
    await docs().mergeDocument(b, { y: 1 }, opts(T0));
    assert.equal(await docs().deleteDocument(a), true);
    assert.equal(await docs().deleteDocument(a), false);
    assert.equal(await docs().getDocument(a, T0), null);
    assert.deepEqual((await docs().getDocument(b, T0))?.properties, { y: 1 });
    assert.ok(await spaces().getNamespace('deldoc', 'ns'), 'the namespace stays');
  });

  it('lists the live documents of a namespace by session id, page by page', async () => {
    const ids = ['s-c', DEFAULT_SESSION, 's-a', 'S-upper', 's-b', '0-digit'];
    for (const id of ids) await docs().mergeDocument(keyOf('list', 'ns', id), { id }, opts(T0));
    await docs().mergeDocument(keyOf('list', 'ns', 's-expired'), { id: 'x' }, opts(T0, T0 + 10));
    await docs().mergeDocument(keyOf('list', 'other', 's-z'), { id: 'z' }, opts(T0));
    await docs().mergeDocument(keyOf('list-other', 'ns', 's-z'), { id: 'z' }, opts(T0));
    const sorted = ['0-digit', 'S-upper', DEFAULT_SESSION, 's-a', 's-b', 's-c'];
    const page = async (offset: number, limit: number) =>
      (await docs().listDocuments('list', 'ns', { offset, limit, now: T0 + 10 })).map((d) => d.key.sessionId);
    assert.deepEqual(await page(0, 100), sorted);
    assert.deepEqual(await page(0, 2), sorted.slice(0, 2));
    assert.deepEqual(await page(2, 2), sorted.slice(2, 4));
    assert.deepEqual(await page(4, 2), sorted.slice(4, 6));
    assert.deepEqual(await page(6, 2), []);
    const [first] = await docs().listDocuments('list', 'ns', { offset: 0, limit: 1, now: T0 });
    assert.deepEqual(first?.properties, { id: '0-digit' });
    assert.deepEqual(first?.key, keyOf('list', 'ns', '0-digit'));
    assert.deepEqual(await docs().listDocuments('list', 'none', { offset: 0, limit: 5, now: T0 }), []);
  });

  it('creates namespaces, sets and clears their TTL, and lists them per account', async () => {
    await spaces().upsertNamespace('nsacct', 'beta', T0);
    await spaces().upsertNamespace('nsacct', 'alpha', T0 + 1, 3_600);
    await spaces().upsertNamespace('nsacct-other', 'gamma', T0);
    assert.deepEqual(await spaces().getNamespace('nsacct', 'beta'), {
      accountId: 'nsacct',
      name: 'beta',
      createdAt: T0,
      ttlSeconds: null,
    });
    await spaces().upsertNamespace('nsacct', 'alpha', T0 + 50);
    assert.equal((await spaces().getNamespace('nsacct', 'alpha'))?.ttlSeconds, 3_600, 'kept when not given');
    await spaces().upsertNamespace('nsacct', 'beta', T0 + 60, 120);
    const beta = await spaces().getNamespace('nsacct', 'beta');
    assert.equal(beta?.ttlSeconds, 120);
    assert.equal(beta?.createdAt, T0, 'createdAt never moves');
    await spaces().upsertNamespace('nsacct', 'alpha', T0 + 70, null);
    assert.equal((await spaces().getNamespace('nsacct', 'alpha'))?.ttlSeconds, null, 'null clears');
    assert.deepEqual(await spaces().listNamespaces('nsacct'), [
      { accountId: 'nsacct', name: 'alpha', createdAt: T0 + 1, ttlSeconds: null },
      { accountId: 'nsacct', name: 'beta', createdAt: T0, ttlSeconds: 120 },
    ]);
    assert.equal(await spaces().getNamespace('nsacct', 'gamma'), null);
    assert.deepEqual(await spaces().listNamespaces('nobody'), []);
  });

  it('keeps session TTLs per namespace, updating the TTL but not createdAt', async () => {
    const ttl = (sessionId: string, ttlSeconds: number, createdAt: number, namespace = 'ns') => ({
      accountId: 'sttl',
      namespace,
      sessionId,
      createdAt,
      ttlSeconds,
    });
    await spaces().setSessionTtl(ttl('s2', 60, T0));
    await spaces().setSessionTtl(ttl('s1', 0, T0 + 1));
    await spaces().setSessionTtl(ttl('s9', 30, T0, 'other'));
    await spaces().setSessionTtl(ttl('s2', 600, T0 + 5));
    assert.deepEqual(await spaces().getSessionTtl('sttl', 'ns', 's2'), ttl('s2', 600, T0));
    assert.deepEqual(await spaces().listSessionTtls('sttl', 'ns'), [
      ttl('s1', 0, T0 + 1),
      ttl('s2', 600, T0),
    ]);
    assert.equal(await spaces().getSessionTtl('sttl', 'ns', 's9'), null);
    assert.deepEqual(await spaces().listSessionTtls('sttl', 'none'), []);
  });

  it('deletes a namespace with all its documents and session TTLs', async () => {
    await docs().mergeDocument(keyOf('delns', 'gone', 's1'), { a: 1 }, opts(T0));
    await docs().mergeDocument(keyOf('delns', 'gone'), { b: 1 }, opts(T0));
    await spaces().setSessionTtl({
      accountId: 'delns',
      namespace: 'gone',
      sessionId: 's1',
      createdAt: T0,
      ttlSeconds: 5,
    });
    await spaces().upsertNamespace('delns', 'gone', T0, 100);
    await docs().mergeDocument(keyOf('delns', 'kept', 's1'), { c: 1 }, opts(T0));
    await docs().mergeDocument(keyOf('delns-other', 'gone', 's1'), { d: 1 }, opts(T0));
    assert.equal(await spaces().deleteNamespace('delns', 'gone'), true);
    assert.equal(await spaces().getNamespace('delns', 'gone'), null);
    assert.equal(await docs().getDocument(keyOf('delns', 'gone', 's1'), T0), null);
    assert.equal(await docs().getDocument(keyOf('delns', 'gone'), T0), null);
    assert.deepEqual(await spaces().listSessionTtls('delns', 'gone'), []);
    assert.deepEqual(await docs().listDocuments('delns', 'gone', { offset: 0, limit: 10, now: T0 }), []);
    assert.ok(await docs().getDocument(keyOf('delns', 'kept', 's1'), T0));
    assert.ok(await docs().getDocument(keyOf('delns-other', 'gone', 's1'), T0));
    assert.equal(await spaces().deleteNamespace('delns', 'gone'), false);
    await docs().mergeDocument(keyOf('delns', 'gone', 's1'), { again: 1 }, opts(T0 + 1));
    assert.deepEqual((await docs().getDocument(keyOf('delns', 'gone', 's1'), T0 + 1))?.properties, {
      again: 1,
    });
    assert.equal(
      (await spaces().getNamespace('delns', 'gone'))?.ttlSeconds,
      null,
      'recreated without the old TTL',
    );
  });

  it("empties a namespace a few documents at a time, expired ones too, keeping the namespace and others' documents", async () => {
    for (let i = 0; i < 5; i++)
      await docs().mergeDocument(keyOf('batch', 'big', `s${i}`), { i }, opts(T0, i === 0 ? T0 + 1 : null));
    await docs().mergeDocument(keyOf('batch', 'kept', 's0'), { k: 1 }, opts(T0));
    await docs().mergeDocument(keyOf('batch-other', 'big', 's0'), { k: 1 }, opts(T0));
    const counts: number[] = [];
    for (let i = 0; i < 4; i++) counts.push(await spaces().deleteNamespaceDocuments('batch', 'big', 2));
    assert.deepEqual(counts, [2, 2, 1, 0]);
    for (let i = 0; i < 5; i++)
      assert.equal(await docs().getDocument(keyOf('batch', 'big', `s${i}`), T0), null, `s${i}`);
    assert.ok(await spaces().getNamespace('batch', 'big'), 'the namespace stays');
    assert.ok(await docs().getDocument(keyOf('batch', 'kept', 's0'), T0));
    assert.ok(await docs().getDocument(keyOf('batch-other', 'big', 's0'), T0));
    assert.equal(await spaces().deleteNamespaceDocuments('nobody', 'none', 10), 0);
  });

  it('deletes a session with its TTL and nothing else', async () => {
    await docs().mergeDocument(keyOf('delsess', 'ns', 's1'), { a: 1 }, opts(T0));
    await docs().mergeDocument(keyOf('delsess', 'ns', 's2'), { a: 2 }, opts(T0));
    const ttl = (sessionId: string) => ({
      accountId: 'delsess',
      namespace: 'ns',
      sessionId,
      createdAt: T0,
      ttlSeconds: 9,
    });
    await spaces().setSessionTtl(ttl('s1'));
    await spaces().setSessionTtl(ttl('s2'));
    await spaces().setSessionTtl(ttl('only-ttl'));
    assert.equal(await spaces().deleteSession('delsess', 'ns', 's1'), true);
    assert.equal(await docs().getDocument(keyOf('delsess', 'ns', 's1'), T0), null);
    assert.equal(await spaces().getSessionTtl('delsess', 'ns', 's1'), null);
    assert.ok(await docs().getDocument(keyOf('delsess', 'ns', 's2'), T0));
    assert.ok(await spaces().getSessionTtl('delsess', 'ns', 's2'));
    assert.equal(await spaces().deleteSession('delsess', 'ns', 'only-ttl'), true, 'a TTL alone counts');
    assert.equal(await spaces().deleteSession('delsess', 'ns', 's1'), false);
    assert.ok(await spaces().getNamespace('delsess', 'ns'), 'the namespace stays');
  });

  it('purges expired documents in bounded batches and keeps the live ones', async () => {
    const fresh = await factory.create();
    try {
      for (let i = 0; i < 25; i++) {
        await fresh.contextDocuments.mergeDocument(
          keyOf('purge', 'ns', `old-${i}`),
          { i },
          opts(T0, T0 + 100 + i),
        );
      }
      await fresh.contextDocuments.mergeDocument(
        keyOf('purge', 'ns', 'later'),
        { l: 1 },
        opts(T0, T0 + 10_000),
      );
      await fresh.contextDocuments.mergeDocument(keyOf('purge', 'ns', 'never'), { n: 1 }, opts(T0, null));
      await fresh.contextDocuments.mergeDocument(
        keyOf('purge', 'ns', 'edge'),
        { e: 1 },
        opts(T0, T0 + 1_000),
      );
      const now = T0 + 1_000;
      assert.equal(await fresh.contextDocuments.purgeExpiredDocuments(now, 10), 10);
      assert.equal(await fresh.contextDocuments.purgeExpiredDocuments(now, 10), 10);
      assert.equal(
        await fresh.contextDocuments.purgeExpiredDocuments(now, 10),
        6,
        'expiresAt == now is expired',
      );
      assert.equal(await fresh.contextDocuments.purgeExpiredDocuments(now, 10), 0);
      const left = await fresh.contextDocuments.listDocuments('purge', 'ns', {
        offset: 0,
        limit: 100,
        now: T0,
      });
      assert.deepEqual(
        left.map((d) => d.key.sessionId),
        ['later', 'never'],
      );
      assert.equal(
        await fresh.contextDocuments.deleteDocument(keyOf('purge', 'ns', 'old-3')),
        false,
        'really gone',
      );
    } finally {
      await fresh.close();
    }
  });

  it('loses no property when 200 merges with distinct keys race into one document', async () => {
    const key = keyOf('race', 'ns', 'hot');
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        docs().mergeDocument(key, { [`k${i}`]: i }, opts(T0 + i, T0 + 10 ** 9)),
      ),
    );
    assert.ok(outcomes.every((o) => o.ok));
    const found = await docs().getDocument(key, T0 + 500);
    assert.equal(Object.keys(found?.properties ?? {}).length, 200);
    for (let i = 0; i < 200; i++) assert.equal(found?.properties[`k${i}`], i);
  });
});
