import { freezeDeep } from '../frozen.js';
import { type Expr, referencedAttributes } from './ast.js';
import { parseExpression } from './parser.js';
import { templateAttributes } from './templates.js';
import {
  ACTION_TYPES,
  type Action,
  type Condition,
  OPERATORS,
  type Policy,
  type PolicyResult,
} from './types.js';

/** How a policy's condition is checked, decided once when the policy list is loaded. */
export type CompiledCondition =
  | { kind: 'conditions'; conditions: Condition[]; literal: boolean[] }
  | { kind: 'expression'; ast: Expr }
  | { kind: 'invalid'; reason: string };

/** A policy ready for evaluation; `id`, `name` and `enabled` are read defensively from the input. */
export interface CompiledPolicy {
  policy: Policy;
  id: string;
  name: string;
  enabled: boolean;
  condition: CompiledCondition;
  actions: Action[];
  /**
   * When no payload value holds a `{{template}}`: a frozen copy of the actions, the answer of every call the
   * policy wins (nothing to fill in, so nothing to copy per call).
   */
  fixedActions?: readonly Action[];
  /** Set on the first policy of an equality run: the evaluator may take the run at once. */
  run?: EqualityRun;
}

type Loose = Record<string, unknown>;

function isRecord(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCondition(value: unknown): value is Condition {
  return (
    isRecord(value) &&
    typeof value.attribute === 'string' &&
    (OPERATORS as readonly unknown[]).includes(value.operator) &&
    value.value !== undefined
  );
}

function isAction(value: unknown): value is Action {
  return (
    isRecord(value) && (ACTION_TYPES as readonly unknown[]).includes(value.type) && isRecord(value.payload)
  );
}

function compileCondition(p: Loose): CompiledCondition {
  const hasConditions = p.conditions !== undefined;
  if (hasConditions === (p.expression !== undefined)) {
    return { kind: 'invalid', reason: 'a policy needs exactly one of conditions or expression' };
  }
  if (hasConditions) {
    const list = p.conditions;
    if (!Array.isArray(list) || list.length === 0 || !list.every(isCondition)) {
      return { kind: 'invalid', reason: 'malformed conditions' };
    }
    // A value without `{{` is used as it is: no template to resolve on every call.
    const literal = list.map((c) => typeof c.value !== 'string' || !c.value.includes('{{'));
    return { kind: 'conditions', conditions: list, literal };
  }
  if (typeof p.expression !== 'string') return { kind: 'invalid', reason: 'expression is not a string' };
  const parsed = parseExpression(p.expression);
  if (!parsed.ok) return { kind: 'invalid', reason: `expression does not parse: ${parsed.error.message}` };
  return { kind: 'expression', ast: parsed.ast };
}

function compileOne(input: unknown): CompiledPolicy {
  const p = isRecord(input) ? input : {};
  const compiled: CompiledPolicy = {
    policy: input as Policy,
    id: typeof p.id === 'string' ? p.id : '',
    name: typeof p.name === 'string' ? p.name : '',
    enabled: p.enabled === true,
    condition: compileCondition(p),
    actions: [],
  };
  const actions = p.actions;
  if (!Array.isArray(actions) || actions.length === 0 || !actions.every(isAction)) {
    if (compiled.condition.kind !== 'invalid') {
      compiled.condition = { kind: 'invalid', reason: 'malformed actions' };
    }
  } else {
    compiled.actions = actions;
    const templated = actions.some((a) =>
      Object.values(a.payload).some((v) => typeof v === 'string' && v.includes('{{')),
    );
    if (!templated) compiled.fixedActions = freezeDeep(structuredClone(actions));
  }
  return compiled;
}

/**
 * Prepares an ordered policy list for evaluation, parsing each expression once. A policy that cannot
 * run (an expression that does not parse, malformed conditions or actions) is kept, marked invalid.
 */
export function compilePolicies(policies: Policy[]): CompiledPolicy[] {
  if (!Array.isArray(policies)) return [];
  const compiled = policies.map((p) => {
    try {
      return compileOne(p);
    } catch {
      return compileOne(null);
    }
  });
  for (const [at, run] of findEqualityRuns(compiled)) (compiled[at] as CompiledPolicy).run = run;
  return compiled;
}

/** Every attribute that enabled policies read in conditions, expressions or templates, sorted. */
export function collectAttributes(compiled: CompiledPolicy[]): string[] {
  const names = new Set<string>();
  for (const c of compiled) {
    if (!c.enabled || c.condition.kind === 'invalid') continue;
    if (c.condition.kind === 'expression') {
      for (const name of referencedAttributes(c.condition.ast)) names.add(name);
    } else {
      for (const cond of c.condition.conditions) {
        names.add(cond.attribute);
        if (typeof cond.value === 'string') {
          for (const name of templateAttributes(cond.value)) names.add(name);
        }
      }
    }
    for (const action of c.actions) {
      for (const value of Object.values(action.payload)) {
        if (typeof value === 'string') for (const name of templateAttributes(value)) names.add(name);
      }
    }
  }
  return [...names].sort();
}

/** A log line the evaluator can hand out as it is (never changed, so shared by every evaluation). */
export interface RunLine {
  readonly policyId: string;
  readonly name: string;
  readonly result: PolicyResult;
}

/**
 * Consecutive policies that each test one attribute for equality with a string — the usual shape of an
 * intent router (`orchestrator.intent == 'billing'`) — possibly with disabled policies among them. When
 * the attribute holds a string, every enabled policy of the run tests `value === literal`, so all but
 * those whose literal is that string are FALSE without running them: a run of a thousand policies
 * costs one lookup and one map access.
 */
export interface EqualityRun {
  attribute: string;
  /** How many positions, from the policy that carries the run, it covers. */
  length: number;
  /** For each literal, the offsets in the run of the enabled policies testing for it, in order. */
  byLiteral: Map<string, number[]>;
  /** By offset: the line of a policy the value does not select (FALSE), or of a disabled one. */
  lines: readonly RunLine[];
  /** By offset: where the stretch of lines with the same result that starts there ends (exclusive). */
  stretchEnds: Int32Array;
}

/** Shorter stretches are not worth a map. */
const MIN_RUN = 8;

/** `attribute EQUAL 'literal'`, as a one-condition list or as an expression, else null. */
function equalityTest(c: CompiledPolicy): { attribute: string; literal: string } | null {
  const condition = c.condition;
  if (condition.kind === 'conditions') {
    const only = condition.conditions[0];
    if (condition.conditions.length !== 1 || !only || only.operator !== 'EQUAL') return null;
    if (typeof only.value !== 'string' || condition.literal[0] !== true) return null;
    return { attribute: only.attribute, literal: only.value };
  }
  if (condition.kind !== 'expression') return null;
  const ast = condition.ast;
  if (ast.kind !== 'binary' || ast.op !== '==') return null;
  const [attribute, literal] = ast.left.kind === 'attribute' ? [ast.left, ast.right] : [ast.right, ast.left];
  if (attribute.kind !== 'attribute' || literal.kind !== 'literal' || typeof literal.value !== 'string') {
    return null;
  }
  return { attribute: attribute.name, literal: literal.value };
}

function line(c: CompiledPolicy, result: PolicyResult): RunLine {
  return Object.freeze({ policyId: c.id, name: c.name, result });
}

function makeRun(policies: CompiledPolicy[], attribute: string): EqualityRun {
  const byLiteral = new Map<string, number[]>();
  const lines = policies.map((c, offset) => {
    if (!c.enabled) return line(c, 'DISABLED');
    const literal = (equalityTest(c) as { literal: string }).literal;
    const offsets = byLiteral.get(literal) ?? [];
    offsets.push(offset);
    byLiteral.set(literal, offsets);
    return line(c, 'FALSE');
  });
  const stretchEnds = new Int32Array(lines.length);
  for (let i = lines.length - 1; i >= 0; i--) {
    const next = lines[i + 1];
    stretchEnds[i] =
      next && next.result === (lines[i] as RunLine).result ? (stretchEnds[i + 1] as number) : i + 1;
  }
  return { attribute, length: policies.length, byLiteral, lines: Object.freeze(lines), stretchEnds };
}

/**
 * Finds the equality runs of a compiled list and returns, by position, the run that starts there.
 * A run holds at least MIN_RUN enabled policies on one attribute; disabled policies inside it stay.
 */
export function findEqualityRuns(compiled: CompiledPolicy[]): Map<number, EqualityRun> {
  const runs = new Map<number, EqualityRun>();
  let start = 0;
  while (start < compiled.length) {
    const first = compiled[start] as CompiledPolicy;
    const test = first.enabled ? equalityTest(first) : null;
    if (!test) {
      start++;
      continue;
    }
    let end = start + 1;
    let last = start;
    let enabled = 1;
    for (; end < compiled.length; end++) {
      const c = compiled[end] as CompiledPolicy;
      if (!c.enabled) continue;
      if (equalityTest(c)?.attribute !== test.attribute) break;
      last = end;
      enabled++;
    }
    if (enabled >= MIN_RUN) runs.set(start, makeRun(compiled.slice(start, last + 1), test.attribute));
    start = last + 1;
  }
  return runs;
}
