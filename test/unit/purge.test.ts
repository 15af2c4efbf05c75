import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startBatchedPurge } from '../../src/services/purge.js';

/** A backlog of `due` rows, deleted `limit` at a time; records each batch and each catch-up. */
function backlog(due: number) {
  const events: string[] = [];
  let left = due;
  return {
    events,
    async deleteBatch(limit: number) {
      const n = Math.min(limit, left);
      left -= n;
      events.push(`batch ${n}`);
      return n;
    },
    async afterCatchingUp() {
      events.push('caught up');
    },
  };
}

const options = { intervalMs: 60_000, batchSize: 100, maxBatchesPerRun: 3 };

describe('batched purge', () => {
  test('runs the catch-up step only once a run has deleted everything due', async () => {
    const rows = backlog(450);
    const purge = startBatchedPurge({ ...options, ...rows });
    assert.equal(await purge.runOnce(), 300);
    assert.deepEqual(rows.events, ['batch 100', 'batch 100', 'batch 100'], 'stopped by the batch limit');
    assert.equal(await purge.runOnce(), 150);
    assert.deepEqual(rows.events.slice(3), ['batch 100', 'batch 50', 'caught up']);
    assert.equal(await purge.runOnce(), 0);
    assert.deepEqual(rows.events.slice(6), ['batch 0', 'caught up']);
    await purge.stop();
  });

  test('yields to other work between batches', async () => {
    const rows = backlog(300);
    const purge = startBatchedPurge({ ...options, ...rows });
    const run = purge.runOnce();
    // Work queued once the run has started gets its turn before the run ends.
    await new Promise<void>((resolve) => setImmediate(resolve));
    rows.events.push('request');
    assert.equal(await run, 300);
    assert.ok(rows.events.indexOf('request') < rows.events.lastIndexOf('batch 100'), rows.events.join(', '));
    await purge.stop();
  });

  test('a run asked for while one is under way is that run', async () => {
    const rows = backlog(10);
    const purge = startBatchedPurge({ ...options, ...rows });
    const [a, b] = [purge.runOnce(), purge.runOnce()];
    assert.equal(a, b);
    assert.equal(await a, 10);
    await purge.stop();
  });

  test('stop ends a run after its current batch', async () => {
    const rows = backlog(1_000);
    const purge = startBatchedPurge({ ...options, maxBatchesPerRun: 100, ...rows });
    const run = purge.runOnce();
    await purge.stop();
    assert.ok((await run) < 1_000);
    assert.ok(!rows.events.includes('caught up'));
  });
});
