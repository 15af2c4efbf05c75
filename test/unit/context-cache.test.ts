import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMemoryStore } from '../../src/adapters/memory/store.js';
import { CachedContextStore, ENTRY_OVERHEAD } from '../../src/adapters/shared/context-cache.js';
import { jsonOf } from '../../src/core/frozen.js';
import type { ContextDocument, ContextDocumentStore, DocumentKey } from '../../src/ports/context-store.js';

const T0 = 1_700_000_000_000;
const key = (sessionId: string, namespace = 'ns', accountId = 'acct'): DocumentKey => ({
  accountId,
  namespace,
  sessionId,
});
const opts = (now = T0, expiresAt: number | null = null) => ({ now, expiresAt, maxChars: 800_000 });

/** The document store's methods, bound to `inner`, with some replaced. */
function delegate(
  inner: ContextDocumentStore,
  replaced: Partial<ContextDocumentStore>,
): ContextDocumentStore {
  return {
    mergeDocument: (...args) => inner.mergeDocument(...args),
    getDocument: (...args) => inner.getDocument(...args),
    deleteProperties: (...args) => inner.deleteProperties(...args),
    deleteDocument: (...args) => inner.deleteDocument(...args),
    listDocuments: (...args) => inner.listDocuments(...args),
    purgeExpiredDocuments: (...args) => inner.purgeExpiredDocuments(...args),
    ...replaced,
  };
}

/** A memory store whose document reads can be held, and that counts them. */
function counted() {
  const store = createMemoryStore();
  const inner = store.contextDocuments;
  let reads = 0;
  let hold: Promise<void> | null = null;
  const documents = delegate(inner, {
    getDocument: async (k: DocumentKey, now: number) => {
      reads++;
      const found = await inner.getDocument(k, now);
      if (hold) await hold;
      return found;
    },
  });
  return {
    store,
    documents,
    reads: () => reads,
    /** Holds the next reads after they read, until the returned function is called. */
    holdReads: () => {
      let release = () => {};
      hold = new Promise((resolve) => {
        release = () => {
          hold = null;
          resolve();
        };
      });
      return release;
    },
  };
}

function cache(budgetChars = 1_000_000) {
  const inner = counted();
  return {
    ...inner,
    cached: new CachedContextStore(inner.documents, inner.store.contextNamespaces, budgetChars),
  };
}

/** What one document written by `fill` counts against the budget: 12 characters of JSON ({"v":"xxxx"}), an
 * 11-character key (4:acct2:ns + id) and the overhead. */
const SMALL = 12 + 11 + ENTRY_OVERHEAD;

/** Writes a small document ({"v":"xxxx"}) for each id, then reads it once, which fills the cache. */
async function fill(cached: CachedContextStore, ids: string[]): Promise<void> {
  for (const id of ids) {
    await cached.mergeDocument(key(id), { v: 'xxxx' }, opts());
    await cached.getDocument(key(id), T0);
  }
}

/** Whether a read of `id` is answered from memory; a read that reaches the store fills the cache. */
async function fromMemory(c: ReturnType<typeof cache>, id: string): Promise<boolean> {
  const before = c.reads();
  await c.cached.getDocument(key(id), T0);
  return c.reads() === before;
}

describe('context read cache', () => {
  test('a second read is answered from memory, frozen, with its JSON remembered', async () => {
    const { cached, reads } = cache();
    await cached.mergeDocument(key('s'), { a: 1, nested: { b: [1, 2] } }, opts());
    const first = (await cached.getDocument(key('s'), T0)) as ContextDocument;
    const second = await cached.getDocument(key('s'), T0);
    assert.equal(reads(), 1);
    assert.equal(second, first);
    assert.equal(cached.stats().hits, 1);
    assert.equal(cached.stats().misses, 1);
    assert.ok(Object.isFrozen(first.properties));
    assert.ok(Object.isFrozen(first.properties.nested));
    assert.throws(() => {
      (first.properties as Record<string, unknown>).a = 2;
    }, TypeError);
    assert.equal(jsonOf(first.properties), '{"a":1,"nested":{"b":[1,2]}}');
  });

  test('every kind of write is seen by the next read', async () => {
    const { cached } = cache();
    const read = async (k = key('s')) => (await cached.getDocument(k, T0))?.properties ?? null;
    await cached.mergeDocument(key('s'), { a: 1 }, opts());
    assert.deepEqual(await read(), { a: 1 });
    await cached.mergeDocument(key('s'), { b: 2 }, opts());
    assert.deepEqual(await read(), { a: 1, b: 2 });
    await cached.deleteProperties(key('s'), ['a'], T0);
    assert.deepEqual(await read(), { b: 2 });
    await cached.deleteDocument(key('s'));
    assert.equal(await read(), null);
    await cached.mergeDocument(key('s'), { c: 3 }, opts());
    assert.deepEqual(await read(), { c: 3 });
    await cached.deleteSession('acct', 'ns', 's');
    assert.equal(await read(), null);
    await cached.mergeDocument(key('s'), { d: 4 }, opts());
    await cached.mergeDocument(key('t', 'other'), { e: 5 }, opts());
    assert.deepEqual(await read(), { d: 4 });
    assert.deepEqual(await read(key('t', 'other')), { e: 5 });
    await cached.deleteNamespace('acct', 'ns');
    assert.equal(await read(), null);
    assert.deepEqual(await read(key('t', 'other')), { e: 5 }, 'another namespace is kept');
  });

  test('a cached document is not served once it has expired', async () => {
    const { cached, reads } = cache();
    await cached.mergeDocument(key('s'), { a: 1 }, opts(T0, T0 + 1_000));
    assert.ok(await cached.getDocument(key('s'), T0));
    assert.ok(await cached.getDocument(key('s'), T0 + 999));
    assert.equal(reads(), 1);
    assert.equal(await cached.getDocument(key('s'), T0 + 1_000), null);
    assert.equal(cached.stats().documents, 0);
  });

  test('a read that started before a write finished does not fill the cache with what it read', async () => {
    const { cached, holdReads } = cache();
    await cached.mergeDocument(key('s'), { v: 'old' }, opts());
    const release = holdReads();
    const stale = cached.getDocument(key('s'), T0);
    await cached.mergeDocument(key('s'), { v: 'new' }, opts());
    release();
    assert.deepEqual((await stale)?.properties, { v: 'old' }, 'the read answers what it read');
    assert.deepEqual((await cached.getDocument(key('s'), T0))?.properties, { v: 'new' });
  });

  test('a failed write still drops the entry', async () => {
    const { documents, store } = cache();
    let failNext = false;
    const failing = new CachedContextStore(
      delegate(documents, {
        mergeDocument: async (...args) =>
          failNext ? Promise.reject(new Error('disk full')) : documents.mergeDocument(...args),
      }),
      store.contextNamespaces,
      1_000_000,
    );
    await failing.mergeDocument(key('s'), { a: 1 }, opts());
    await failing.getDocument(key('s'), T0);
    assert.equal(failing.stats().documents, 1);
    failNext = true;
    await assert.rejects(failing.mergeDocument(key('s'), { a: 2 }, opts()), /disk full/);
    assert.equal(failing.stats().documents, 0);
  });

  test('stays within its budget, dropping the least recently read documents first', async () => {
    const c = cache(3 * SMALL);
    const { cached } = c;
    await fill(cached, ['a', 'b', 'c']);
    assert.equal(cached.stats().documents, 3);
    assert.equal(cached.stats().chars, 3 * SMALL);
    await cached.getDocument(key('a'), T0); // a is now the most recently read
    await fill(cached, ['d']);
    assert.equal(cached.stats().documents, 3);
    assert.equal(cached.stats().chars, 3 * SMALL);
    assert.equal(cached.stats().evictions, 1);
    assert.ok(await fromMemory(c, 'a'), 'a stayed');
    assert.ok(!(await fromMemory(c, 'b')), 'b, the least recently read, left');
  });

  test('a document read between fills stays however many others come and go (second chance)', async () => {
    const c = cache(2 * SMALL);
    const { cached } = c;
    await fill(cached, ['a', 'b']);
    for (const id of ['c', 'd', 'e', 'f']) {
      assert.ok(await fromMemory(c, 'a'), `a still cached before ${id} arrives`);
      await fill(cached, [id]);
      assert.equal(cached.stats().documents, 2);
    }
    // No longer read, a is moved back once more (its mark cleared) and then leaves like any other.
    await fill(cached, ['g', 'h', 'i']);
    assert.ok(await fromMemory(c, 'i'), 'i stayed');
    assert.ok(!(await fromMemory(c, 'a')), 'a left');
  });

  test('a document read only once leaves before documents read again (a one-off read cannot push them out)', async () => {
    const c = cache(2 * SMALL);
    const { cached } = c;
    await fill(cached, ['a', 'b']);
    assert.ok(await fromMemory(c, 'a')); // read again
    assert.ok(await fromMemory(c, 'b'));
    await fill(cached, ['c']); // a one-off read: fills, and is the one to leave
    assert.equal(cached.stats().documents, 2);
    assert.ok(await fromMemory(c, 'a'), 'a stayed');
    assert.ok(await fromMemory(c, 'b'), 'b stayed');
    assert.ok(!(await fromMemory(c, 'c')), 'c left');
  });

  test('a document larger than the whole budget is answered but not kept', async () => {
    const { cached } = cache(ENTRY_OVERHEAD + 10);
    await cached.mergeDocument(key('s'), { a: 'a long value' }, opts());
    assert.deepEqual((await cached.getDocument(key('s'), T0))?.properties, { a: 'a long value' });
    assert.equal(cached.stats().documents, 0);
    assert.equal(cached.stats().chars, 0);
  });

  test('keys cannot run into each other whatever the parts hold', async () => {
    const { cached } = cache();
    await cached.mergeDocument(key('c', 'b', 'a'), { which: 1 }, opts());
    await cached.mergeDocument(key('c', 'b1', 'a'), { which: 2 }, opts());
    await cached.mergeDocument(key('1c', 'b', 'a'), { which: 3 }, opts());
    for (const [k, which] of [
      [key('c', 'b', 'a'), 1],
      [key('c', 'b1', 'a'), 2],
      [key('1c', 'b', 'a'), 3],
    ] as const) {
      await cached.getDocument(k, T0);
      assert.deepEqual((await cached.getDocument(k, T0))?.properties, { which });
    }
  });
});
