import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { MemoryContextStore } from '../../src/adapters/memory/context-store.js';
import { AppError } from '../../src/core/errors.js';
import { ContextService, documentKeyOf } from '../../src/services/context-service.js';
import { startContextPurge } from '../../src/services/purge.js';

const T0 = 1_700_000_000_000;
const DAY = 86_400;

function setup(maxRetentionSeconds = 0, maxDocumentChars?: number) {
  const clock = {
    t: T0,
    now() {
      return this.t;
    },
  };
  const store = new MemoryContextStore();
  const service = new ContextService(
    { contextDocuments: store, contextNamespaces: store },
    clock,
    maxDocumentChars === undefined ? { maxRetentionSeconds } : { maxRetentionSeconds, maxDocumentChars },
  );
  return { clock, store, service };
}

/**
 * Fails with an AppError of `code`, whether as a rejected promise or, for reads that may answer at once (a
 * read cache hit), as a throw.
 */
const rejects = (call: () => unknown, code: string, detail?: RegExp) =>
  assert.rejects(Promise.resolve().then(call), (error: unknown) => {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, code);
    if (detail) assert.match(error.detail ?? '', detail);
    return true;
  });

const a = (namespace: string, sessionId?: string) => ({ accountId: 'acct', namespace, sessionId });

describe('context service', () => {
  let ctx: ReturnType<typeof setup>;
  beforeEach(() => {
    ctx = setup();
  });

  test('refuses invalid and reserved namespaces, bad session ids and property names', async () => {
    const { service } = ctx;
    await rejects(() => service.mergeProperties(a('consumer'), { x: 1 }), 'reserved_namespace', /reserved/);
    await rejects(() => service.createNamespace('acct', 'FAAS'), 'reserved_namespace');
    await rejects(() => service.mergeProperties(a('bad-name'), { x: 1 }), 'validation_failed', /namespace/);
    await rejects(() => service.mergeProperties(a('ns', 'a/b'), { x: 1 }), 'validation_failed', /sessionId/);
    await rejects(() => service.mergeProperties(a('ns'), { '': 1 }), 'validation_failed', /property name/);
    await rejects(() => service.setProperty(a('ns'), 'x\n', 1), 'validation_failed');
    await rejects(() => service.getProperty(a('ns'), 'a/b'), 'validation_failed');
    for (const payload of [null, [], 'text', 3]) {
      await rejects(() => service.mergeProperties(a('ns'), payload), 'validation_failed', /JSON object/);
    }
    assert.deepEqual(await service.listNamespaces('acct'), [], 'nothing written');
  });

  test('merges, reads all, some, one; 404 for what is not there', async () => {
    const { service } = ctx;
    await service.mergeProperties(a('ns'), { a: 1, b: 'two' });
    await service.setProperty(a('ns'), 'c', { deep: [1] });
    await service.setProperty(a('ns', 's1'), 'a', 'session');
    assert.deepEqual(await service.getProperties(a('ns')), { a: 1, b: 'two', c: { deep: [1] } });
    assert.deepEqual(await service.getProperties(a('ns', '__default__')), {
      a: 1,
      b: 'two',
      c: { deep: [1] },
    });
    assert.deepEqual(await service.getProperties(a('ns'), ['a', 'c', 'zz']), { a: 1, c: { deep: [1] } });
    assert.equal(await service.getProperty(a('ns', 's1'), 'a'), 'session');
    assert.deepEqual(await service.getProperties(a('ns', 'nobody')), {});
    await rejects(() => service.getProperty(a('ns', 's1'), 'b'), 'not_found');
    await rejects(() => service.getProperty(a('ns', 's1'), 'toString'), 'not_found');
    await rejects(() => service.getDocument(a('ns', 'nobody')), 'not_found');
    assert.deepEqual(await service.selectProperties(a('ns'), ['ns.a', 'ns.zz', 'ns.b']), {
      'ns.a': 1,
      'ns.b': 'two',
    });
    await rejects(() => service.selectProperties(a('ns'), ['other.a']), 'validation_failed', /qualified/);
  });

  test('a __proto__ property set by name is stored as data', async () => {
    const { service } = ctx;
    await service.setProperty(a('ns'), '__proto__', { polluted: true });
    assert.deepEqual(await service.getProperty(a('ns'), '__proto__'), { polluted: true });
    assert.equal(JSON.stringify(await service.getProperties(a('ns'))), '{"__proto__":{"polluted":true}}');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('TTL: namespace, then session (0 = never overrides), then the write; refreshed on each write', async () => {
    const { service, clock } = ctx;
    await service.createNamespace('acct', 'ns', 60);
    assert.equal((await service.mergeProperties(a('ns', 's'), { x: 1 })).expiresAt, T0 + 60_000);
    await service.setSessionTtl('acct', 'ns', 's', 30);
    clock.t += 10_000;
    assert.equal((await service.mergeProperties(a('ns', 's'), { y: 1 })).expiresAt, clock.t + 30_000);
    await service.setSessionTtl('acct', 'ns', 'forever', 0);
    assert.equal((await service.mergeProperties(a('ns', 'forever'), { y: 1 })).expiresAt, null);
    assert.equal((await service.mergeProperties(a('ns', 's'), { z: 1 }, 5)).expiresAt, clock.t + 5_000);
    assert.equal((await service.mergeProperties(a('ns', 'other'), { z: 1 }, 0)).expiresAt, null);
    await service.createNamespace('acct', 'ns', 0);
    assert.equal(
      (await service.listNamespaces('acct'))[0]?.ttlSeconds,
      null,
      'v1 0 clears the namespace TTL',
    );
    await service.createNamespace('acct', 'ns');
    assert.equal((await service.mergeProperties(a('ns', 'x'), { z: 1 })).expiresAt, null);
    clock.t += 5_000;
    assert.deepEqual(await service.getProperties(a('ns', 's')), {}, 'expired: gone');
    assert.deepEqual(await service.getProperties(a('ns', 'forever')), { y: 1 });
  });

  test('the maximum retention caps "never" and refuses longer TTLs with 400', async () => {
    const { service } = setup(30 * DAY);
    assert.equal((await service.mergeProperties(a('ns'), { x: 1 })).expiresAt, T0 + 30 * DAY * 1000);
    assert.equal((await service.mergeProperties(a('ns'), { x: 1 }, 0)).expiresAt, T0 + 30 * DAY * 1000);
    assert.equal(
      (await service.mergeProperties(a('ns'), { x: 1 }, 30 * DAY)).expiresAt,
      T0 + 30 * DAY * 1000,
    );
    await rejects(
      () => service.mergeProperties(a('ns'), { x: 1 }, 30 * DAY + 1),
      'validation_failed',
      /maximum retention/,
    );
    await rejects(
      () => service.createNamespace('acct', 'ns', 30 * DAY + 1),
      'validation_failed',
      /ttlSecond/,
    );
    await rejects(() => service.setSessionTtl('acct', 'ns', 's', 30 * DAY + 1), 'validation_failed');
    await rejects(() => service.mergeProperties(a('ns'), { x: 1 }, -1), 'validation_failed');
  });

  test('a document over the limit is refused with document_too_large and nothing saved', async () => {
    const { service } = setup(0, 50);
    await service.mergeProperties(a('ns'), { a: 'x'.repeat(20) });
    await rejects(
      () => service.mergeProperties(a('ns'), { b: 'y'.repeat(30) }),
      'document_too_large',
      /^document too large$/,
    );
    assert.deepEqual(await service.getProperties(a('ns')), { a: 'x'.repeat(20) });
  });

  test('deletes properties, documents, sessions and namespaces', async () => {
    const { service } = ctx;
    await service.mergeProperties(a('ns', 's'), { a: 1, b: 2 });
    await service.setSessionTtl('acct', 'ns', 's', 100);
    assert.equal(await service.deleteProperties(a('ns', 's'), ['a']), true);
    assert.deepEqual(await service.getProperties(a('ns', 's')), { b: 2 });
    assert.equal(await service.clearDocument(a('ns', 's')), true);
    assert.deepEqual(await service.getProperties(a('ns', 's')), {});
    assert.equal((await service.listSessionTtls('acct', 'ns')).length, 1, 'clearing keeps the TTL');
    assert.equal(await service.deleteSession('acct', 'ns', 's'), true);
    assert.deepEqual(await service.listSessionTtls('acct', 'ns'), []);
    await service.mergeProperties(a('ns', 's2'), { c: 1 });
    assert.equal(await service.deleteNamespace('acct', 'ns'), true);
    assert.deepEqual(await service.listNamespaces('acct'), []);
  });

  test('pages sessions and refuses bad paging', async () => {
    const { service } = ctx;
    for (const s of ['c', 'a', 'b']) await service.mergeProperties(a('ns', s), { s });
    const ids = async (page: number, perPage: number) =>
      (await service.listSessions('acct', 'ns', { page, perPage })).map((d) => d.key.sessionId);
    assert.deepEqual(await ids(0, 2), ['a', 'b']);
    assert.deepEqual(await ids(1, 2), ['c']);
    await rejects(
      () => service.listSessions('acct', 'ns', { page: -1, perPage: 10 }),
      'validation_failed',
      /^page must/,
    );
    await rejects(() => service.listSessions('acct', 'ns', { page: 0, perPage: 1001 }), 'validation_failed');
    await rejects(() => service.listSessions('acct', 'ns', { page: 0, perPage: 0 }), 'validation_failed');
  });

  test('documentKey: acct:ns:session, empty session for namespace level', () => {
    assert.equal(documentKeyOf({ accountId: 'le1', namespace: 'ns', sessionId: 's' }), 'le1:ns:s');
    assert.equal(documentKeyOf({ accountId: 'le1', namespace: 'ns', sessionId: '__default__' }), 'le1:ns:');
  });
});

describe('context purge', () => {
  test('deletes in bounded batches until nothing expired is left, then stops', async () => {
    const calls: number[] = [];
    let left = 1_250;
    const store = {
      async purgeExpiredDocuments(_now: number, limit: number) {
        const n = Math.min(limit, left);
        left -= n;
        calls.push(n);
        return n;
      },
    };
    const purged: number[] = [];
    const purge = startContextPurge({
      store,
      clock: { now: () => T0 },
      intervalMs: 60_000,
      batchSize: 500,
      maxBatchesPerRun: 2,
      onPurged: (n) => purged.push(n),
    });
    assert.equal(await purge.runOnce(), 1_000, 'at most maxBatchesPerRun batches');
    assert.equal(await purge.runOnce(), 250);
    assert.equal(await purge.runOnce(), 0);
    assert.deepEqual(calls, [500, 500, 250, 0]);
    assert.deepEqual(purged, [1_000, 250]);
    await purge.stop();
    assert.equal(await purge.runOnce(), 0);
  });

  test('runs on its timer and reports failures without stopping', async () => {
    let runs = 0;
    const errors: unknown[] = [];
    const purge = startContextPurge({
      store: {
        async purgeExpiredDocuments() {
          runs++;
          if (runs === 1) throw new Error('store down');
          return 0;
        },
      },
      clock: { now: () => T0 },
      intervalMs: 5,
      onError: (e) => errors.push(e),
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    await purge.stop();
    assert.ok(runs >= 2, `ran ${runs} times`);
    assert.equal(errors.length, 1);
  });

  test('purges through a real store', async () => {
    const { service, store, clock } = setup();
    await service.mergeProperties(a('ns', 'old'), { x: 1 }, 1);
    await service.mergeProperties(a('ns', 'new'), { x: 1 }, 100);
    clock.t += 2_000;
    const purge = startContextPurge({ store, clock, batchSize: 1 });
    assert.equal(await purge.runOnce(), 1);
    await purge.stop();
    assert.equal(await store.deleteDocument({ accountId: 'acct', namespace: 'ns', sessionId: 'old' }), false);
  });
});
