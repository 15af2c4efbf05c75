import type { CompiledPolicy, EqualityRun } from './compile.js';
import { evaluateExpression } from './interpret.js';
import { invalid, type Outcome, runtimeError, success } from './outcome.js';
import { fillPayloadValue, resolveConditionValue } from './templates.js';
import type { Action, AttributeLookup, Condition, JsonValue, Policy, PolicyResult } from './types.js';
import { applyOperator, typeName } from './values.js';

export {
  type CompiledCondition,
  type CompiledPolicy,
  collectAttributes,
  compilePolicies,
} from './compile.js';

/** One line of the policy log. */
export interface PolicyLogEntry {
  policyId: string;
  name: string;
  result: PolicyResult;
  reason?: string;
}

export type NoMatchReason = 'NO_MATCHED_RULES' | 'NO_POLICIES_ENABLED';

export interface Evaluation {
  matched: Policy | null;
  actions: Action[];
  /** Every line, in order (built on first read from `trail`). */
  readonly results: PolicyLogEntry[];
  /** The same lines, with the unselected stretches of equality runs kept as slices of shared lines. */
  trail: ResultTrail;
  noMatchReason?: NoMatchReason;
}

type Slice = { run: EqualityRun; from: number; to: number };

/**
 * The log lines of one evaluation as they are produced: single lines, and slices of an equality run's
 * shared lines. A thousand policies a value did not select are one slice, not a thousand entries, and
 * the policy log encodes them stretch by stretch.
 */
export class ResultTrail {
  readonly #parts: (PolicyLogEntry | Slice)[] = [];
  #length = 0;
  #entries: PolicyLogEntry[] | null = null;

  add(entry: PolicyLogEntry): void {
    this.#parts.push(entry);
    this.#length++;
    this.#entries = null;
  }

  addLines(run: EqualityRun, from: number, to: number): void {
    if (to <= from) return;
    this.#parts.push({ run, from, to });
    this.#length += to - from;
    this.#entries = null;
  }

  get length(): number {
    return this.#length;
  }

  /** Calls `stretch` for each stretch of equal results, in order; a line with a reason is its own stretch. */
  forEachStretch(stretch: (result: PolicyResult, count: number, reason?: string) => void): void {
    for (const part of this.#parts) {
      if (!('run' in part)) {
        stretch(part.result, 1, part.reason);
        continue;
      }
      const { run, to } = part;
      for (let at = part.from; at < to; ) {
        const end = Math.min(run.stretchEnds[at] as number, to);
        stretch((run.lines[at] as PolicyLogEntry).result, end - at);
        at = end;
      }
    }
  }

  entries(): PolicyLogEntry[] {
    if (this.#entries) return this.#entries;
    const out: PolicyLogEntry[] = [];
    for (const part of this.#parts) {
      if ('run' in part)
        for (let at = part.from; at < part.to; at++) out.push(part.run.lines[at] as PolicyLogEntry);
      else out.push(part);
    }
    this.#entries = out;
    return out;
  }
}

function evaluation(
  matched: Policy | null,
  actions: Action[],
  trail: ResultTrail,
  noMatchReason?: NoMatchReason,
): Evaluation {
  return {
    matched,
    actions,
    trail,
    ...(noMatchReason ? { noMatchReason } : {}),
    get results() {
      return trail.entries();
    },
  };
}

// The lookup belongs to the caller; anything but a well-formed hit counts as a missing attribute.
function guard(lookup: AttributeLookup): AttributeLookup {
  return (name) => {
    const hit: unknown = lookup(name);
    if (typeof hit === 'object' && hit !== null && 'found' in hit && hit.found === true && 'value' in hit) {
      return { found: true, value: hit.value as JsonValue };
    }
    return { found: false };
  };
}

function checkCondition(cond: Condition, literal: boolean, lookup: AttributeLookup): Outcome<boolean> {
  const hit = lookup(cond.attribute);
  if (!hit.found) return runtimeError(`missing attribute ${cond.attribute}`);
  if (literal) return applyOperator(cond.operator, hit.value, cond.value);
  const expected = resolveConditionValue(cond.value, lookup);
  if (!expected.ok) return expected;
  return applyOperator(cond.operator, hit.value, expected.value);
}

function checkPolicy(c: CompiledPolicy, lookup: AttributeLookup, nowMs: number): Outcome<boolean> {
  const condition = c.condition;
  if (condition.kind === 'invalid') return invalid(condition.reason);
  if (condition.kind === 'expression') {
    const value = evaluateExpression(condition.ast, { lookup, nowMs });
    if (!value.ok || typeof value.value === 'boolean') return value as Outcome<boolean>;
    return invalid(`expression gives a ${typeName(value.value)}, not a boolean`);
  }
  // All conditions must hold; the first that does not decides, later ones are not read.
  const { conditions, literal } = condition;
  for (let i = 0; i < conditions.length; i++) {
    const held = checkCondition(conditions[i] as Condition, literal[i] === true, lookup);
    if (!held.ok || !held.value) return held;
  }
  return success(true);
}

function fillActions(actions: Action[], lookup: AttributeLookup): Outcome<Action[]> {
  const filled: Action[] = [];
  for (const action of actions) {
    const entries: [string, JsonValue][] = [];
    for (const [key, value] of Object.entries(action.payload)) {
      const v = fillPayloadValue(value, lookup);
      if (!v.ok) return v;
      entries.push([key, v.value]);
    }
    filled.push({ type: action.type, payload: Object.fromEntries(entries) });
  }
  return success(filled);
}

function runPolicy(c: CompiledPolicy, lookup: AttributeLookup, nowMs: number): Outcome<Action[] | null> {
  try {
    const held = checkPolicy(c, lookup, nowMs);
    if (!held.ok) return held;
    if (!held.value) return success(null);
    return c.fixedActions ? success(c.fixedActions as Action[]) : fillActions(c.actions, lookup);
  } catch (e) {
    // A throwing lookup or a value too deep to compare: this policy fails, the others still run.
    return runtimeError(`evaluation failed: ${e instanceof Error ? e.message : 'unknown error'}`);
  }
}

/** Evaluates one policy and logs it; the winning outcome when it matched, else null. */
function step(c: CompiledPolicy, lookup: AttributeLookup, nowMs: number, results: ResultTrail) {
  // Plain literals, not a spread of a shared object: this runs once per policy on every call.
  const id = String(c?.id ?? '');
  const name = String(c?.name ?? '');
  if (c?.enabled !== true) {
    results.add({ policyId: id, name, result: 'DISABLED' });
    return null;
  }
  const run = runPolicy(c, lookup, nowMs);
  if (!run.ok) {
    results.add({ policyId: id, name, result: run.result, reason: run.reason });
  } else if (run.value === null) {
    results.add({ policyId: id, name, result: 'FALSE' });
  } else {
    results.add({ policyId: id, name, result: 'TRUE' });
    return evaluation(c.policy, run.value, results);
  }
  return null;
}

/**
 * An equality run (see runs.ts) starting at `at`: when its attribute holds a string, only the policies
 * testing for that string are run, the others get their FALSE (or DISABLED) line as they are. Null when
 * the attribute is missing, not a string or cannot be read: then each policy is evaluated on its own,
 * which gives each its ERROR, INVALID or FALSE.
 */
function stepRun(
  candidates: CompiledPolicy[],
  at: number,
  run: EqualityRun,
  lookup: AttributeLookup,
  nowMs: number,
  results: ResultTrail,
): { winner: Evaluation | null } | null {
  let value: JsonValue;
  try {
    const hit = lookup(run.attribute);
    if (!hit.found || typeof hit.value !== 'string') return null;
    value = hit.value;
  } catch {
    return null;
  }
  const selected = run.byLiteral.get(value) ?? [];
  let from = 0;
  for (const offset of selected) {
    results.addLines(run, from, offset);
    const winner = step(candidates[at + offset] as CompiledPolicy, lookup, nowMs, results);
    if (winner) return { winner };
    from = offset + 1;
  }
  results.addLines(run, from, run.length);
  return { winner: null };
}

/**
 * Evaluates policies top to bottom; the first enabled policy whose condition holds wins and its
 * actions come back with templates filled in. The log lists every policy up to and including the
 * winner (DISABLED ones too); policies after the winner are not evaluated and not logged.
 * `options.policyId` evaluates that one policy only. Never throws. Log lines must not be changed:
 * lines of equality runs are shared between evaluations (and frozen).
 */
export function evaluatePolicies(
  compiled: CompiledPolicy[],
  lookup: AttributeLookup,
  nowMs: number,
  options?: { policyId?: string },
): Evaluation {
  const results = new ResultTrail();
  const policyId = typeof options?.policyId === 'string' ? options.policyId : undefined;
  let candidates = Array.isArray(compiled) ? compiled : [];
  if (policyId !== undefined) candidates = candidates.filter((c) => c?.id === policyId).slice(0, 1);
  const guarded = guard(lookup);
  let anyEnabled = false;
  for (let at = 0; at < candidates.length; at++) {
    const c = candidates[at] as CompiledPolicy;
    if (c?.enabled === true) anyEnabled = true;
    const run = policyId === undefined ? c?.run : undefined;
    const fast = run ? stepRun(candidates, at, run, guarded, nowMs, results) : null;
    if (fast) {
      if (fast.winner) return fast.winner;
      at += (run as EqualityRun).length - 1;
      continue;
    }
    const winner = step(c, guarded, nowMs, results);
    if (winner) return winner;
  }
  const noMatchReason =
    anyEnabled || (policyId !== undefined && candidates.length === 0)
      ? 'NO_MATCHED_RULES'
      : 'NO_POLICIES_ENABLED';
  return evaluation(null, [], results, noMatchReason);
}
