import { AppError, invalid } from '../core/errors.js';
import type { JsonValue } from '../core/json.js';
import { then } from '../core/maybe-promise.js';
import {
  type Action,
  type Evaluation,
  evaluatePolicies,
  type FieldError,
  type NoMatchReason,
  type Policy,
  validateCustomAttributes,
  validatePolicyInput,
} from '../core/policy/index.js';
import { storableText } from '../core/storable-text.js';
import type { PolicyVersion, PolicyVersionSummary } from '../ports/policy-store.js';
import type { ServiceContext } from './context.js';
import {
  attributeLookup,
  contextSession,
  type NamespaceContext,
  type NextActionRequest,
  readContext,
} from './policy-attributes.js';
import type { CompiledPolicySet } from './policy-cache.js';
import { PolicyCache } from './policy-cache.js';
import { type DryRunDraft, type DryRunResult, dryRun } from './policy-dry-run.js';
import { etagOf, requireIfMatch, requirePrecondition } from './policy-etags.js';
import { PolicyLog, type PolicyLogView } from './policy-log.js';
import type { PolicyLogStats } from './policy-log-writer.js';

export type { NextActionRequest } from './policy-attributes.js';
export type { DryRunDraft, DryRunResult } from './policy-dry-run.js';
export type { PolicyLogView } from './policy-log.js';

/** The most policies one account may have (the list must also fit the 1 MB request body limit). */
export const MAX_POLICIES = 2000;
const SAVE_ATTEMPTS = 5;
/** Who a change is by when its caller names no one (the command line, the bench's setup). */
const SYSTEM = 'system';

export interface NextActionResult {
  /** The v1 `nextActionId`; also the policy log's evaluation id. */
  evaluationId: string;
  rule: { id: string; name: string; actions: Action[] } | null;
  noMatchReason?: NoMatchReason;
}

function refuse(detail: string, errors: FieldError[], prefix = ''): never {
  throw invalid(
    detail,
    errors.map((e) => ({ field: `${prefix}${e.field}`, message: e.message })),
  );
}

function validPolicy(input: unknown, id: string, prefix = ''): Policy {
  const checked = validatePolicyInput(input, id);
  if (!checked.ok) refuse('the policy is not valid', checked.errors, prefix);
  return checked.policy;
}

function ruleOf(evaluation: Evaluation): NextActionResult['rule'] {
  const matched = evaluation.matched;
  return matched ? { id: matched.id, name: matched.name, actions: evaluation.actions } : null;
}

/**
 * Routing policies (SPEC §4): the ordered list with per-policy ETags, custom attributes, next actions
 * over a compiled, bus-invalidated cache, the policy log and dry runs.
 */
export class PolicyService {
  readonly #cache: PolicyCache;
  readonly #logs: PolicyLog;

  constructor(private readonly ctx: ServiceContext) {
    this.#cache = new PolicyCache(ctx);
    this.#logs = new PolicyLog(ctx);
  }

  async list(accountId: string): Promise<{ policies: Policy[]; etag: string }> {
    const { policies } = await this.ctx.store.policies.getPolicySet(accountId);
    return { policies, etag: etagOf(policies) };
  }

  async get(accountId: string, policyId: string): Promise<{ policy: Policy; etag: string }> {
    const { policies } = await this.ctx.store.policies.getPolicySet(accountId);
    const policy = policies.find((p) => p.id === policyId);
    if (!policy) throw new AppError('not_found', 'no policy with this id');
    return { policy, etag: etagOf(policy) };
  }

  /**
   * Appends a policy at the bottom of the list, disabled unless `enabled` is given. `by` (here and in every change)
   * names who made it in the policies' history, as the audit log does.
   */
  async create(accountId: string, input: unknown, by = SYSTEM): Promise<{ policy: Policy; etag: string }> {
    const policy = validPolicy(input, this.ctx.random.uuid());
    await this.#savePolicies(accountId, { by, action: 'policy.created' }, (current) => {
      if (current.length >= MAX_POLICIES) {
        throw new AppError('conflict', `an account has at most ${MAX_POLICIES} policies`);
      }
      return [...current, policy];
    });
    return { policy, etag: etagOf(policy) };
  }

  /** Replaces one policy in place; `ifMatch` must name its current ETag. */
  async replace(
    accountId: string,
    policyId: string,
    input: unknown,
    ifMatch: string | undefined,
    by = SYSTEM,
  ): Promise<{ policy: Policy; etag: string }> {
    requirePrecondition(ifMatch, 'policy');
    const policy = validPolicy(input, policyId);
    await this.#savePolicies(accountId, { by, action: 'policy.updated' }, (current) => {
      const at = this.#find(current, policyId, ifMatch);
      return current.map((p, i) => (i === at ? policy : p));
    });
    return { policy, etag: etagOf(policy) };
  }

  async remove(
    accountId: string,
    policyId: string,
    ifMatch: string | undefined,
    by = SYSTEM,
  ): Promise<Policy> {
    requirePrecondition(ifMatch, 'policy');
    let removed: Policy | undefined;
    await this.#savePolicies(accountId, { by, action: 'policy.deleted' }, (current) => {
      const at = this.#find(current, policyId, ifMatch);
      removed = current[at];
      return current.filter((_, i) => i !== at);
    });
    return removed as Policy;
  }

  /**
   * Replaces the whole ordered list (also how policies are reordered). An item whose `id` names a policy
   * of the current list keeps it; any other item gets a new id. `ifMatch` must name the list's ETag.
   */
  async replaceAll(
    accountId: string,
    input: unknown,
    ifMatch: string | undefined,
    by = SYSTEM,
  ): Promise<{ policies: Policy[]; etag: string }> {
    requirePrecondition(ifMatch, 'policy list');
    if (!Array.isArray(input))
      refuse('the body must be the array of policies', [{ field: 'body', message: 'must be an array' }]);
    if (input.length > MAX_POLICIES) {
      refuse('too many policies', [{ field: 'body', message: `must have at most ${MAX_POLICIES} policies` }]);
    }
    const policies = await this.#savePolicies(accountId, { by, action: 'policies.replaced' }, (current) => {
      requireIfMatch(ifMatch, etagOf(current), 'policy list');
      return this.#validList(input, new Set(current.map((p) => p.id)));
    });
    return { policies, etag: etagOf(policies) };
  }

  /** The lists saved last (at most POLICY_HISTORY_LENGTH), newest first: who saved each, how, when, how many. */
  history(accountId: string): Promise<PolicyVersionSummary[]> {
    return this.ctx.store.policies.listPolicyVersions(accountId);
  }

  /** One list of the history, whole; 404 when it is not (or no longer) kept. */
  async historyVersion(accountId: string, version: number): Promise<PolicyVersion> {
    const found = await this.ctx.store.policies.getPolicyVersion(accountId, version);
    if (!found) throw new AppError('not_found', `no list of version ${version} in the policies' history`);
    return found;
  }

  /**
   * Makes a list of the history the current one again, as it was (its ids too: a policy deleted since comes back
   * as itself, and its log lines with it); `ifMatch` must name the current list's ETag. A change like any other: it
   * goes into the history as `policies.restored`.
   */
  async restore(
    accountId: string,
    version: number,
    ifMatch: string | undefined,
    by = SYSTEM,
  ): Promise<{ policies: Policy[]; etag: string }> {
    requirePrecondition(ifMatch, 'policy list');
    const { policies: restored } = await this.historyVersion(accountId, version);
    const policies = await this.#savePolicies(accountId, { by, action: 'policies.restored' }, (current) => {
      requireIfMatch(ifMatch, etagOf(current), 'policy list');
      return restored;
    });
    return { policies, etag: etagOf(policies) };
  }

  async customAttributes(
    accountId: string,
  ): Promise<{ attributes: Record<string, JsonValue>; etag: string }> {
    const { customAttributes } = await this.ctx.store.policies.getPolicySet(accountId);
    return { attributes: customAttributes, etag: etagOf(customAttributes) };
  }

  /** Replaces the custom attributes (an object of name → value); `ifMatch` must name their ETag. */
  async replaceCustomAttributes(
    accountId: string,
    input: unknown,
    ifMatch: string | undefined,
  ): Promise<{ attributes: Record<string, JsonValue>; etag: string }> {
    requirePrecondition(ifMatch, 'custom attributes');
    const checked = validateCustomAttributes(input);
    if (!checked.ok) refuse('the custom attributes are not valid', checked.errors);
    for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
      const set = await this.ctx.store.policies.getPolicySet(accountId);
      requireIfMatch(ifMatch, etagOf(set.customAttributes), 'custom attributes');
      const saved = await this.ctx.store.policies.saveCustomAttributes(
        accountId,
        checked.attributes,
        set.version,
      );
      if (saved.ok) {
        await this.#changed(accountId);
        return { attributes: checked.attributes, etag: etagOf(checked.attributes) };
      }
    }
    throw this.#busy();
  }

  /**
   * Evaluates the account's policies for one conversation: the first enabled policy that holds wins.
   * Reads the CCS documents of the namespaces enabled policies use (the session's, then the namespace-level
   * one) and records the evaluation in the policy log without waiting for it.
   */
  nextAction(
    accountId: string,
    request: NextActionRequest,
    evaluationId: string = this.ctx.random.uuid(),
  ): NextActionResult | Promise<NextActionResult> {
    // Answers at once (no promise) when the policies and the documents they read are in memory.
    return then(this.#cache.get(accountId), (set) =>
      set.context.size === 0
        ? this.#decide(set, request, evaluationId, new Map())
        : then(readContext(this.ctx, accountId, set.context, contextSession(request)), (context) =>
            this.#decide(set, request, evaluationId, context),
          ),
    );
  }

  #decide(
    set: CompiledPolicySet,
    request: NextActionRequest,
    evaluationId: string,
    context: Map<string, NamespaceContext>,
  ): NextActionResult {
    const { lookup } = attributeLookup({ request, custom: set.customAttributes, context });
    const now = this.ctx.clock.now();
    const options = request.policyId === undefined ? undefined : { policyId: request.policyId };
    const evaluation = evaluatePolicies(set.compiled, lookup, now, options);
    this.#logs.record(set, request, evaluationId, evaluation, now);
    const rule = ruleOf(evaluation);
    return rule
      ? { evaluationId, rule }
      : { evaluationId, rule, noMatchReason: evaluation.noMatchReason ?? 'NO_MATCHED_RULES' };
  }

  /** Evaluates a sample request against the saved policies, or a draft, without logging. */
  async dryRun(
    accountId: string,
    request: NextActionRequest,
    draft: DryRunDraft = {},
  ): Promise<DryRunResult> {
    const saved = await this.ctx.store.policies.getPolicySet(accountId);
    return dryRun(this.ctx, accountId, saved, request, draft);
  }

  /**
   * The account's policy log of the last 7 days, newest first, optionally for one conversation; `notBefore`
   * leaves out what an earlier account of the same id logged (AccountService.visibleSince).
   */
  searchLogs(
    accountId: string,
    filter: { conversationId?: string; limit: number; notBefore?: number },
  ): Promise<PolicyLogView[]> {
    return this.#logs.search(accountId, filter);
  }

  /** What has become of this node's policy log entries since it started (GET /metrics). */
  logStats(): PolicyLogStats {
    return this.#logs.stats();
  }

  /** Waits until the policy log entries of past calls are written (tests, shutdown). */
  flushLogs(): Promise<void> {
    return this.#logs.flush();
  }

  #validList(input: unknown[], known: Set<string>): Policy[] {
    const errors: FieldError[] = [];
    const kept = new Set<string>();
    const policies: Policy[] = [];
    input.forEach((item, i) => {
      const given = typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
      let id = this.ctx.random.uuid();
      if (typeof given === 'string' && known.has(given)) {
        if (kept.has(given))
          errors.push({ field: `[${i}].id`, message: 'names a policy already in the list' });
        kept.add(given);
        id = given;
      }
      const checked = validatePolicyInput(item, id);
      if (checked.ok) policies.push(checked.policy);
      else errors.push(...checked.errors.map((e) => ({ field: `[${i}].${e.field}`, message: e.message })));
    });
    if (errors.length > 0) refuse('the policy list is not valid', errors);
    return policies;
  }

  /** The position of `policyId` after checking that `ifMatch` names its current version. */
  #find(current: Policy[], policyId: string, ifMatch: string | undefined): number {
    const at = current.findIndex((p) => p.id === policyId);
    const found = current[at];
    if (!found) throw new AppError('not_found', 'no policy with this id');
    requireIfMatch(ifMatch, etagOf(found), 'policy');
    return at;
  }

  /**
   * Compare-and-set on the account's set version, redone when another change got in between; the list saved goes
   * into the history with who saved it and how.
   */
  async #savePolicies(
    accountId: string,
    { by, action }: { by: string; action: string },
    update: (current: Policy[]) => Policy[],
  ): Promise<Policy[]> {
    for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
      const set = await this.ctx.store.policies.getPolicySet(accountId);
      const next = update(set.policies);
      const change = { at: this.ctx.clock.now(), actor: storableText(by), action };
      const saved = await this.ctx.store.policies.savePolicies(accountId, next, set.version, change);
      if (saved.ok) {
        await this.#changed(accountId);
        return next;
      }
    }
    throw this.#busy();
  }

  async #changed(accountId: string): Promise<void> {
    this.#cache.invalidate(accountId);
    try {
      await this.ctx.bus.publish('policies', accountId);
    } catch (error) {
      // The change is saved; a bus that cannot publish is unhealthy, and nodes then bypass their caches.
      this.ctx.log.error({ err: error, accountId }, 'publishing a policy change failed');
    }
  }

  #busy(): AppError {
    return new AppError('conflict', 'the policies are being changed by someone else right now; retry');
  }
}
