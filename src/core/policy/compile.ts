import { type Expr, referencedAttributes } from './ast.js';
import { parseExpression } from './parser.js';
import { type EqualityRun, findEqualityRuns } from './runs.js';
import { templateAttributes } from './templates.js';
import { ACTION_TYPES, type Action, type Condition, OPERATORS, type Policy } from './types.js';

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
