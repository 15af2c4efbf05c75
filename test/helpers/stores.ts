import { withContextCache as cache } from '../../src/adapters/shared/context-cache.js';
import type { Store } from '../../src/ports/store.js';

/** The store with its context documents behind the read cache a SQLite server puts there. */
export function withContextCache(store: Store, budgetChars = 1_000_000): Store {
  return cache(store, budgetChars);
}
