import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createMemoryStore } from '../../src/adapters/memory/store.js';
import { createPostgresStore } from '../../src/adapters/postgres/store.js';
import { createSqliteStore } from '../../src/adapters/sqlite/store.js';
import type { Store } from '../../src/ports/store.js';
import { withContextCache } from '../helpers/stores.js';
import { postgresAdmin, postgresUnavailable, postgresUrl, uniqueName } from './servers.js';

/** A way to get a fresh, empty store; every contract suite runs once per entry. */
export interface StoreFactory {
  name: string;
  /** Why this adapter cannot run here (e.g. its server is not reachable), or null. */
  unavailable(): Promise<string | null>;
  create(): Promise<Store>;
}

/** A store in a schema of its own, dropped on close, so test files can run in parallel on one database. */
async function createIsolatedPostgresStore(): Promise<Store> {
  const schema = uniqueName('test_');
  const store = await createPostgresStore(postgresUrl, { schema, maxConnections: 4 });
  return {
    ...store,
    close: async () => {
      await store.close();
      await postgresAdmin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

export const storeFactories: StoreFactory[] = [
  { name: 'memory', unavailable: async () => null, create: async () => createMemoryStore() },
  { name: 'sqlite', unavailable: async () => null, create: async () => createSqliteStore(':memory:') },
  {
    name: 'sqlite, policy log on its own thread, in files',
    unavailable: async () => null,
    create: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'orchestrator-contract-'));
      const store = createSqliteStore(join(dir, 'orchestrator.db'), { policyLogThread: true });
      return {
        ...store,
        close: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'sqlite behind the context cache',
    unavailable: async () => null,
    create: async () => withContextCache(createSqliteStore(':memory:')),
  },
  { name: 'postgres', unavailable: postgresUnavailable, create: createIsolatedPostgresStore },
];

/** A contract test: skipped, with the reason, when its adapter cannot run here. */
export type ContractTest = (name: string, fn: () => Promise<void>) => void;

/**
 * Runs one contract suite against every adapter. `store` stands for the fresh store of the adapter under
 * test (created before the suite's tests, closed after them).
 */
export function describeStoreContract(
  title: string,
  body: (store: Store, it: ContractTest, factory: StoreFactory) => void,
): void {
  for (const factory of storeFactories) {
    describe(`${title} contract: ${factory.name}`, async () => {
      const reason = await factory.unavailable();
      let current: Store | undefined;
      before(async () => {
        if (!reason) current = await factory.create();
      });
      after(async () => {
        if (!reason) await current?.close();
      });
      const store = new Proxy({} as Store, {
        get: (_target, property) => {
          if (!current) throw new Error('the store is not open yet');
          return current[property as keyof Store];
        },
      });
      const it: ContractTest = (name, fn) =>
        reason ? test(name, { skip: reason }, () => {}) : test(name, fn);
      body(store, it, factory);
    });
  }
}
