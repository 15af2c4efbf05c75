import type { InvalidationBus } from '../ports/bus.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Random } from '../ports/random.js';
import type { RateLimitStore } from '../ports/rate-limit.js';
import type { Store } from '../ports/store.js';

/** What every service is built from; assembled once in main.ts. */
export interface ServiceContext {
  store: Store;
  bus: InvalidationBus;
  clock: Clock;
  random: Random;
  rateLimits: RateLimitStore;
  log: Logger;
  masterKey: Buffer;
  settings: {
    issuer: string;
    tokenTtlSeconds: number;
    contextMaxRetentionSeconds: number;
  };
}
