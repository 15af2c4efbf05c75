import type { Rate } from '../core/account-rate.js';

/**
 * Token buckets that every node shares, one per key: the accounts' request rates of a cluster (REDIS_URL). Only a
 * store shared between processes implements it; one node alone keeps its buckets in memory (AccountRateLimiter).
 */
export interface SharedBuckets {
  /**
   * Takes up to `count` tokens from `key`'s bucket at `rate` (a positive rate and burst), the same bucket whichever
   * node asks: how many it took, and when it took none, the milliseconds until one is there. Rejects when the store
   * cannot answer.
   */
  take(key: string, rate: Rate, count: number): Promise<{ taken: number; waitMs: number }>;
}
