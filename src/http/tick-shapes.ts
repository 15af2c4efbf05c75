import { AsyncResource } from 'node:async_hooks';

/** The objects kept, for the life of the process; never read. */
const kept: object[] = [];

/**
 * Keeps `process.nextTick`'s queue entries fast for the life of the process. Node builds each entry as
 * the object literal `{ [async_id_symbol]: …, [trigger_async_id_symbol]: …, callback, args }`. A literal
 * that starts with a computed key hangs its hidden classes off the plain-object class by weak links, and
 * the engine drops them in a full garbage collection that runs while no entry is queued (an idle server, or
 * the collections of a large startup). The next entries then get new hidden classes; after a few such
 * rounds the stores in `nextTick` stop trusting any and take the slow path, for good. Node's HTTP stack
 * queues about nine entries per request: on the benchmark machine this cost 8–15 % of the CPU of a small
 * request (docs/benchmarks.md).
 *
 * One object built the same way, kept for ever, keeps those hidden classes alive. The two symbols are
 * Node's own, read off an `AsyncResource`, which carries the same two; no async hook is enabled (enabling
 * one, even for a moment, would slow every `await` for the rest of the process). The ids are fractions so
 * that the id fields start out in the most general number representation and never change it later, which
 * would replace the hidden classes kept here with new ones. If a Node version builds its entries
 * otherwise, the object kept here is merely unused (test/unit/tick-shapes.test.ts would say so).
 * Idempotent.
 */
export function keepTickShapes(): void {
  if (kept.length > 0) return;
  const symbols = Object.getOwnPropertySymbols(new AsyncResource('orchestrator.tick-shapes'));
  const asyncId = symbols.find((s) => s.description === 'async_id_symbol');
  const triggerId = symbols.find((s) => s.description === 'trigger_async_id_symbol');
  if (asyncId === undefined || triggerId === undefined) return;
  kept.push({ [asyncId]: 0.5, [triggerId]: 0.5, callback: noop, args: undefined });
}

function noop(): void {}

/** The objects kept (for tests). */
export function keptTickEntries(): readonly object[] {
  return kept;
}
