import { ReplyError } from 'ioredis';
import { StoreUnavailableError } from '../../core/errors.js';

/** Replies of a Redis that is up but cannot do the work now (out of memory, loading, a replica, failing over). */
const BUSY_REPLY = /^(OOM|LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN)\b/;

/**
 * Rethrows a failed Redis call: a failure to reach Redis, or a reply saying it cannot work now, as
 * StoreUnavailableError (503 with Retry-After); any other reply (a wrong command or script) as it is.
 */
export function rethrowRedisFailure(error: unknown): never {
  if (error instanceof ReplyError && !BUSY_REPLY.test((error as Error).message)) throw error;
  throw new StoreUnavailableError(error);
}
