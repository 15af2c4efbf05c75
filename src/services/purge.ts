import type { Clock } from '../ports/clock.js';
import type { ContextDocumentStore } from '../ports/context-store.js';

export interface PurgeOptions {
  /** Time between runs. */
  intervalMs: number;
  /** Rows deleted per statement: short transactions, so requests never wait long. */
  batchSize: number;
  /** Batches per run at most; what is left waits for the next run. */
  maxBatchesPerRun: number;
  /** Told about a failed run; the purge carries on at the next interval. */
  onError?: (error: unknown) => void;
  /** Told how many rows a run deleted, when it deleted any. */
  onPurged?: (count: number) => void;
}

export interface BatchedPurgeOptions extends PurgeOptions {
  /** Deletes at most `limit` of what is due and resolves with how many it deleted. */
  deleteBatch(limit: number): Promise<number>;
  /** Runs after a run that caught up (its last batch was not full), before the run ends. */
  afterCatchingUp?(): Promise<unknown>;
}

/** Rows a node's background purges deleted since it started (GET /metrics). */
export interface PurgeCounts {
  contextDocuments: number;
  policyLogEntries: number;
  auditEvents: number;
  /** The jti of used client assertions and DPoP proofs, once they could not be taken anyway. */
  usedAssertions: number;
}

export interface Purge {
  /** Runs one purge now (also what the timer calls); resolves with the number deleted. */
  runOnce(): Promise<number>;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Deletes what is due in the background: bounded batches, yielding to the event loop between them, on an
 * unref'd timer (it never keeps the process alive). A backlog of any size is deleted without ever holding
 * the event loop (or, on SQLite, the database) for longer than one batch.
 */
export function startBatchedPurge(options: BatchedPurgeOptions): Purge {
  const { batchSize, maxBatchesPerRun } = options;
  let running: Promise<number> | null = null;
  let stopped = false;

  const purge = async (): Promise<number> => {
    let total = 0;
    for (let batch = 0; batch < maxBatchesPerRun && !stopped; batch++) {
      const deleted = await options.deleteBatch(batchSize);
      total += deleted;
      if (deleted < batchSize) {
        await options.afterCatchingUp?.();
        break;
      }
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
  }, options.intervalMs);
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

export interface ContextPurgeOptions extends Partial<PurgeOptions> {
  store: Pick<ContextDocumentStore, 'purgeExpiredDocuments'>;
  clock: Clock;
}

/**
 * Deletes expired context documents: every minute, 500 per statement, at most 100 statements per run by
 * default. Expired documents are already invisible to readers, so this only reclaims space.
 */
export function startContextPurge(options: ContextPurgeOptions): Purge {
  return startBatchedPurge({
    intervalMs: 60_000,
    batchSize: 500,
    maxBatchesPerRun: 100,
    ...options,
    deleteBatch: (limit) => options.store.purgeExpiredDocuments(options.clock.now(), limit),
  });
}
