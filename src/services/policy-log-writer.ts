import { BoundedMap } from '../core/bounded-map.js';
import { LogThrottle } from '../core/log-throttle.js';
import type { PolicyLogEntry, PolicyOutline } from '../ports/policy-store.js';
import type { ServiceContext } from './context.js';

/** SPEC §4: policy logs are kept 7 days. */
export const POLICY_LOG_RETENTION_MS = 7 * 86_400_000;

const MAX_QUEUED = 20_000;
const BATCH = 500;
/**
 * How long an entry may wait for others to share its write: one transaction per call costs several times
 * more than one per few hundred. Reading the log (and shutting down) flushes first.
 */
const FLUSH_DELAY_MS = 50;
/** How often an outline in use is marked so again: far below the retention, so a purge never takes it. */
const OUTLINE_REFRESH_MS = 3_600_000;
const DROP_WARNING_MS = 60_000;
/** A store that is down fails every batch, 20 or more a second on a busy node: one error line a minute says so. */
const FAILURE_LOG_MS = 60_000;

/** What has become of the entries appended to one node's writer since it started (for GET /metrics). */
export interface PolicyLogStats {
  /** Waiting for their batch. */
  queued: number;
  written: number;
  /** Refused because the queue was full, or lost with a batch whose write failed. */
  dropped: number;
}

interface Pending {
  entry: PolicyLogEntry;
  outline: PolicyOutline;
}

/**
 * Writes policy log entries behind the response, in batches: a call never waits for the log, and a log
 * failure never fails a call (it is logged, and the batch is dropped). The queue is bounded; when the
 * store cannot keep up, new entries are dropped and counted rather than held without limit.
 * Each entry's outline is stored before the entry.
 */
export class PolicyLogWriter {
  #queue: Pending[] = [];
  #running: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** A flush due at the end of this turn of the event loop: a full batch is waiting. */
  #immediate: NodeJS.Immediate | null = null;
  #dropped = 0;
  #written = 0;
  /** A full queue is said once a minute. */
  readonly #queueFull: LogThrottle;
  /** Failed batches are said once a minute, with the entries lost since the last line. */
  readonly #failures: LogThrottle;
  /** Outlines stored recently by this node, by `account\0outline`, with when. */
  readonly #outlinesSaved = new BoundedMap<string, number>(10_000);

  constructor(private readonly ctx: ServiceContext) {
    this.#queueFull = new LogThrottle(DROP_WARNING_MS, () => ctx.clock.now());
    this.#failures = new LogThrottle(FAILURE_LOG_MS, () => ctx.clock.now());
  }

  append(entry: PolicyLogEntry, outline: PolicyOutline): void {
    if (this.#queue.length >= MAX_QUEUED) {
      this.#dropped++;
      this.#warnDropped();
      return;
    }
    this.#queue.push({ entry, outline });
    if (this.#running || this.#immediate) return;
    if (this.#queue.length >= BATCH) {
      // Scheduled once, not pushed back by every later entry: a timer set again on each call never fired
      // while calls kept coming less than its delay apart, and the queue filled up and dropped entries.
      this.#immediate = setImmediate(() => {
        this.#immediate = null;
        void this.flush();
      });
      this.#immediate.unref();
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
      this.#timer.unref();
    }
  }

  stats(): PolicyLogStats {
    return { queued: this.#queue.length, written: this.#written, dropped: this.#dropped };
  }

  /** Resolves once everything appended so far is written (or dropped after a failure). */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#immediate = null;
    while (this.#running || this.#queue.length > 0) {
      if (!this.#running) this.#running = this.#writeQueued().finally(() => (this.#running = null));
      await this.#running;
    }
  }

  async #writeQueued(): Promise<void> {
    const batch = this.#queue.splice(0, BATCH);
    try {
      await this.#saveOutlines(batch);
      await this.ctx.store.policyLogs.appendPolicyLogs(batch.map((p) => p.entry));
      this.#written += batch.length;
      const unsaid = this.#failures.takeHeldBack();
      if (unsaid > 0) {
        this.ctx.log.warn(
          { entries: unsaid },
          'the policy log is written again; entries dropped since the last error line',
        );
      }
    } catch (error) {
      this.#dropped += batch.length;
      const heldBack = this.#failures.admit(batch.length);
      if (heldBack === null) return;
      this.ctx.log.error(
        { err: error, entries: heldBack + batch.length },
        'writing the policy log failed; entries dropped (said at most once a minute, with how many since)',
      );
    }
  }

  async #saveOutlines(batch: Pending[]): Promise<void> {
    const now = this.ctx.clock.now();
    const due = new Map<string, PolicyOutline>();
    for (const { outline } of batch) {
      const key = `${outline.accountId}\u0000${outline.id}`;
      const saved = this.#outlinesSaved.get(key);
      if (saved === undefined || now - saved >= OUTLINE_REFRESH_MS) due.set(key, outline);
    }
    for (const [key, outline] of due) {
      await this.ctx.store.policyLogs.saveOutline(outline, now);
      this.#outlinesSaved.set(key, now);
    }
  }

  #warnDropped(): void {
    if (this.#queueFull.admit() === null) return;
    this.ctx.log.warn({ dropped: this.#dropped }, 'policy log queue full; entries dropped');
  }
}
