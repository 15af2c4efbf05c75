import { createMemoryStore } from '../../src/adapters/memory/store.js';
import { createSqliteStore } from '../../src/adapters/sqlite/store.js';
import type { Store } from '../../src/ports/store.js';

/** A way to get a fresh, empty store; every contract suite runs once per entry. */
export interface StoreFactory {
  name: string;
  /** Why this adapter cannot run here (e.g. its server is not reachable), or null. */
  unavailable(): Promise<string | null>;
  create(): Promise<Store>;
}

export const storeFactories: StoreFactory[] = [
  { name: 'memory', unavailable: async () => null, create: async () => createMemoryStore() },
  { name: 'sqlite', unavailable: async () => null, create: async () => createSqliteStore(':memory:') },
];
