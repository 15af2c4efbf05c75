import { invalid } from '../core/errors.js';
import type { JsonValue } from '../core/json.js';
import {
  type Action,
  evaluatePolicies,
  type FieldError,
  type NoMatchReason,
  type Policy,
  type PolicyResult,
  validateCustomAttributes,
  validatePolicyInput,
} from '../core/policy/index.js';
import type { PolicySet } from '../ports/policy-store.js';
import type { ServiceContext } from './context.js';
import { attributeLookup, contextSession, type NextActionRequest, readContext } from './policy-attributes.js';
import { compilePolicySet } from './policy-cache.js';

/** What a dry run evaluates instead of the saved policies or custom attributes (either or both). */
export interface DryRunDraft {
  policies?: unknown;
  customAttributes?: unknown;
}

export interface DryRunResult {
  rule: { id: string; name: string; actions: Action[] } | null;
  noMatchReason?: NoMatchReason;
  /**
   * Every policy's own result, in list order. `reached` is false for the policies a real call would not
   * have evaluated (after the winner, or other than `policyId`).
   */
  results: { policyId: string; name: string; result: PolicyResult; reason?: string; reached: boolean }[];
  /** The attributes the policies read, and what they found. */
  attributes: { name: string; found: boolean; value?: JsonValue }[];
}

const MAX_DRAFT_POLICIES = 2000;

function draftPolicies(input: unknown): Policy[] {
  if (!Array.isArray(input) || input.length > MAX_DRAFT_POLICIES) {
    throw invalid('the draft is not valid', [
      { field: 'policies', message: `must be an array of at most ${MAX_DRAFT_POLICIES} policies` },
    ]);
  }
  const errors: FieldError[] = [];
  const policies: Policy[] = [];
  input.forEach((item, i) => {
    const given = typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
    const id = typeof given === 'string' && given !== '' ? given : `draft-${i + 1}`;
    const checked = validatePolicyInput(item, id);
    if (checked.ok) policies.push(checked.policy);
    else
      errors.push(...checked.errors.map((e) => ({ field: `policies[${i}].${e.field}`, message: e.message })));
  });
  if (errors.length > 0) throw invalid('the draft is not valid', errors);
  return policies;
}

function draftAttributes(input: unknown): Record<string, JsonValue> {
  const checked = validateCustomAttributes(input);
  if (checked.ok) return checked.attributes;
  throw invalid(
    'the draft custom attributes are not valid',
    checked.errors.map((e) => ({ field: `customAttributes.${e.field}`, message: e.message })),
  );
}

/**
 * Evaluates a sample request as a next-action call would, against the saved policies or a draft, and
 * also evaluates every policy on its own, so an editor can see why each one did or did not match.
 * Reads CCS documents as a real call does; writes nothing.
 */
export async function dryRun(
  ctx: ServiceContext,
  accountId: string,
  saved: PolicySet,
  request: NextActionRequest,
  draft: DryRunDraft,
): Promise<DryRunResult> {
  const set = compilePolicySet(accountId, {
    policies: draft.policies === undefined ? saved.policies : draftPolicies(draft.policies),
    customAttributes:
      draft.customAttributes === undefined ? saved.customAttributes : draftAttributes(draft.customAttributes),
    version: saved.version,
  });
  const context = await readContext(ctx, accountId, set.context, contextSession(request));
  const { lookup, seen } = attributeLookup({ request, custom: set.customAttributes, context });
  const now = ctx.clock.now();
  const only = request.policyId;
  const evaluation = evaluatePolicies(
    set.compiled,
    lookup,
    now,
    only === undefined ? undefined : { policyId: only },
  );
  const results = set.compiled.map((compiled, i) => {
    const own = evaluatePolicies([compiled], lookup, now).results[0];
    const reached = only === undefined ? i < evaluation.results.length : compiled.id === only;
    return {
      policyId: compiled.id,
      name: compiled.name,
      result: own?.result ?? 'ERROR',
      ...(own?.reason === undefined ? {} : { reason: own.reason }),
      reached,
    };
  });
  const attributes = [...seen]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, hit]) => (hit.found ? { name, found: true, value: hit.value } : { name, found: false }));
  const matched = evaluation.matched;
  return {
    rule: matched ? { id: matched.id, name: matched.name, actions: evaluation.actions } : null,
    ...(matched ? {} : { noMatchReason: evaluation.noMatchReason ?? 'NO_MATCHED_RULES' }),
    results,
    attributes,
  };
}
