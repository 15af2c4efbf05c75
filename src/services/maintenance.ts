import type { AccountService } from './accounts.js';
import { recordAudit } from './audit.js';
import type { ServiceContext } from './context.js';
import { DEFAULT_SESSION_IDLE_MS } from './operators.js';
import { POLICY_LOG_RETENTION_MS } from './policy-log-writer.js';
import { type PurgeCounts, startBatchedPurge, startContextPurge } from './purge.js';
import type { SigningKeyring } from './signing-keys.js';

export interface Maintenance {
  /** Runs both purges once now (as their timers do); resolves when they are done. */
  purgeNow(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A policy log purge run deletes up to a million entries, a thousand per statement (4–5 ms each on SQLite,
 * measured), yielding to requests between statements: a week-old backlog of any size goes without a long
 * pause. A million a minute is about what one node answering next actions flat out writes; what a run
 * leaves waits for the next (docs/policies.md).
 */
const POLICY_LOG_PURGE = { intervalMs: 60_000, batchSize: 1_000, maxBatchesPerRun: 1_000 };
/** Audit events are few (a handful per operator action): an hourly run of up to 100,000 keeps up. */
const AUDIT_PURGE = { intervalMs: 60 * 60_000, batchSize: 1_000, maxBatchesPerRun: 100 };
/**
 * Used client assertions and DPoP proofs: busy DPoP clients leave thousands a second; up to 5 million a minute are
 * deleted (83,000 proofs a second across a cluster), a batch at a time with requests served between them.
 */
const USED_ASSERTIONS_PURGE = { intervalMs: 60_000, batchSize: 1_000, maxBatchesPerRun: 5_000 };

/**
 * A scheduled new signing key is published this long before it signs: relying parties that cache the JWKS (it is
 * served with max-age 300) learn it first, with room to spare.
 */
export const SCHEDULED_KEY_PUBLISH_DELAY_MS = 3_600_000;

/** How often the ends of suspensions are looked for: an account is resumed within this of its end. */
export const SUSPENSION_ENDS_CHECKED_MS = 60_000;

/** How long an expired operator API token stays listed (marked expired) before housekeeping deletes it. */
export const EXPIRED_TOKENS_KEPT_MS = 30 * 86_400_000;

/**
 * Housekeeping every node runs: forget revocations of expired tokens and keys no token can need any more,
 * delete ended operator sessions (their lifetime over, or idle too long) and operator API tokens expired for 30 days, finish deleting deleted accounts,
 * resume suspended accounts at the end of their suspension (every minute),
 * and with SIGNING_KEY_ROTATION_DAYS make a new signing key when the newest is that old (every 10 minutes; one node
 * makes it); delete policy log entries older than 7 days, and expired context documents (every minute, in bounded
 * batches); with AUDIT_RETENTION_DAYS, audit events older than that (every hour).
 */
export function startMaintenance(
  ctx: ServiceContext,
  purged: PurgeCounts,
  accounts: Pick<AccountService, 'purgeDeleted' | 'resumeDue'>,
  keyring: Pick<SigningKeyring, 'rotateIfDue'>,
  intervalMs = 10 * 60_000,
): Maintenance {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const now = ctx.clock.now();
      await ctx.store.tokens.purgeExpiredTokens(now);
      await ctx.store.signingKeys.deleteSigningKeysRemovedBefore(now);
      // Ended sessions at once; expired API tokens once they have been listed as expired for a while.
      const idleMs = ctx.settings.operatorSessions?.idleMs ?? DEFAULT_SESSION_IDLE_MS;
      await ctx.store.operators.purgeExpiredOperatorCredentials(
        now,
        now - EXPIRED_TOKENS_KEPT_MS,
        idleMs > 0 ? now - idleMs : null,
      );
      await accounts.purgeDeleted(now);
      await rotateSigningKeyIfDue(ctx, keyring);
    } catch (error) {
      ctx.log.warn({ err: error }, 'maintenance failed; will retry');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(run, intervalMs);
  timer.unref();
  // Suspensions with an end: resumed within a minute of it (and at start, for those that ended meanwhile).
  let resuming: Promise<void> | null = null;
  const resumeDue = () => {
    resuming ??= accounts
      .resumeDue(ctx.clock.now())
      .then(
        () => undefined,
        (error: unknown) =>
          ctx.log.warn({ err: error }, 'resuming accounts at the end of their suspension failed; will retry'),
      )
      .finally(() => {
        resuming = null;
      });
    return resuming;
  };
  const resumeTimer = setInterval(resumeDue, SUSPENSION_ENDS_CHECKED_MS);
  resumeTimer.unref();
  void resumeDue();
  // Expired context is already invisible to readers; this reclaims its space every minute, in small batches.
  const contextPurge = startContextPurge({
    store: ctx.store.contextDocuments,
    clock: ctx.clock,
    onError: (error) => ctx.log.warn({ err: error }, 'context purge failed; will retry'),
    onPurged: (count) => {
      purged.contextDocuments += count;
    },
  });
  // Entries older than 7 days are no longer shown; this reclaims their space.
  const cutoff = () => ctx.clock.now() - POLICY_LOG_RETENTION_MS;
  const policyLogPurge = startBatchedPurge({
    ...POLICY_LOG_PURGE,
    deleteBatch: (limit) => ctx.store.policyLogs.purgePolicyLogsBefore(cutoff(), limit),
    afterCatchingUp: () => ctx.store.policyLogs.purgePolicyOutlinesBefore(cutoff()),
    onError: (error) => ctx.log.warn({ err: error }, 'policy log purge failed; will retry'),
    onPurged: (count) => {
      purged.policyLogEntries += count;
    },
  });
  // The jti of each used assertion and DPoP proof, kept until it could no longer be taken anyway.
  const usedAssertionsPurge = startBatchedPurge({
    ...USED_ASSERTIONS_PURGE,
    deleteBatch: (limit) => ctx.store.tokens.purgeUsedAssertionsBefore(ctx.clock.now(), limit),
    onError: (error) => ctx.log.warn({ err: error }, 'used assertions purge failed; will retry'),
    onPurged: (count) => {
      purged.usedAssertions += count;
    },
  });
  // Audit events past AUDIT_RETENTION_DAYS (they name operators and their addresses: personal data).
  const auditRetentionMs = ctx.settings.auditRetentionMs ?? 0;
  const auditPurge =
    auditRetentionMs > 0
      ? startBatchedPurge({
          ...AUDIT_PURGE,
          deleteBatch: (limit) => ctx.store.audit.purgeAuditBefore(ctx.clock.now() - auditRetentionMs, limit),
          onError: (error) => ctx.log.warn({ err: error }, 'audit purge failed; will retry'),
          onPurged: (count) => {
            purged.auditEvents += count;
          },
        })
      : null;
  return {
    purgeNow: async () => {
      await Promise.all([
        run(),
        resumeDue(),
        contextPurge.runOnce(),
        policyLogPurge.runOnce(),
        usedAssertionsPurge.runOnce(),
        auditPurge?.runOnce(),
      ]);
    },
    stop: async () => {
      clearInterval(timer);
      clearInterval(resumeTimer);
      await Promise.all([
        resuming,
        contextPurge.stop(),
        policyLogPurge.stop(),
        usedAssertionsPurge.stop(),
        auditPurge?.stop(),
      ]);
    },
  };
}

/** SIGNING_KEY_ROTATION_DAYS: a new signing key when the newest is that old, recorded in the audit log and the log. */
export async function rotateSigningKeyIfDue(
  ctx: ServiceContext,
  keyring: Pick<SigningKeyring, 'rotateIfDue'>,
): Promise<void> {
  const everyMs = ctx.settings.signingKeyRotationMs ?? 0;
  if (everyMs <= 0) return;
  const key = await keyring.rotateIfDue(everyMs, SCHEDULED_KEY_PUBLISH_DELAY_MS);
  if (key === null) return;
  const detail = { kid: key.kid, alg: key.alg, activatesAt: new Date(key.activatesAt).toISOString() };
  ctx.log.info({ signingKey: detail }, 'made a new signing key (SIGNING_KEY_ROTATION_DAYS)');
  await recordAudit(ctx, { name: 'schedule', address: null }, null, 'signing-key.rotated', {
    ...detail,
    by: 'SIGNING_KEY_ROTATION_DAYS',
  });
}
