import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerEach, TurnBatch, type Waiting } from '../../src/core/turn-batch.js';

test('what is asked for in one turn arrives as one batch, in order; a later turn makes another', async () => {
  const batches: number[][] = [];
  const doubler = new TurnBatch<number, number>((batch) => {
    batches.push(batch.map((w) => w.item));
    answerEach(batch, (n) => n * 2);
  });
  const first = await Promise.all([1, 2, 3].map((n) => doubler.add(n)));
  const second = await doubler.add(4);
  assert.deepEqual(first, [2, 4, 6]);
  assert.equal(second, 8);
  assert.deepEqual(batches, [[1, 2, 3], [4]]);
});

test('answerEach fails only the item whose work threw', async () => {
  const batch = new TurnBatch<number, number>((waiting) =>
    answerEach(waiting, (n) => {
      if (n === 2) throw new Error('two');
      return n;
    }),
  );
  const results = await Promise.allSettled([1, 2, 3].map((n) => batch.add(n)));
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
});

test('answerEach with work that answers later: each request follows its own promise', async () => {
  const batch = new TurnBatch<number, number>((waiting) =>
    answerEach(waiting, async (n) => {
      await new Promise((resolve) => setTimeout(resolve, 3 - n));
      if (n === 2) throw new Error('two');
      return n * 10;
    }),
  );
  const results = await Promise.allSettled([1, 2, 3].map((n) => batch.add(n)));
  assert.deepEqual(
    results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
    [10, 'two', 30],
  );
});

test('when the batch runner itself throws, every request of the batch fails instead of waiting', async () => {
  const broken = new TurnBatch<number, number>((_batch: Waiting<number, number>[]) => {
    throw new Error('runner fault');
  });
  const results = await Promise.allSettled([broken.add(1), broken.add(2)]);
  assert.ok(results.every((r) => r.status === 'rejected'));
});
