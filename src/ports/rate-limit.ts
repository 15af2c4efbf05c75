/** Shared counters for fixed-window rate limits. `hit` must be atomic across nodes that share the store. */
export interface RateLimitStore {
  /** Adds one to `key` in the window that contains `now`; returns the count so far and when the window ends. */
  hit(key: string, windowMs: number, now: number): Promise<{ count: number; resetAt: number }>;
  /**
   * The count of `key`'s current window without adding to it (0 when there is none); at once, with no
   * promise, when the counters live in this process.
   */
  peek(
    key: string,
    now: number,
  ): { count: number; resetAt: number } | Promise<{ count: number; resetAt: number }>;
  reset(key: string): Promise<void>;
}
