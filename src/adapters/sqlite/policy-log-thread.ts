import type { Worker } from 'node:worker_threads';
import { startThread, terminateThread } from '../../core/threads.js';
import type {
  PolicyLogEntry,
  PolicyLogSearch,
  PolicyLogStore,
  PolicyOutline,
} from '../../ports/policy-store.js';
import type { LogAnswer, LogCall } from './policy-log-protocol.js';

interface Waiting {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * The SQLite policy log, written and read by a thread of its own with its own connection to the log's
 * file (policy-log-file.ts), so that the inserts of a busy node (a B-tree insert per index for every next
 * action; with many conversations each entry lands on a page of its own) run on another core than the
 * event loop. Calls are answered in the order they were made.
 *
 * A thread that stops (a crash, an exception) fails the calls waiting for it; after a pause
 * (`restartDelayMs`) the next call starts a new one. The writer counts a failed batch as dropped entries,
 * and a failed search is an error to its caller: nothing waits for ever. The thread keeps the process alive only while a call waits for it, so that
 * shutting down still writes the last batch.
 */
export class ThreadedPolicyLogStore implements PolicyLogStore {
  #worker: Worker | null = null;
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 0;
  #closed = false;
  /** No new thread before this time (ms since the epoch): a thread that cannot start must not loop. */
  #restartAt = 0;
  readonly #restartDelayMs: number;

  /**
   * `restartDelayMs`: after a thread stops, calls fail at once for this long before a new thread is
   * started (1 s by default), so that one that cannot start (an unreadable file, say) is not started again
   * for every batch.
   */
  constructor(
    private readonly file: string,
    options: { restartDelayMs?: number } = {},
  ) {
    this.#restartDelayMs = options.restartDelayMs ?? 1_000;
  }

  saveOutline(outline: PolicyOutline, now: number): Promise<void> {
    return this.#call('saveOutline', [outline, now]);
  }

  getOutlines(accountId: string, ids: string[]): Promise<PolicyOutline[]> {
    return this.#call('getOutlines', [accountId, ids]);
  }

  appendPolicyLogs(entries: PolicyLogEntry[]): Promise<void> {
    return this.#call('appendPolicyLogs', [entries]);
  }

  searchPolicyLogs(filter: PolicyLogSearch): Promise<PolicyLogEntry[]> {
    return this.#call('searchPolicyLogs', [filter]);
  }

  purgePolicyLogsBefore(cutoff: number, limit: number): Promise<number> {
    return this.#call('purgePolicyLogsBefore', [cutoff, limit]);
  }

  purgePolicyOutlinesBefore(cutoff: number): Promise<number> {
    return this.#call('purgePolicyOutlinesBefore', [cutoff]);
  }

  /**
   * Waits for the calls made so far, closes the thread's connection and ends the thread. Calls made from
   * now on are refused.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    const worker = this.#worker;
    const closing = worker ? this.#call('close', []).catch(() => undefined) : undefined;
    this.#closed = true;
    if (worker) {
      await closing;
      await terminateThread(worker);
    }
  }

  /** Ends the thread as a crash would (for tests). */
  async crashForTest(): Promise<void> {
    if (this.#worker) await terminateThread(this.#worker);
  }

  #call<T>(method: LogCall['method'], args: unknown[]): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('the policy log store is closed'));
    if (!this.#worker && Date.now() < this.#restartAt)
      return Promise.reject(new Error('the policy log thread stopped; a new one starts shortly'));
    const worker = this.#worker ?? this.#start();
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.#waiting.size === 0) worker.ref();
      this.#waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ id, method, args } satisfies LogCall);
    });
  }

  #start(): Worker {
    const worker = startThread(new URL('./policy-log-worker.js', import.meta.url), { file: this.file });
    worker.unref();
    worker.on('message', (answer: LogAnswer) => {
      const waiting = this.#waiting.get(answer.id);
      if (!waiting) return;
      this.#waiting.delete(answer.id);
      if (this.#waiting.size === 0) worker.unref();
      if (answer.ok) waiting.resolve(answer.value);
      else waiting.reject(new Error(answer.message));
    });
    worker.on('error', (error) => this.#stopped(worker, error.message));
    worker.on('exit', (code) => this.#stopped(worker, `exit code ${code}`));
    this.#worker = worker;
    return worker;
  }

  #stopped(worker: Worker, why: string): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    this.#restartAt = Date.now() + this.#restartDelayMs;
    const error = new Error(`the policy log thread stopped (${why})`);
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
  }
}
