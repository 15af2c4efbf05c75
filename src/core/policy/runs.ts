import type { CompiledPolicy } from './compile.js';
import type { PolicyResult } from './types.js';

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
  return { attribute, length: policies.length, byLiteral, lines: Object.freeze(lines) };
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
