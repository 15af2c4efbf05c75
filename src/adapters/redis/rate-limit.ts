import { Redis } from 'ioredis';
import type { Rate } from '../../core/account-rate.js';
import type { RateLimitStore } from '../../ports/rate-limit.js';
import type { SharedBuckets } from '../../ports/shared-buckets.js';
import { rethrowRedisFailure } from './unavailable.js';

/**
 * One hash per key: `w` = window number, `r` = when it ends, `c` = count. A hit from a newer window starts it
 * at 0; a hit from an older one (a node whose clock lags) counts in the newer window rather than resetting it.
 * The whole read-modify-write is one script, so hits from any number of nodes are counted exactly.
 */
const HIT_SCRIPT = `
local stored = tonumber(redis.call('HGET', KEYS[1], 'w'))
if stored == nil or stored < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'w', ARGV[1], 'r', ARGV[2], 'c', 0)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return {redis.call('HINCRBY', KEYS[1], 'c', 1), redis.call('HGET', KEYS[1], 'r')}
`;

/**
 * A token bucket as GCRA (the generic cell rate algorithm): the key holds the bucket's "theoretical arrival time" in
 * microseconds of the Redis server's clock (one clock for every node); the bucket holds as many tokens as intervals
 * fit between that time and now plus the burst. Takes up to the count asked for and moves the time on by as many
 * intervals; with none there, writes nothing and answers how many microseconds until one is. ARGV: the interval in
 * microseconds, the burst, the count. Answers {taken, wait}.
 */
const BUCKET_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local available = math.floor((now + burst * interval - tat) / interval)
if available < 1 then return {0, math.max(1, math.ceil(tat + interval - burst * interval - now))} end
local taken = math.min(tonumber(ARGV[3]), available)
local next = tat + taken * interval
redis.call('SET', KEYS[1], string.format('%d', next), 'PX', math.ceil((next - now) / 1000) + 1)
return {taken, 0}
`;

type BucketScript = (
  key: string,
  intervalUs: string,
  burst: string,
  count: string,
) => Promise<[number, number]>;

type HitScript = (
  key: string,
  window: string,
  resetAt: string,
  expireAt: string,
) => Promise<[number, string]>;

export interface RedisRateLimitOptions {
  /** Put before every key, so several deployments can share one Redis. */
  keyPrefix?: string;
  connectionName?: string;
  /** How long a call waits for Redis's answer before it fails as unavailable (default 1,000 ms). */
  commandTimeoutMs?: number;
}

/** Fixed-window counters and token buckets shared by every node through Redis. */
export class RedisRateLimitStore implements RateLimitStore, SharedBuckets {
  readonly #redis: Redis;
  readonly #prefix: string;

  /**
   * Every call rejects with StoreUnavailableError when Redis cannot be reached or cannot work now, so that a
   * sign-in is refused with 503 and Retry-After, never let through unlimited.
   */
  constructor(url: string, options: RedisRateLimitOptions = {}) {
    this.#prefix = options.keyPrefix ?? 'orchestrator:rl:';
    // Fail fast: a limiter that waits for Redis to come back holds every request up with it.
    this.#redis = new Redis(url, {
      connectionName: options.connectionName ?? 'orchestrator-rate-limit',
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
      // A Redis that takes the connection and never answers (hung, or a partition that drops packets) would
      // otherwise hold every sign-in and every rate-limited call until the operating system gives up.
      commandTimeout: options.commandTimeoutMs ?? 1_000,
      // The sign-in guard reads two counters at once: they travel in one round trip.
      enableAutoPipelining: true,
    });
    this.#redis.on('error', () => {});
    this.#redis.defineCommand('orchestratorHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    this.#redis.defineCommand('orchestratorBucket', { numberOfKeys: 1, lua: BUCKET_SCRIPT });
  }

  async take(key: string, rate: Rate, count: number): Promise<{ taken: number; waitMs: number }> {
    const { perSecond, burst } = rate;
    if (!(perSecond > 0) || !(burst >= 1) || !(Number.isInteger(count) && count >= 1))
      throw new TypeError('the rate, the burst and the count must be positive');
    const bucket = (this.#redis as unknown as { orchestratorBucket: BucketScript }).orchestratorBucket;
    const [taken, waitUs] = await bucket
      .call(
        this.#redis,
        `${this.#prefix}bucket:${key}`,
        String(Math.max(1, Math.round(1e6 / perSecond))),
        String(burst),
        String(count),
      )
      .catch(rethrowRedisFailure);
    return { taken: Number(taken), waitMs: Math.ceil(Number(waitUs) / 1000) };
  }

  async hit(key: string, windowMs: number, now: number): Promise<{ count: number; resetAt: number }> {
    const window = Math.floor(now / windowMs);
    const resetAt = (window + 1) * windowMs;
    const hitScript = (this.#redis as unknown as { orchestratorHit: HitScript }).orchestratorHit.bind(
      this.#redis,
    );
    // Relative expiry (callers' clocks may be injected); kept a little past the window's end so a node
    // whose clock is slightly behind still finds it.
    const [count, storedResetAt] = await hitScript(
      this.#prefix + key,
      String(window),
      String(resetAt),
      String(resetAt - now + 1_000),
    ).catch(rethrowRedisFailure);
    return { count: Number(count), resetAt: Number(storedResetAt) };
  }

  async peek(key: string, now: number): Promise<{ count: number; resetAt: number }> {
    const [count, resetAt] = await this.#redis.hmget(this.#prefix + key, 'c', 'r').catch(rethrowRedisFailure);
    return count !== null && resetAt !== null && Number(resetAt) > now
      ? { count: Number(count), resetAt: Number(resetAt) }
      : { count: 0, resetAt: now };
  }

  async reset(key: string): Promise<void> {
    await this.#redis.del(this.#prefix + key).catch(rethrowRedisFailure);
  }

  /** Reachable and answering (for /readyz). */
  async ping(): Promise<boolean> {
    return (await this.#redis.ping().catch(() => null)) === 'PONG';
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => {});
    this.#redis.disconnect();
  }
}
