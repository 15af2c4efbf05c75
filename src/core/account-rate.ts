/**
 * A token bucket per account: `perSecond` requests a second on average, up to `burst` at once. In memory, per
 * node: with N nodes behind a load balancer an account gets up to N times the rate (set it to the total ÷ N).
 * Buckets of accounts not seen lately are dropped (`capacity` accounts at most); a dropped bucket comes back full.
 */
export class AccountRateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  /** Requests refused since the node started (for GET /metrics). */
  refused = 0;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly capacity = 100_000,
  ) {
    if (!(perSecond > 0) || !(burst >= 1)) throw new TypeError('the rate and the burst must be positive');
  }

  /** Takes one request of `accountId` at `now` (ms): 0 when allowed, else the milliseconds until one is. */
  take(accountId: string, now: number): number {
    const bucket = this.#buckets.get(accountId);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.capacity) {
        const oldest = this.#buckets.keys().next();
        if (!oldest.done) this.#buckets.delete(oldest.value);
      }
      this.#buckets.set(accountId, { tokens: this.burst - 1, at: now });
      return 0;
    }
    const elapsed = Math.max(0, now - bucket.at);
    const refilled = Math.min(this.burst, bucket.tokens + (elapsed * this.perSecond) / 1000);
    bucket.at = Math.max(bucket.at, now);
    if (refilled >= 1) {
      bucket.tokens = refilled - 1;
      return 0;
    }
    bucket.tokens = refilled;
    this.refused++;
    return Math.ceil(((1 - refilled) * 1000) / this.perSecond);
  }
}
