import type { Evaluation, PolicyResult } from '../core/policy/index.js';
import { uuid7 } from '../core/uuid7.js';
import type { ServiceContext } from './context.js';
import type { NextActionRequest } from './policy-attributes.js';
import type { CompiledPolicySet } from './policy-cache.js';
import { decodeResults, encodeResults } from './policy-log-format.js';
import { POLICY_LOG_RETENTION_MS, type PolicyLogStats, PolicyLogWriter } from './policy-log-writer.js';

/** A policy log entry as the admin API shows it, each result with the policy's id and name. */
export interface PolicyLogView {
  id: string;
  at: number;
  conversationId: string | null;
  evaluationId: string;
  matchedPolicyId: string | null;
  /** `policyId` and `name` are null only if the entry's outline is gone. */
  results: { policyId: string | null; name: string | null; result: PolicyResult; reason?: string }[];
}

/** How many positions an entry whose outline is gone is read up to. */
const MAX_POSITIONS = 10_000;

/** The policy log (SPEC §4): every next-action evaluation, kept 7 days, searchable by conversation. */
export class PolicyLog {
  readonly #writer: PolicyLogWriter;

  constructor(private readonly ctx: ServiceContext) {
    this.#writer = new PolicyLogWriter(ctx);
  }

  /** Queues the entry of one evaluation; never throws (a failure is logged). */
  record(
    set: CompiledPolicySet,
    request: NextActionRequest,
    evaluationId: string,
    evaluation: Evaluation,
    now: number,
  ): void {
    try {
      // Results run from the top of the list; with policyId, only that policy's position was evaluated.
      const start =
        request.policyId === undefined ? 0 : set.compiled.findIndex((c) => c.id === request.policyId);
      const { results, reasons } = encodeResults(evaluation.trail, Math.max(start, 0));
      this.#writer.append(
        {
          // Time-ordered: log rows are appended at the end of the key index.
          id: uuid7(now, this.ctx.random.bytes(10)),
          accountId: set.accountId,
          conversationId: request.conversationId ?? null,
          at: now,
          evaluationId,
          outlineId: set.outline.id,
          results,
          reasons,
          matchedPolicyId: evaluation.matched?.id ?? null,
        },
        set.outline,
      );
    } catch (error) {
      this.ctx.log.error({ err: error }, 'recording a policy evaluation failed');
    }
  }

  /**
   * The account's entries of the last 7 days (none before `notBefore`), newest first, with what this node
   * still has queued.
   */
  async search(
    accountId: string,
    { notBefore = 0, ...filter }: { conversationId?: string; limit: number; notBefore?: number },
  ): Promise<PolicyLogView[]> {
    await this.#writer.flush();
    const since = Math.max(this.ctx.clock.now() - POLICY_LOG_RETENTION_MS, notBefore);
    const entries = await this.ctx.store.policyLogs.searchPolicyLogs({ accountId, since, ...filter });
    const outlines = await this.ctx.store.policyLogs.getOutlines(accountId, [
      ...new Set(entries.map((e) => e.outlineId)),
    ]);
    const byId = new Map(outlines.map((o) => [o.id, o.policies]));
    return entries.map((entry) => {
      const policies = byId.get(entry.outlineId);
      const reasons = new Map(entry.reasons.map((r) => [r.index, r.reason]));
      const results: PolicyLogView['results'] = [];
      decodeResults(entry.results, policies?.length ?? MAX_POSITIONS).forEach((result, i) => {
        if (result === null) return;
        const reason = reasons.get(i);
        const policy = policies?.[i];
        results.push({
          policyId: policy?.policyId ?? null,
          name: policy?.name ?? null,
          result,
          ...(reason === undefined ? {} : { reason }),
        });
      });
      const { id, at, conversationId, evaluationId, matchedPolicyId } = entry;
      return { id, at, conversationId, evaluationId, matchedPolicyId, results };
    });
  }

  /** What has become of this node's entries since it started. */
  stats(): PolicyLogStats {
    return this.#writer.stats();
  }

  /** Waits until the entries of past calls are written. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }
}
