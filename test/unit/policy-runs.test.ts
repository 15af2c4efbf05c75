import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type AttributeLookup,
  type CompiledPolicy,
  compilePolicies,
  evaluatePolicies,
  type JsonValue,
  type Policy,
} from '../../src/core/policy/index.js';
import { encodeResults } from '../../src/services/policy-log-format.js';

const NOW = Date.UTC(2026, 10, 25, 12);

/** The same list without the equality runs: every policy evaluated on its own. */
const withoutRuns = (compiled: CompiledPolicy[]) => compiled.map(({ run: _, ...c }) => c);

const intentRouter = (count: number, enabledEvery = 1): Policy[] =>
  Array.from({ length: count }, (_, i) => ({
    id: `p${i}`,
    name: `policy ${i}`,
    enabled: i % enabledEvery === 0,
    conditions: [{ attribute: 'orchestrator.intent', operator: 'EQUAL', value: `intent-${i}` }],
    actions: [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: `skill-${i}` } }],
  }));

const lookupOf =
  (values: Record<string, JsonValue>): AttributeLookup =>
  (name) =>
    Object.hasOwn(values, name) ? { found: true, value: values[name] as JsonValue } : { found: false };

test('a run of equality tests: only the selected policy runs, every other line is FALSE or DISABLED', () => {
  const compiled = compilePolicies(intentRouter(1000, 3));
  assert.ok(compiled[0]?.run, 'the list is one run');
  assert.equal(compiled[0]?.run?.length, 1000 - (999 % 3));
  const evaluation = evaluatePolicies(compiled, lookupOf({ 'orchestrator.intent': 'intent-996' }), NOW);
  assert.equal(evaluation.matched?.id, 'p996');
  assert.equal(evaluation.results.length, 997);
  assert.deepEqual(evaluation.results[1], { policyId: 'p1', name: 'policy 1', result: 'DISABLED' });
  assert.deepEqual(evaluation.results[3], { policyId: 'p3', name: 'policy 3', result: 'FALSE' });
  assert.deepEqual(evaluation.results.at(-1), { policyId: 'p996', name: 'policy 996', result: 'TRUE' });
  assert.deepEqual(
    evaluation,
    evaluatePolicies(withoutRuns(compiled), lookupOf({ 'orchestrator.intent': 'intent-996' }), NOW),
  );
});

test('missing, null, numeric and unreadable attributes fall back to evaluating each policy', () => {
  const compiled = compilePolicies(intentRouter(20));
  const cases: AttributeLookup[] = [
    lookupOf({}),
    lookupOf({ 'orchestrator.intent': null }),
    lookupOf({ 'orchestrator.intent': 7 }),
    lookupOf({ 'orchestrator.intent': ['intent-3'] }),
    () => {
      throw new Error('store down');
    },
  ];
  for (const lookup of cases) {
    assert.deepEqual(
      evaluatePolicies(compiled, lookup, NOW),
      evaluatePolicies(withoutRuns(compiled), lookup, NOW),
    );
  }
  const missing = evaluatePolicies(compiled, lookupOf({}), NOW);
  assert.equal(missing.results[0]?.result, 'ERROR');
  assert.equal(
    evaluatePolicies(compiled, lookupOf({ 'orchestrator.intent': 7 }), NOW).results[0]?.result,
    'INVALID',
  );
});

test('property: with or without equality runs, evaluation gives the same answer and the same log', () => {
  // Mostly one attribute, so that many lists hold runs of eight or more.
  const attribute = fc.oneof(
    { weight: 12, arbitrary: fc.constant('a.x') },
    { weight: 1, arbitrary: fc.constant('a.y') },
  );
  const literal = fc.constantFrom('p', 'q', 'r');
  const skill = fc.constantFrom('s1', '{{custom.skill}}', 'x-{{a.x}}');
  const equality = fc.record({
    enabled: fc.boolean(),
    attribute,
    literal,
    form: fc.constantFrom('condition', 'expression', 'reversed'),
    skill,
  });
  const other = fc.record({
    enabled: fc.boolean(),
    expression: fc.constantFrom(
      "a.x != 'p'",
      "a.x == 'p' and a.y == 'q'",
      'a.x == 1',
      "a.x == '{{a.y}}'",
      "'p' == 'p'",
    ),
    skill,
  });
  const policyArb = fc.oneof({ weight: 15, arbitrary: equality }, { weight: 1, arbitrary: other });
  const value = fc.oneof(literal, fc.constant('zz'), fc.integer(), fc.constant(null), fc.constant(['p']));
  const values = fc.record({ 'a.x': value, 'a.y': value, 'custom.skill': value }, { requiredKeys: [] });
  let withRuns = 0;
  fc.assert(
    fc.property(
      fc.array(policyArb, { maxLength: 60, size: 'max' }),
      values,
      fc.option(fc.nat({ max: 40 })),
      (specs, attrs, only) => {
        const policies: Policy[] = specs.map((spec, i) => {
          const base = {
            id: `p${i}`,
            name: `n${i}`,
            enabled: spec.enabled,
            actions: [{ type: 'TRANSFER_TO_SKILL' as const, payload: { skillId: spec.skill } }],
          };
          if ('expression' in spec) return { ...base, expression: spec.expression };
          if (spec.form === 'condition') {
            return {
              ...base,
              conditions: [{ attribute: spec.attribute, operator: 'EQUAL' as const, value: spec.literal }],
            };
          }
          const expression =
            spec.form === 'expression'
              ? `${spec.attribute} == '${spec.literal}'`
              : `'${spec.literal}' == ${spec.attribute}`;
          return { ...base, expression };
        });
        const compiled = compilePolicies(policies);
        if (compiled.some((c) => c.run)) withRuns++;
        const lookup = lookupOf(attrs as Record<string, JsonValue>);
        const options = only === null ? undefined : { policyId: `p${only}` };
        const fast = evaluatePolicies(compiled, lookup, NOW, options);
        const plain = evaluatePolicies(withoutRuns(compiled), lookup, NOW, options);
        assert.deepEqual(fast, plain);
        // The log encodes the runs' shared stretches exactly as it encodes every line one by one.
        assert.equal(fast.trail.length, plain.results.length);
        assert.deepEqual(encodeResults(fast.trail, 3), encodeResults(plain.results, 3));
        assert.deepEqual(encodeResults(plain.trail, 0), encodeResults(fast.results, 0));
      },
    ),
    { numRuns: 500 },
  );
  assert.ok(withRuns > 100, `only ${withRuns} of 500 lists had a run`);
});
