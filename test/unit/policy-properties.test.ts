import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { BinaryOp, Expr } from '../../src/core/policy/ast.js';
import { compilePolicies, evaluatePolicies } from '../../src/core/policy/evaluate.js';
import { parseExpression } from '../../src/core/policy/parser.js';
import { printExpression } from '../../src/core/policy/print.js';
import {
  ACTION_TYPES,
  type AttributeLookup,
  type JsonValue,
  OPERATORS,
  type Policy,
} from '../../src/core/policy/types.js';
import { validatePolicyInput } from '../../src/core/policy/validate.js';

const RESULTS = ['TRUE', 'FALSE', 'ERROR', 'INVALID', 'DISABLED'];
const BINARY_OPS = 'or and == != < <= > >= in || + - * / % ^'.split(' ') as BinaryOp[];
// biome-ignore format: a token table reads better packed
const TOKENS = [
  '(', ')', '[', ']', ',', 'and', 'OR', 'not', 'in', '==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%',
  '^', '||', "'a'", "'", "\\'", '\\', '1', '2.5', '1e3', 'a.b', 'custom.x', 'sqrt', 'isTimeRange', 'isDateRange',
  "'09:00:00'", "'UTC'", "['MON']", 'true', 'null', ' ', '=', '!', '|', '.', '"', '\n', 'é', '\u0000',
];

// Parsed trees are plain objects, so generated ones must be too for deepEqual to compare them.
const NO_NULL_PROTO = { noNullPrototype: true };

const tokenSoup = fc
  .tuple(fc.array(fc.constantFrom(...TOKENS), { maxLength: 80 }), fc.boolean())
  .map(([tokens, spaced]) => tokens.join(spaced ? ' ' : ''));

// A few fixed names recur so that generated policies and attribute sets meet.
const attributeName = fc.oneof(
  fc.constantFrom('custom.a', 'custom.b', 'orchestrator.intent'),
  fc
    .tuple(
      fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,4}$/),
      fc.array(fc.stringMatching(/^[A-Za-z0-9_]{1,4}$/), { minLength: 1, maxLength: 2 }),
    )
    .map(([head, rest]) => [head, ...rest].join('.')),
);

const attribute = attributeName.map((name): Expr => ({ kind: 'attribute', name }));
const number = fc
  .oneof(fc.nat(), fc.double({ min: 0, max: 1e25, noNaN: true }))
  .map((n) => (Object.is(n, -0) ? 0 : n));
const literal = fc
  .oneof(fc.string({ maxLength: 8 }), number, fc.boolean(), fc.constant(null))
  .map((value): Expr => ({ kind: 'literal', value }));
const text = (arb: fc.Arbitrary<string>) => arb.map((value): Expr => ({ kind: 'literal', value }));
const clock = text(fc.constantFrom('00:00:00', '09:30:00', '23:59:59', '12:00'));
const zone = text(fc.constantFrom('UTC', 'Europe/London', 'America/New_York', 'Mars/Base'));
const days = fc
  .subarray(['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'], { minLength: 1 })
  .map((d): Expr => ({ kind: 'list', items: d.map((value) => ({ kind: 'literal', value })) }));
const timeCall = fc
  .tuple(fc.oneof(clock, attribute), fc.oneof(clock, attribute), fc.oneof(zone, attribute), fc.option(days))
  .map(([s, e, z, d]): Expr => ({ kind: 'call', name: 'isTimeRange', args: d ? [s, e, z, d] : [s, e, z] }));

const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { maxDepth: 5, depthIdentifier: 'expr' },
    literal,
    attribute,
    fc.record(
      {
        kind: fc.constant('unary' as const),
        op: fc.constantFrom('not' as const, '-' as const),
        operand: tie('expr'),
      },
      NO_NULL_PROTO,
    ),
    fc.record(
      {
        kind: fc.constant('binary' as const),
        op: fc.constantFrom(...BINARY_OPS),
        left: tie('expr'),
        right: tie('expr'),
      },
      NO_NULL_PROTO,
    ),
    fc.record(
      { kind: fc.constant('list' as const), items: fc.array(tie('expr'), { maxLength: 3 }) },
      NO_NULL_PROTO,
    ),
    fc
      .oneof(
        number.map((value): Expr => ({ kind: 'literal', value })),
        attribute,
        tie('expr'),
      )
      .filter((x) => (x.kind === 'literal' ? typeof x.value === 'number' : x.kind !== 'list'))
      .map((x): Expr => ({ kind: 'call', name: 'sqrt', args: [x] })),
    timeCall,
  ),
}));

const jsonValue: fc.Arbitrary<JsonValue> = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>;
const template = attributeName.map((name) => `{{${name}}}`);
const attributes = fc.dictionary(attributeName, jsonValue, { maxKeys: 6 });

// Mostly well-formed, sometimes not: enough valid policies to reach TRUE, enough junk to hit every refusal.
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: good, weight: 8 }, { arbitrary: bad, weight: 1 });
const payloadValue = mostly(fc.oneof(template, fc.stringMatching(/^[a-z]{1,6}$/), fc.integer()), jsonValue);
const goodAction = fc.oneof(
  fc.record({ type: fc.constant('TRANSFER_TO_SKILL'), payload: fc.record({ skillId: payloadValue }) }),
  fc.record({
    type: fc.constant('TRANSFER_TO_AGENT'),
    payload: fc.record({ userId: payloadValue, skillId: payloadValue }, { requiredKeys: ['userId'] }),
  }),
  fc.record({ type: fc.constant('TRANSFER_TO_AGENT'), payload: fc.record({ agentId: payloadValue }) }),
  fc.record({ type: fc.constant('SEND_MESSAGE'), payload: fc.record({ message: payloadValue }) }),
  fc.record({ type: fc.constant('SEND_MESSAGE'), payload: fc.record({ text: payloadValue }) }),
);
const junkAction = fc.record({
  type: fc.oneof(fc.constantFrom(...ACTION_TYPES), fc.string()),
  payload: fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), jsonValue, { maxKeys: 2 }), fc.anything()),
});
const condition = fc.record({
  attribute: mostly(attributeName, fc.string()),
  operator: mostly(fc.constantFrom(...OPERATORS), fc.string()),
  value: fc.oneof(jsonValue, template, fc.array(jsonValue, { maxLength: 3 })),
});

const policyBase = {
  id: fc.string({ maxLength: 4 }),
  name: mostly(
    fc.string({ minLength: 1, maxLength: 4 }).filter((n) => n.trim() !== ''),
    fc.anything(),
  ),
  enabled: mostly(fc.constant(true), fc.oneof(fc.boolean(), fc.anything())),
  actions: mostly(fc.array(mostly(goodAction, junkAction), { minLength: 1, maxLength: 3 }), fc.anything()),
};
const conditions = mostly(fc.array(condition, { minLength: 1, maxLength: 3 }), fc.anything());
const expression = mostly(
  fc.oneof(
    {
      arbitrary: fc.constantFrom('true', 'custom.a == custom.b', "custom.a != 'x' or custom.b > 0"),
      weight: 2,
    },
    { arbitrary: expr.map(printExpression), weight: 1 },
  ),
  tokenSoup,
);
const structuredPolicy = fc.oneof(
  { arbitrary: fc.record({ ...policyBase, conditions }, NO_NULL_PROTO), weight: 4 },
  { arbitrary: fc.record({ ...policyBase, expression }, NO_NULL_PROTO), weight: 4 },
  { arbitrary: fc.record({ ...policyBase, conditions, expression }, { requiredKeys: ['id'] }), weight: 1 },
);

function lookupFrom(attrs: Record<string, unknown>): AttributeLookup {
  return (name) =>
    Object.hasOwn(attrs, name) ? { found: true, value: attrs[name] as JsonValue } : { found: false };
}

describe('properties', () => {
  test('parseExpression never throws; a refusal names a position inside the input', () => {
    const input = fc.oneof(
      tokenSoup,
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      expr.map(printExpression),
      fc.string({ minLength: 3990, maxLength: 4100, unit: fc.constantFrom('(', '-', 'not ', '1', '+', "'") }),
    );
    fc.assert(
      fc.property(input, (src) => {
        const r = parseExpression(src);
        if (r.ok) return;
        assert.ok(Number.isInteger(r.error.position));
        assert.ok(r.error.position >= 0 && r.error.position <= src.length, r.error.message);
        assert.ok(r.error.message.includes(`at position ${r.error.position}`), r.error.message);
      }),
      { numRuns: 1000 },
    );
  });

  test('printing a tree and parsing it back gives the same tree', () => {
    fc.assert(
      fc.property(expr, (tree) => {
        const source = printExpression(tree);
        const r = parseExpression(source);
        assert.ok(r.ok, `${source}: ${r.ok ? '' : r.error.message}`);
        assert.deepEqual(r.ast, tree);
      }),
      { numRuns: 1000 },
    );
  });

  test('evaluatePolicies never throws, whatever the policies, attributes and clock', () => {
    const policies = fc.array(mostly(structuredPolicy, fc.anything()), { maxLength: 5 });
    const known = fc.record(
      { 'custom.a': fc.constantFrom(1, 'x', true), 'custom.b': fc.constantFrom(1, 'x', [1]) },
      { requiredKeys: [] },
    );
    const values = fc
      .tuple(fc.dictionary(attributeName, fc.oneof(jsonValue, fc.anything()), { maxKeys: 6 }), known)
      .map(([random, fixed]) => ({ ...random, ...fixed }));
    const now = fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.double());
    const policyId = mostly(fc.constant(undefined), fc.string({ maxLength: 4 }));
    let matched = 0;
    fc.assert(
      fc.property(policies, values, now, policyId, (list, attrs, nowMs, id) => {
        const out = evaluatePolicies(compilePolicies(list as Policy[]), lookupFrom(attrs), nowMs, {
          policyId: id,
        });
        matched += out.matched ? 1 : 0;
        assert.ok(out.results.every((r) => RESULTS.includes(r.result)));
        const last = out.results.at(-1);
        if (out.matched) {
          assert.equal(last?.result, 'TRUE');
          assert.equal(out.noMatchReason, undefined);
        } else {
          assert.deepEqual(out.actions, []);
          assert.ok(out.noMatchReason === 'NO_MATCHED_RULES' || out.noMatchReason === 'NO_POLICIES_ENABLED');
        }
      }),
      { numRuns: 500 },
    );
    assert.ok(matched > 10, `only ${matched} of 500 runs matched a policy; the generator needs tuning`);
  });

  test('a condition and the same comparison as an expression agree', () => {
    const ops = [
      ['EQUAL', '=='],
      ['NOT_EQUAL', '!='],
      ['LESS_THAN', '<'],
      ['LESS_THAN_OR_EQUAL', '<='],
      ['GREATER_THAN', '>'],
      ['GREATER_THAN_OR_EQUAL', '>='],
      ['IS_IN', 'in'],
    ] as const;
    fc.assert(
      fc.property(fc.constantFrom(...ops), jsonValue, jsonValue, ([operator, symbol], x, v) => {
        const lookup = lookupFrom({ 'custom.x': x, 'custom.v': v });
        const actions = [{ type: 'SEND_MESSAGE' as const, payload: { message: 'm' } }];
        const both = compilePolicies([
          {
            id: 'c',
            name: 'c',
            enabled: true,
            conditions: [{ attribute: 'custom.x', operator, value: v }],
            actions,
          },
          { id: 'e', name: 'e', enabled: true, expression: `custom.x ${symbol} custom.v`, actions },
        ]);
        const [c, e] = both.map((p) => evaluatePolicies([p], lookup, 0).results[0]?.result);
        assert.equal(c, e);
      }),
      { numRuns: 500 },
    );
  });

  test('whatever validatePolicyInput accepts compiles and evaluates', () => {
    let accepted = 0;
    const input = mostly(structuredPolicy, fc.anything());
    fc.assert(
      fc.property(input, attributes, (candidate, attrs) => {
        const r = validatePolicyInput(candidate, 'id');
        accepted += r.ok ? 1 : 0;
        if (!r.ok) {
          assert.ok(r.errors.length > 0);
          return;
        }
        const [compiled] = compilePolicies([{ ...r.policy, enabled: true }]);
        assert.notEqual(compiled?.condition.kind, 'invalid');
        const out = evaluatePolicies(compilePolicies([r.policy]), lookupFrom(attrs), 0);
        assert.ok(out.results.length === 1);
      }),
      { numRuns: 500 },
    );
    assert.ok(accepted > 25, `only ${accepted} of 500 inputs were valid; the generator needs tuning`);
  });
});
