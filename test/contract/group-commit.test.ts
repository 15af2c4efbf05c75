import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { createPostgresStore } from '../../src/adapters/postgres/store.js';
import { createSqliteStore } from '../../src/adapters/sqlite/store.js';
import type { DocumentKey } from '../../src/ports/context-store.js';
import type { Store } from '../../src/ports/store.js';
import { tempFolders } from '../helpers/folders.js';
import { postgresAdmin, postgresUnavailable, postgresUrl, uniqueName } from './servers.js';

// Both durable stores commit the context merges asked for in one turn of the event loop together.
const T0 = 1_700_000_000_000;
const key = (sessionId: string): DocumentKey => ({ accountId: 'acct', namespace: 'ns', sessionId });
const opts = (maxChars = 800_000) => ({ now: T0, expiresAt: null, maxChars });

interface Adapter {
  name: string;
  unavailable(): Promise<string | null>;
  /** A fresh store, a second node over the same data where the adapter has several, and raw access. */
  open(): Promise<{
    store: Store;
    second?: Store;
    /** Rows of the document's table for a session, expired ones included. */
    rows(sessionId: string): Promise<number>;
    /** Damages a row the way only something outside the server could. */
    damage(sessionId: string): Promise<void>;
    close(): Promise<void>;
  }>;
}

const dir = tempFolders('group-commit')();

const adapters: Adapter[] = [
  {
    name: 'sqlite',
    unavailable: async () => null,
    async open() {
      const file = join(dir, `${uniqueName('db')}.db`);
      const store = createSqliteStore(file);
      const raw = new Database(file);
      return {
        store,
        rows: async (sessionId) =>
          (
            raw
              .prepare('SELECT count(*) AS n FROM context_documents WHERE session_id = ?')
              .get(sessionId) as {
              n: number;
            }
          ).n,
        damage: async (sessionId) => {
          raw
            .prepare("UPDATE context_documents SET properties = 'not json' WHERE session_id = ?")
            .run(sessionId);
        },
        close: async () => {
          raw.close();
          await store.close();
        },
      };
    },
  },
  {
    name: 'postgres',
    unavailable: postgresUnavailable,
    async open() {
      const schema = uniqueName('test_');
      const store = await createPostgresStore(postgresUrl, { schema, maxConnections: 4 });
      const second = await createPostgresStore(postgresUrl, { schema, maxConnections: 4 });
      return {
        store,
        second,
        rows: async (sessionId) => {
          const found = await postgresAdmin(
            `SELECT count(*)::int AS n FROM ${schema}.context_documents WHERE session_id = $1`,
            [sessionId],
          );
          return Number(found.rows[0]?.n);
        },
        damage: async (sessionId) => {
          await postgresAdmin(
            `UPDATE ${schema}.context_documents SET properties = 'not json' WHERE session_id = $1`,
            [sessionId],
          );
        },
        close: async () => {
          await second.close();
          await store.close();
          await postgresAdmin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        },
      };
    },
  },
];

for (const adapter of adapters) {
  describe(`group commit of context merges: ${adapter.name}`, async () => {
    const reason = await adapter.unavailable();
    const it = (name: string, fn: (opened: Awaited<ReturnType<Adapter['open']>>) => Promise<void>) =>
      test(name, { skip: reason ?? false }, async () => {
        const opened = await adapter.open();
        try {
          await fn(opened);
        } finally {
          await opened.close();
        }
      });

    it('merges asked for together are applied in the order asked, each over the one before', async ({
      store,
    }) => {
      const docs = store.contextDocuments;
      const outcomes = await Promise.all([
        ...Array.from({ length: 20 }, (_, i) =>
          docs.mergeDocument(key('s'), { last: i, [`k${i}`]: i }, opts()),
        ),
        docs.mergeDocument(key('s'), { big: 'x'.repeat(100) }, opts(50)),
        docs.mergeDocument(key('other'), { v: 1 }, opts()),
        docs.mergeDocument(key('s'), { after: true }, opts()),
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.ok),
        [...Array(20).fill(true), false, true, true],
      );
      const found = await docs.getDocument(key('s'), T0);
      assert.equal(found?.properties.last, 19);
      assert.equal(found?.properties.after, true);
      assert.equal(found?.properties.big, undefined, 'the refused merge wrote nothing');
      for (let i = 0; i < 20; i++) assert.equal(found?.properties[`k${i}`], i);
      // Each merge answers with the document as it stood after it, not after the whole group.
      const tenth = outcomes[9];
      assert.ok(tenth?.ok);
      if (tenth?.ok) assert.equal(tenth.document.properties.last, 9);
    });

    it('a refused merge into a new document leaves no row, even inside a group', async ({ store, rows }) => {
      const docs = store.contextDocuments;
      const outcomes = await Promise.all([
        docs.mergeDocument(key('kept'), { v: 1 }, opts()),
        docs.mergeDocument(key('refused'), { big: 'x'.repeat(100) }, opts(50)),
        docs.mergeDocument(key('kept'), { w: 2 }, opts()),
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.ok),
        [true, false, true],
      );
      assert.equal(await rows('refused'), 0);
      assert.deepEqual((await docs.getDocument(key('kept'), T0))?.properties, { v: 1, w: 2 });
    });

    it('a merge that fails inside the shared transaction fails alone; the others are saved', async ({
      store,
      damage,
    }) => {
      const docs = store.contextDocuments;
      await docs.mergeDocument(key('broken'), { a: 1 }, opts());
      await damage('broken');
      const outcomes = await Promise.allSettled([
        docs.mergeDocument(key('one'), { v: 1 }, opts()),
        docs.mergeDocument(key('broken'), { b: 2 }, opts()),
        docs.mergeDocument(key('two'), { v: 2 }, opts()),
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.deepEqual((await docs.getDocument(key('one'), T0))?.properties, { v: 1 });
      assert.deepEqual((await docs.getDocument(key('two'), T0))?.properties, { v: 2 });
    });

    if (adapter.name === 'postgres') {
      it('two nodes merging into the same documents in opposite orders lose nothing', async ({
        store,
        second,
      }) => {
        assert.ok(second);
        const sessions = Array.from({ length: 8 }, (_, i) => `shared-${i}`);
        const rounds = 10;
        const writes: Promise<unknown>[] = [];
        for (let round = 0; round < rounds; round++) {
          for (const s of sessions)
            writes.push(store.contextDocuments.mergeDocument(key(s), { [`a${round}`]: round }, opts()));
          for (const s of [...sessions].reverse())
            writes.push(second.contextDocuments.mergeDocument(key(s), { [`b${round}`]: round }, opts()));
          await new Promise((resolve) => setImmediate(resolve));
        }
        await Promise.all(writes);
        for (const s of sessions) {
          const found = await store.contextDocuments.getDocument(key(s), T0);
          assert.equal(Object.keys(found?.properties ?? {}).length, rounds * 2, `every key of ${s}`);
        }
      });
    }
  });
}
