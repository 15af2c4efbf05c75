import { createHook } from 'node:async_hooks';

/** The objects kept, for the life of the process; never read. */
const kept: object[] = [];

/**
 * Keeps `process.nextTick`'s queue entries fast for the life of the process. Node builds each entry as
 * an object literal with computed keys, so its hidden classes hang off the plain-object class by weak
 * links, and the engine drops them in a full garbage collection that runs while no entry is queued (an
 * idle server, or the collections of a large startup). The next entries then get new hidden classes; after
 * a few such rounds the stores in `nextTick` stop trusting any and take the slow path, for good. Node's
 * HTTP stack queues about nine entries per request: on the benchmark machine this cost 8–15 % of the
 * CPU of a small request (docs/benchmarks.md).
 *
 * Holding one entry of each form (with and without arguments) keeps those hidden classes alive. The only
 * public way to reach an entry is an async hook's `init`, enabled here for two calls and disabled at once.
 * Idempotent; the two queued callbacks do nothing.
 */
export function keepTickShapes(): void {
  if (kept.length > 0) return;
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === 'TickObject') kept.push(resource);
    },
  });
  hook.enable();
  try {
    process.nextTick(noop);
    process.nextTick(noop, undefined);
  } finally {
    hook.disable();
  }
}

function noop(): void {}

/** The entries kept (for tests). */
export function keptTickEntries(): readonly object[] {
  return kept;
}
