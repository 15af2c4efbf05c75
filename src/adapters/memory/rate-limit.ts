import type { RateLimitStore } from '../../ports/rate-limit.js';

/** Fixed-window counters in this process; bounded so a flood of distinct keys cannot grow it without end. */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly maxKeys = 100_000) {}

  async hit(key: string, windowMs: number, now: number): Promise<{ count: number; resetAt: number }> {
    let entry = this.#windows.get(key);
    if (!entry || entry.resetAt <= now) {
      if (!entry && this.#windows.size >= this.maxKeys) this.#sweep(now);
      entry = { count: 0, resetAt: (Math.floor(now / windowMs) + 1) * windowMs };
      this.#windows.set(key, entry);
    }
    entry.count++;
    return { count: entry.count, resetAt: entry.resetAt };
  }

  peek(key: string, now: number): { count: number; resetAt: number } {
    const entry = this.#windows.get(key);
    return entry && entry.resetAt > now ? { ...entry } : { count: 0, resetAt: now };
  }

  async reset(key: string): Promise<void> {
    this.#windows.delete(key);
  }

  #sweep(now: number): void {
    for (const [key, entry] of this.#windows) if (entry.resetAt <= now) this.#windows.delete(key);
    // Still full of live windows: forget the oldest rather than grow; a limit slightly loosened beats no service.
    const excess = this.#windows.size - Math.floor(this.maxKeys * 0.9);
    if (excess > 0) {
      let dropped = 0;
      for (const key of this.#windows.keys()) {
        if (dropped++ >= excess) break;
        this.#windows.delete(key);
      }
    }
  }
}
