import assert from 'node:assert/strict';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  inTransaction,
  longQuery,
  NO_STATEMENT_TIMEOUT,
  openPostgres,
  readTimeoutFor,
} from '../../src/adapters/postgres/database.js';
import { createPostgresStore } from '../../src/adapters/postgres/store.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import type { Store } from '../../src/ports/store.js';
import { postgresAdmin, postgresUnavailable, postgresUrl, uniqueName } from './servers.js';

/**
 * A TCP relay to PostgreSQL that can go silent: while frozen it drops every byte both ways and closes nothing, as a
 * network partition or a frozen server does (a half-open connection).
 */
class FreezingRelay {
  frozen = false;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #target = new URL(postgresUrl);

  constructor() {
    this.#server = createServer((client) => {
      const upstream = connect(Number(this.#target.port || 5432), this.#target.hostname);
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.#sockets.add(from);
        from.on('data', (chunk) => {
          if (!this.frozen) to.write(chunk);
        });
        from.on('error', () => to.destroy());
        from.on('close', () => {
          this.#sockets.delete(from);
          to.destroy();
        });
      }
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const url = new URL(postgresUrl);
    url.host = `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return url.toString();
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

describe('PostgreSQL that stops answering mid-connection', { timeout: 30_000 }, async () => {
  const reason = await postgresUnavailable();
  const it = (name: string, fn: () => Promise<void>) =>
    reason ? test(name, { skip: reason }, () => {}) : test(name, fn);
  const relay = new FreezingRelay();
  const schema = uniqueName('test_');
  let url = '';
  let store: Store;

  before(async () => {
    if (reason) return;
    url = await relay.listen();
    // One connection: a broken one given back to the pool would be the next call's.
    store = await createPostgresStore(url, { schema, maxConnections: 1, statementTimeoutMs: 300 });
  });
  after(async () => {
    if (reason) return;
    await store.close();
    await relay.close();
    await postgresAdmin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it('a call fails as unavailable (503) within its read timeout, and the next one gets a new connection', async () => {
    assert.equal(readTimeoutFor(300), 600);
    assert.equal(readTimeoutFor(15_000), 20_000, 'five seconds of grace at most');
    assert.equal(await store.accounts.createAccount({ accountId: 'before', createdAt: 1 }), true);
    relay.frozen = true;
    const started = Date.now();
    await assert.rejects(store.accounts.getAccount('before'), StoreUnavailableError);
    const waited = Date.now() - started;
    assert.ok(waited >= 500 && waited < 5_000, `gave up after ${waited} ms`);
    relay.frozen = false;
    assert.equal(
      (await store.accounts.getAccount('before'))?.accountId,
      'before',
      'a new connection answers',
    );
  });

  it('a transaction that stops answering: its connection is closed, not given to the next caller', async () => {
    const pool = openPostgres(url, { schema, maxConnections: 1, statementTimeoutMs: 300 });
    try {
      assert.equal((await pool.query('SELECT 1 AS one')).rows[0]?.one, 1);
      relay.frozen = true;
      await assert.rejects(
        inTransaction(pool, (client) => client.query('SELECT 2')),
        /Query read timeout/,
      );
      relay.frozen = false;
      const answer = await inTransaction(pool, (client) => client.query<{ n: number }>('SELECT 3 AS n'));
      assert.equal(answer.rows[0]?.n, 3);
      assert.equal(pool.totalCount, 1, 'the pool holds the new connection alone');
    } finally {
      await pool.end();
    }
  });

  it('a statement allowed to run long (NO_STATEMENT_TIMEOUT, with longQuery) is waited for past the read timeout', async () => {
    const pool = openPostgres(url, { schema, maxConnections: 1, statementTimeoutMs: 300 });
    try {
      const slept = await inTransaction(pool, async (client) => {
        await client.query(NO_STATEMENT_TIMEOUT);
        return longQuery<{ done: boolean }>(client, 'SELECT pg_sleep(1) IS NOT NULL AS done');
      });
      assert.equal(slept.rows[0]?.done, true);
      await assert.rejects(
        pool.query('SELECT pg_sleep(1)'),
        /statement timeout/,
        'the server cancels it otherwise',
      );
    } finally {
      await pool.end();
    }
  });
});
