import type { Rate } from '../core/account-rate.js';
import { BoundedMap } from '../core/bounded-map.js';
import { LogThrottle } from '../core/log-throttle.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { SharedBuckets } from '../ports/shared-buckets.js';

/**
 * How many tokens a node takes from an account's shared bucket at once: a tenth of the burst and a twentieth of a
 * second's worth at most, one at least. Tokens a node took and has not used yet are the whole error of the sharing
 * (at most that many a node), and the node asks Redis once for that many requests.
 */
export function leaseSize(rate: Rate): number {
  return Math.max(1, Math.min(Math.floor(rate.burst / 10), Math.floor(rate.perSecond / 20)));
}

/** What a node holds of an account's shared bucket. */
interface Lease {
  /** Tokens taken from the shared bucket and not used yet. */
  tokens: number;
  /** The shared bucket was empty: refused here, without asking, until then. */
  refusedUntil: number;
  /** A request for more tokens on its way: the calls that find none wait for it rather than ask again. */
  pending: Promise<void> | null;
}

/**
 * The accounts' request rates counted once for every node, in buckets the nodes share (Redis). A node takes tokens
 * from an account's bucket a few at a time (`leaseSize`) and lets requests through on them; when the bucket is
 * empty, it refuses the account's requests without asking again until the bucket said one is there. Should the
 * shared buckets not answer, it lets the requests through for a second before it asks again (the node's own bucket
 * still holds each node to the rate) and says so in a warning a minute.
 */
export class SharedRate {
  readonly #leases = new BoundedMap<string, Lease>(100_000);
  #refused = 0;
  #downUntil = 0;
  readonly #failures: LogThrottle;

  constructor(
    private readonly buckets: SharedBuckets,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.#failures = new LogThrottle(60_000, () => clock.now());
  }

  /** Requests refused since the node started. */
  get refused(): number {
    return this.#refused;
  }

  /** Forgets what this node holds (a rate changed: tokens taken at the old rate are not spent at the new one). */
  clear(): void {
    this.#leases.clear();
  }

  /**
   * Takes one request of the account at `rate`: 0 when allowed, else the milliseconds until one is. At once when
   * this node holds a token or knows the bucket is empty; else once the shared bucket answers.
   */
  take(accountId: string, rate: Rate): number | Promise<number> {
    const now = this.clock.now();
    if (now < this.#downUntil) return 0;
    let lease = this.#leases.get(accountId);
    if (lease === undefined) {
      lease = { tokens: 0, refusedUntil: 0, pending: null };
      this.#leases.set(accountId, lease);
    }
    if (lease.tokens > 0) {
      lease.tokens--;
      return 0;
    }
    if (lease.refusedUntil > now) {
      this.#refused++;
      return lease.refusedUntil - now;
    }
    lease.pending ??= this.#refill(accountId, rate, lease);
    return lease.pending.then(() => this.take(accountId, rate));
  }

  async #refill(accountId: string, rate: Rate, lease: Lease): Promise<void> {
    try {
      const { taken, waitMs } = await this.buckets.take(accountId, rate, leaseSize(rate));
      lease.tokens += taken;
      if (taken === 0) lease.refusedUntil = this.clock.now() + waitMs;
    } catch (error) {
      this.#downUntil = this.clock.now() + 1_000;
      const heldBack = this.#failures.admit();
      if (heldBack !== null)
        this.log.warn(
          { err: error, heldBack },
          "the accounts' shared request rates cannot be counted now; each node counts its own meanwhile",
        );
    } finally {
      lease.pending = null;
    }
  }
}
