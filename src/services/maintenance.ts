import type { ServiceContext } from './context.js';
import { startContextPurge } from './context-purge.js';
import { POLICY_LOG_RETENTION_MS } from './policy-log-writer.js';

export interface Maintenance {
  stop(): void;
}

/**
 * Housekeeping every node runs: forget revocations of expired tokens and keys no token can need any more,
 * and policy log entries older than 7 days.
 */
export function startMaintenance(ctx: ServiceContext, intervalMs = 10 * 60_000): Maintenance {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const now = ctx.clock.now();
      await ctx.store.tokens.purgeExpiredTokens(now);
      await ctx.store.signingKeys.deleteSigningKeysRemovedBefore(now);
      await ctx.store.policyLogs.purgePolicyLogsBefore(now - POLICY_LOG_RETENTION_MS);
    } catch (error) {
      ctx.log.warn({ err: error }, 'maintenance failed; will retry');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(run, intervalMs);
  timer.unref();
  // Expired context is already invisible to readers; this reclaims its space every minute, in small batches.
  const contextPurge = startContextPurge({
    store: ctx.store.contextDocuments,
    clock: ctx.clock,
    onError: (error) => ctx.log.warn({ err: error }, 'context purge failed; will retry'),
  });
  return {
    stop: () => {
      clearInterval(timer);
      void contextPurge.stop();
    },
  };
}
