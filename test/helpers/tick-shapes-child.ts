/**
 * Run by test/unit/tick-shapes.test.ts in its own process, with `--expose-gc --allow-natives-syntax`: keeps
 * the queue entries' hidden classes, runs full collections with nothing queued, and prints what it saw.
 * The async hook here only reaches a real queue entry to compare with; the server enables none.
 */
import { createHook } from 'node:async_hooks';
import { setImmediate as turn } from 'node:timers/promises';
import { keepTickShapes, keptTickEntries } from '../../src/http/tick-shapes.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

/** A fresh queue entry with one argument, built by Node's own nextTick. */
function freshEntry(): object {
  let found: object | undefined;
  const hook = createHook({
    init(_id, type, _trigger, resource) {
      if (type === 'TickObject') found = resource;
    },
  });
  hook.enable();
  process.nextTick(() => {}, 1);
  hook.disable();
  if (!found) throw new Error('no queue entry seen');
  return found;
}

keepTickShapes();
keepTickShapes();
const kept = keptTickEntries();
for (let i = 0; i < 6; i++) {
  await turn();
  gc();
}
const fresh = freshEntry();
process.stdout.write(
  `${JSON.stringify({ kept: kept.length, sameShape: kept.length === 1 && haveSameMap(fresh, kept[0] as object) })}\n`,
);
