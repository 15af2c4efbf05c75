import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { InProcessBus } from '../../src/adapters/memory/bus.js';
import { PostgresBus } from '../../src/adapters/postgres/bus.js';
import { RedisBus } from '../../src/adapters/redis/bus.js';
import { SqlitePollingBus } from '../../src/adapters/sqlite/bus.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import type { BusEvent, InvalidationBus } from '../../src/ports/bus.js';
import {
  postgresAdmin,
  postgresUnavailable,
  postgresUrl,
  redisUnavailable,
  redisUrl,
  uniqueName,
  waitFor,
} from './servers.js';

/** Two buses as two nodes of one deployment would hold them. */
interface BusPair {
  a: InvalidationBus;
  b: InvalidationBus;
  /** Cuts `a`'s subscription from the server side, as a network failure would. */
  disconnectA?(): Promise<void>;
  close(): Promise<void>;
}

interface BusFactory {
  name: string;
  unavailable(): Promise<string | null>;
  pair(): Promise<BusPair>;
  /** A bus whose server cannot be reached. */
  unreachable?(): InvalidationBus;
}

const closeAll = async (...buses: InvalidationBus[]) => {
  await Promise.all(buses.map((bus) => bus.close()));
};

const factories: BusFactory[] = [
  {
    name: 'in-process',
    unavailable: async () => null,
    pair: async () => {
      const bus = new InProcessBus();
      return { a: bus, b: bus, close: () => bus.close() };
    },
  },
  {
    name: 'sqlite (polling, two processes on one file)',
    unavailable: async () => null,
    pair: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'orchestrator-bus-'));
      const file = join(dir, 'bus.db');
      const a = new SqlitePollingBus(file, 10);
      const b = new SqlitePollingBus(file, 10);
      return {
        a,
        b,
        close: async () => {
          await closeAll(a, b);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'redis',
    unavailable: redisUnavailable,
    pair: async () => {
      const channel = uniqueName('orchestrator:test:');
      const nameA = uniqueName('bus-a-');
      const a = new RedisBus(redisUrl, { channel, connectionName: nameA, heartbeatMs: 500 });
      const b = new RedisBus(redisUrl, { channel, connectionName: uniqueName('bus-b-'), heartbeatMs: 500 });
      const disconnectA = async () => {
        const admin = new Redis(redisUrl);
        try {
          const list = String(await admin.call('CLIENT', 'LIST'));
          const line = list.split('\n').find((l) => l.includes(` name=${nameA}:sub `));
          const id = line?.match(/\bid=(\d+)/)?.[1];
          assert.ok(id, 'subscriber connection listed');
          await admin.call('CLIENT', 'KILL', 'ID', id);
        } finally {
          admin.disconnect();
        }
      };
      return { a, b, disconnectA, close: () => closeAll(a, b) };
    },
    unreachable: () => new RedisBus('redis://127.0.0.1:1', { heartbeatMs: 500 }),
  },
  {
    name: 'postgres',
    unavailable: postgresUnavailable,
    pair: async () => {
      const channel = uniqueName('t_bus_');
      const nameA = uniqueName('bus-a-');
      const a = new PostgresBus(postgresUrl, { channel, applicationName: nameA, heartbeatMs: 500 });
      const b = new PostgresBus(postgresUrl, {
        channel,
        applicationName: uniqueName('bus-b-'),
        heartbeatMs: 500,
      });
      const disconnectA = async () => {
        const { rowCount } = await postgresAdmin(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
          [`${nameA}:listen`],
        );
        assert.equal(rowCount, 1, 'listening connection found');
      };
      return { a, b, disconnectA, close: () => closeAll(a, b) };
    },
    unreachable: () => new PostgresBus('postgres://postgres@127.0.0.1:1/test', { heartbeatMs: 500 }),
  },
];

/** Records what a listener heard, with the bus's health at that moment. */
function record(bus: InvalidationBus): { events: BusEvent[]; healthAtReset: boolean[] } {
  const heard = { events: [] as BusEvent[], healthAtReset: [] as boolean[] };
  bus.subscribe((event) => {
    heard.events.push(event);
    if (event.type === 'reset') heard.healthAtReset.push(bus.healthy());
  });
  return heard;
}

const invalidations = (events: BusEvent[]) =>
  events.flatMap((e) => (e.type === 'invalidate' ? [`${e.topic}/${e.key}`] : []));

const settle = (ms = 150) => new Promise((resolve) => setTimeout(resolve, ms));

for (const factory of factories) {
  describe(`invalidation bus contract: ${factory.name}`, async () => {
    const reason = await factory.unavailable();
    const opened: BusPair[] = [];
    const open = async () => {
      const pair = await factory.pair();
      opened.push(pair);
      await waitFor(() => pair.a.healthy() && pair.b.healthy(), 5_000, 'both buses subscribed');
      return pair;
    };
    after(async () => {
      await Promise.all(opened.map((pair) => pair.close()));
    });
    const it = (name: string, fn: () => Promise<void>, skip?: string) =>
      reason || skip ? test(name, { skip: reason ?? skip }, () => {}) : test(name, fn);

    it('delivers each invalidation once to every node, the publisher included', async () => {
      const { a, b } = await open();
      const heardByA = record(a);
      const heardByB = record(b);
      await a.publish('api-key', 'acct-1');
      await b.publish('client', 'acct-2');
      await waitFor(
        () => invalidations(heardByA.events).length >= 2 && invalidations(heardByB.events).length >= 2,
      );
      await settle();
      assert.deepEqual(invalidations(heardByA.events).sort(), ['api-key/acct-1', 'client/acct-2']);
      assert.deepEqual(invalidations(heardByB.events).sort(), ['api-key/acct-1', 'client/acct-2']);
    });

    it('delivers a burst of invalidations without losing any', async () => {
      const { a, b } = await open();
      const heardByB = record(b);
      const keys = Array.from({ length: 200 }, (_, i) => `acct-${i}`);
      await Promise.all(keys.map((key) => a.publish('token-revoked', key)));
      await waitFor(() => invalidations(heardByB.events).length >= keys.length);
      assert.deepEqual(
        invalidations(heardByB.events).sort(),
        keys.map((key) => `token-revoked/${key}`).sort(),
      );
    });

    it(
      'after a lost connection reports unhealthy with reset, then resubscribes with reset again',
      async () => {
        const pair = await open();
        const heardByA = record(pair.a);
        await pair.disconnectA?.();
        await waitFor(() => heardByA.healthAtReset.length >= 2, 10_000, 'reset on loss and on recovery');
        assert.deepEqual(heardByA.healthAtReset.slice(0, 2), [false, true]);
        assert.equal(pair.a.healthy(), true);
        await pair.b.publish('policies', 'after-recovery');
        await waitFor(() => invalidations(heardByA.events).includes('policies/after-recovery'));
      },
      factory.name === 'in-process' || factory.name.startsWith('sqlite')
        ? 'this bus has no server connection to lose'
        : undefined,
    );

    it(
      'is unhealthy while its server cannot be reached',
      async () => {
        const bus = factory.unreachable?.();
        assert.ok(bus);
        try {
          await settle(300);
          assert.equal(bus.healthy(), false);
        } finally {
          await bus.close();
        }
      },
      factory.unreachable ? undefined : 'an in-process bus has no server',
    );
  });
}

describe('a Redis bus whose server takes the connection and never answers', () => {
  test('a publish fails as unavailable within its timeout, and the heartbeat finds the bus lost', async () => {
    const silent = createServer((socket) => socket.on('data', () => {}));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const bus = new RedisBus(`redis://127.0.0.1:${port}`, { publishTimeoutMs: 200, heartbeatMs: 100 });
    try {
      await assert.rejects(bus.publish('api-key', 'acct-1'), StoreUnavailableError);
      assert.equal(bus.healthy(), false);
    } finally {
      await bus.close();
      silent.close();
    }
  });
});

describe('a remote bus whose server cannot be reached', () => {
  for (const [name, open] of [
    ['Redis', () => new RedisBus('redis://127.0.0.1:1')],
    ['PostgreSQL', () => new PostgresBus('postgres://127.0.0.1:1/none')],
  ] as const) {
    test(`${name}: a publish fails with StoreUnavailableError (a 503 with Retry-After), and says it is not healthy`, async () => {
      // Nothing listens on port 1.
      const bus = open();
      try {
        await assert.rejects(bus.publish('api-key', 'acct-1'), (error: unknown) => {
          assert.ok(error instanceof StoreUnavailableError, String(error));
          assert.equal(error.status, 503);
          return true;
        });
        assert.equal(bus.healthy(), false);
      } finally {
        await bus.close();
      }
    });
  }
});
