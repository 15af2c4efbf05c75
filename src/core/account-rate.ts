/** A request rate: `perSecond` on average, up to `burst` at once. */
export interface Rate {
  perSecond: number;
  burst: number;
}

/**
 * A token bucket per account, each at the rate it is given on each call (so that a rate changed for an account
 * holds from its next request, with the tokens its bucket has). In memory, per node: alone, with N nodes an account
 * would get up to N times the rate; with Redis the shared buckets count once more for all (AccountLimits). Buckets
 * of accounts not seen lately
 * are dropped (`capacity` accounts at most); a dropped bucket comes back full.
 */
export class AccountRateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  /** Requests refused since the node started (for GET /metrics). */
  refused = 0;

  constructor(private readonly capacity = 100_000) {}

  /**
   * Takes one request of `accountId` at `now` (ms) at `rate` (a positive rate and burst): 0 when allowed, else
   * the milliseconds until one is.
   */
  take(accountId: string, now: number, rate: Rate): number {
    const { perSecond, burst } = rate;
    if (!(perSecond > 0) || !(burst >= 1)) throw new TypeError('the rate and the burst must be positive');
    const bucket = this.#buckets.get(accountId);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.capacity) {
        const oldest = this.#buckets.keys().next();
        if (!oldest.done) this.#buckets.delete(oldest.value);
      }
      this.#buckets.set(accountId, { tokens: burst - 1, at: now });
      return 0;
    }
    const elapsed = Math.max(0, now - bucket.at);
    const refilled = Math.min(burst, bucket.tokens + (elapsed * perSecond) / 1000);
    bucket.at = Math.max(bucket.at, now);
    if (refilled >= 1) {
      bucket.tokens = refilled - 1;
      return 0;
    }
    bucket.tokens = refilled;
    this.refused++;
    return Math.ceil(((1 - refilled) * 1000) / perSecond);
  }
}
