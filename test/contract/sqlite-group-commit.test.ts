import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { createSqliteStore } from '../../src/adapters/sqlite/store.js';
import type { DocumentKey } from '../../src/ports/context-store.js';

// The SQLite store commits the merges asked for in one turn of the event loop together (group commit).
const T0 = 1_700_000_000_000;
const dir = mkdtempSync(join(tmpdir(), 'orchestrator-group-commit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const key = (sessionId: string): DocumentKey => ({ accountId: 'acct', namespace: 'ns', sessionId });
const opts = (maxChars = 800_000) => ({ now: T0, expiresAt: null, maxChars });

test('merges asked for together are applied in the order asked, each over the one before', async () => {
  const store = createSqliteStore(join(dir, 'order.db'));
  try {
    const docs = store.contextDocuments;
    const outcomes = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) =>
        docs.mergeDocument(key('s'), { last: i, [`k${i}`]: i }, opts()),
      ),
      docs.mergeDocument(key('s'), { big: 'x'.repeat(100) }, opts(50)),
      docs.mergeDocument(key('s'), { after: true }, opts()),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.ok),
      [...Array(20).fill(true), false, true],
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
  } finally {
    await store.close();
  }
});

test('a merge that fails inside the shared transaction fails alone; the others are saved', async () => {
  const file = join(dir, 'failure.db');
  const store = createSqliteStore(file);
  try {
    const docs = store.contextDocuments;
    await docs.mergeDocument(key('broken'), { a: 1 }, opts());
    // A row that cannot be read back (damaged outside the server) makes its merge throw.
    const other = new Database(file);
    other.prepare("UPDATE context_documents SET properties = 'not json' WHERE session_id = 'broken'").run();
    other.close();
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
  } finally {
    await store.close();
  }
});
