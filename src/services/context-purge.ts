import type { Clock } from '../ports/clock.js';
import type { ContextDocumentStore } from '../ports/context-store.js';

export interface ContextPurgeOptions {
  store: Pick<ContextDocumentStore, 'purgeExpiredDocuments'>;
  clock: Clock;
  /** Time between runs (default 60 s). */
  intervalMs?: number;
  /** Documents deleted per statement (default 500): short transactions, so requests never wait long. */
  batchSize?: number;
  /** Batches per run at most (default 100); what is left waits for the next run. */
  maxBatchesPerRun?: number;
  /** Told about a failed run; the purge carries on at the next interval. */
  onError?: (error: unknown) => void;
  /** Told how many documents a run deleted, when it deleted any. */
  onPurged?: (count: number) => void;
}

export interface ContextPurge {
  /** Runs one purge now (also what the timer calls); resolves with the number deleted. */
  runOnce(): Promise<number>;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Deletes expired context documents in the background: bounded batches, yielding to the event loop between
 * them, on an unref'd timer (it never keeps the process alive). Expired documents are already invisible to
 * readers, so this only reclaims space.
 */
export function startContextPurge(options: ContextPurgeOptions): ContextPurge {
  const batchSize = options.batchSize ?? 500;
  const maxBatches = options.maxBatchesPerRun ?? 100;
  let running: Promise<number> | null = null;
  let stopped = false;

  const purge = async (): Promise<number> => {
    let total = 0;
    for (let batch = 0; batch < maxBatches && !stopped; batch++) {
      const deleted = await options.store.purgeExpiredDocuments(options.clock.now(), batchSize);
      total += deleted;
      if (deleted < batchSize) break;
      await yieldToRequests();
    }
    if (total > 0) options.onPurged?.(total);
    return total;
  };

  const runOnce = (): Promise<number> => {
    if (running) return running;
    running = purge().finally(() => {
      running = null;
    });
    return running;
  };

  const timer = setInterval(() => {
    runOnce().catch((error: unknown) => options.onError?.(error));
  }, options.intervalMs ?? 60_000);
  timer.unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}
