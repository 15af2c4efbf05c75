import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { collectAttributes, compilePolicies, evaluatePolicies } from '../../src/core/policy/evaluate.js';
import type {
  AttributeLookup,
  JsonValue,
  Operator,
  Policy,
  PolicyResult,
} from '../../src/core/policy/types.js';

const NOW = Date.UTC(2026, 0, 5, 14, 30); // Monday 2026-01-05 14:30 UTC

function lookupFrom(attrs: Record<string, JsonValue>): AttributeLookup {
  return (name) =>
    Object.hasOwn(attrs, name) ? { found: true, value: attrs[name] as JsonValue } : { found: false };
}

function policy(id: string, rest: Partial<Policy> = {}): Policy {
  return {
    id,
    name: `policy ${id}`,
    enabled: true,
    expression: 'true',
    actions: [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: `skill-${id}` } }],
    ...rest,
  };
}

function run(policies: Policy[], attrs: Record<string, JsonValue> = {}, policyId?: string) {
  return evaluatePolicies(
    compilePolicies(policies),
    lookupFrom(attrs),
    NOW,
    policyId ? { policyId } : undefined,
  );
}

function resultOf(p: Partial<Policy>, attrs: Record<string, JsonValue> = {}): PolicyResult {
  const entry = run([policy('p', p)], attrs).results[0];
  assert.ok(entry);
  return entry.result;
}

const when = (expression: string, attrs: Record<string, JsonValue> = {}) => resultOf({ expression }, attrs);

const EXPRESSION_OP: Partial<Record<Operator, string>> = {
  EQUAL: '==',
  NOT_EQUAL: '!=',
  LESS_THAN: '<',
  LESS_THAN_OR_EQUAL: '<=',
  GREATER_THAN: '>',
  GREATER_THAN_OR_EQUAL: '>=',
  IS_IN: 'in',
};

type Row = [Operator, JsonValue, JsonValue, PolicyResult];
const T = 'TRUE';
const F = 'FALSE';
const I = 'INVALID';
const OPERATOR_TABLE: Row[] = [
  ['EQUAL', 'gold', 'gold', T],
  ['EQUAL', 'gold', 'Gold', F],
  ['EQUAL', 1, 1, T],
  ['EQUAL', 1, 1.5, F],
  ['EQUAL', 1, '1', I],
  ['EQUAL', '1', 1, I],
  ['EQUAL', true, true, T],
  ['EQUAL', true, false, F],
  ['EQUAL', true, 'true', I],
  ['EQUAL', [1, 'a'], [1, 'a'], T],
  ['EQUAL', [1, 2], [2, 1], F],
  ['EQUAL', [1], 1, I],
  ['EQUAL', { a: 1, b: [2] }, { b: [2], a: 1 }, T],
  ['EQUAL', { a: 1 }, { a: 1, b: 2 }, F],
  ['EQUAL', { a: 1 }, [1], I],
  ['EQUAL', null, null, T],
  ['EQUAL', null, 'x', F],
  ['EQUAL', 'x', null, F],
  ['NOT_EQUAL', 'gold', 'silver', T],
  ['NOT_EQUAL', 'gold', 'gold', F],
  ['NOT_EQUAL', 2, 1, T],
  ['NOT_EQUAL', 2, '2', I],
  ['NOT_EQUAL', false, true, T],
  ['NOT_EQUAL', [1], [1], F],
  ['NOT_EQUAL', { a: [1] }, { a: [2] }, T],
  ['NOT_EQUAL', { a: 1 }, 'a', I],
  ['NOT_EQUAL', null, 0, T],
  ['LESS_THAN', 1, 2, T],
  ['LESS_THAN', 2, 2, F],
  ['LESS_THAN', -1.5, -1, T],
  ['LESS_THAN', '1', 2, I],
  ['LESS_THAN', 1, '2', I],
  ['LESS_THAN', 'a', 'b', I],
  ['LESS_THAN', true, 1, I],
  ['LESS_THAN', [1], 2, I],
  ['LESS_THAN', { a: 1 }, 2, I],
  ['LESS_THAN', null, 2, I],
  ['LESS_THAN_OR_EQUAL', 2, 2, T],
  ['LESS_THAN_OR_EQUAL', 3, 2, F],
  ['LESS_THAN_OR_EQUAL', '2', 2, I],
  ['GREATER_THAN', 3, 2, T],
  ['GREATER_THAN', 2, 2, F],
  ['GREATER_THAN', 'b', 'a', I],
  ['GREATER_THAN', false, true, I],
  ['GREATER_THAN_OR_EQUAL', 2, 2, T],
  ['GREATER_THAN_OR_EQUAL', 1, 2, F],
  ['GREATER_THAN_OR_EQUAL', [3], 2, I],
  ['CONTAINS', 'hello world', 'world', T],
  ['CONTAINS', 'Hello', 'hello', F],
  ['CONTAINS', 'abc', '', T],
  ['CONTAINS', 'a1', 1, I],
  ['CONTAINS', ['a', 'b'], 'a', T],
  ['CONTAINS', [1, 2], '1', F],
  ['CONTAINS', [[1], 2], [1], T],
  ['CONTAINS', [{ a: 1 }], { a: 1 }, T],
  ['CONTAINS', [true], true, T],
  ['CONTAINS', 5, 5, I],
  ['CONTAINS', true, true, I],
  ['CONTAINS', { a: 1 }, 'a', I],
  ['CONTAINS', null, 'a', I],
  ['IS_IN', 'a', ['a', 'b'], T],
  ['IS_IN', 'c', ['a', 'b'], F],
  ['IS_IN', 1, ['1', 2], F],
  ['IS_IN', 2, ['1', 2], T],
  ['IS_IN', true, [false, true], T],
  ['IS_IN', [1], [[1], [2]], T],
  ['IS_IN', { a: 1 }, [{ a: 1 }], T],
  ['IS_IN', null, [null], T],
  ['IS_IN', 'a', 'abc', I],
  ['IS_IN', 'a', { a: 1 }, I],
  ['IS_IN', 1, 1, I],
];

describe('operators × value types', () => {
  for (const [op, attr, value, expected] of OPERATOR_TABLE) {
    const label = `${JSON.stringify(attr)} ${op} ${JSON.stringify(value)} is ${expected}`;
    test(`condition: ${label}`, () => {
      const conditions = [{ attribute: 'custom.x', operator: op, value }];
      assert.equal(resultOf({ conditions, expression: undefined }, { 'custom.x': attr }), expected);
    });
    test(`condition with {{reference}}: ${label}`, () => {
      const conditions = [{ attribute: 'custom.x', operator: op, value: '{{custom.v}}' }];
      assert.equal(
        resultOf({ conditions, expression: undefined }, { 'custom.x': attr, 'custom.v': value }),
        expected,
      );
    });
    const symbol = EXPRESSION_OP[op];
    if (symbol) {
      test(`expression: ${label}`, () => {
        assert.equal(when(`custom.x ${symbol} custom.v`, { 'custom.x': attr, 'custom.v': value }), expected);
      });
    }
  }
});

describe('conditions', () => {
  const conditionsOnly = (conditions: Policy['conditions'], attrs: Record<string, JsonValue>) =>
    run([policy('p', { conditions, expression: undefined })], attrs).results[0];

  test('all must hold', () => {
    const conditions: Policy['conditions'] = [
      { attribute: 'custom.tier', operator: 'EQUAL', value: 'gold' },
      { attribute: 'orchestrator.score', operator: 'GREATER_THAN', value: 5 },
    ];
    assert.equal(
      conditionsOnly(conditions, { 'custom.tier': 'gold', 'orchestrator.score': 6 })?.result,
      'TRUE',
    );
    assert.equal(
      conditionsOnly(conditions, { 'custom.tier': 'gold', 'orchestrator.score': 5 })?.result,
      'FALSE',
    );
  });
  test('a missing attribute is an ERROR', () => {
    const entry = conditionsOnly([{ attribute: 'custom.tier', operator: 'EQUAL', value: 'gold' }], {});
    assert.deepEqual(entry?.result, 'ERROR');
    assert.equal(entry?.reason, 'missing attribute custom.tier');
  });
  test('a missing {{reference}} in the value is an ERROR', () => {
    const entry = conditionsOnly(
      [{ attribute: 'custom.tier', operator: 'EQUAL', value: '{{custom.gold}}' }],
      {
        'custom.tier': 'gold',
      },
    );
    assert.equal(entry?.result, 'ERROR');
  });
  test('templates embedded in a value are filled in as text', () => {
    const conditions: Policy['conditions'] = [
      { attribute: 'custom.greeting', operator: 'EQUAL', value: 'hello {{custom.name}}' },
    ];
    assert.equal(
      conditionsOnly(conditions, { 'custom.greeting': 'hello Ann', 'custom.name': 'Ann' })?.result,
      'TRUE',
    );
  });
  test('the first failing condition decides; later ones are not read', () => {
    const conditions: Policy['conditions'] = [
      { attribute: 'custom.tier', operator: 'EQUAL', value: 'gold' },
      { attribute: 'custom.missing', operator: 'EQUAL', value: 1 },
    ];
    assert.equal(conditionsOnly(conditions, { 'custom.tier': 'silver' })?.result, 'FALSE');
    assert.equal(conditionsOnly(conditions, { 'custom.tier': 'gold' })?.result, 'ERROR');
  });
});

describe('expressions', () => {
  const attrs = { 'custom.n': 5, 'custom.s': 'abc', 'custom.t': true, 'custom.list': [1, 2] };
  const truths = [
    '2 ^ 10 == 1024',
    '-2 ^ 2 == -4',
    '(-2) ^ 2 == 4',
    '2 ^ 3 ^ 2 == 512',
    '(2 ^ 3) ^ 2 == 64',
    '2 ^ -1 == 0.5',
    '7 % 3 == 1',
    '10 / 4 == 2.5',
    '1 + 2 * 3 == 7',
    '10 - 4 - 3 == 3',
    'sqrt(16) == 4',
    'sqrt(custom.n * 5) == 5',
    "'a' || 'b' == 'ab'",
    "custom.s || custom.n == 'abc5'",
    "custom.n || '' == '5'",
    'not false',
    'custom.t and custom.n > 4',
    'custom.n in [4, 5, 6]',
    'custom.list == [1, 2]',
    'true and true or custom.missing == 2',
    'not (false and custom.missing)',
    'true or custom.missing',
    'null == null',
    'custom.n != null',
  ];
  for (const src of truths) test(`${src} is TRUE`, () => assert.equal(when(src, attrs), 'TRUE'));

  const others: [string, PolicyResult][] = [
    ['custom.n > 5', 'FALSE'],
    ['custom.missing and false', 'ERROR'],
    ['custom.missing == 1 or true', 'ERROR'],
    ['custom.missing == 1', 'ERROR'],
    ['1 / 0 == 1', 'ERROR'],
    ['5 % 0 == 1', 'ERROR'],
    ['sqrt(0 - 1) == 1', 'ERROR'],
    ['10 ^ 400 > 1', 'ERROR'],
    ['custom.n', 'INVALID'],
    ["'yes'", 'INVALID'],
    ['null', 'INVALID'],
    ['not custom.s', 'INVALID'],
    ['custom.n and true', 'INVALID'],
    ['true or custom.n', 'TRUE'],
    ['false or custom.n', 'INVALID'],
    ['custom.s + 1 == 2', 'INVALID'],
    ['-custom.s == 1', 'INVALID'],
    ['custom.t || custom.s == 1', 'INVALID'],
    ['sqrt(custom.s) == 1', 'INVALID'],
    ['custom.n < custom.s', 'INVALID'],
    ["custom.s in 'abc'", 'INVALID'],
  ];
  for (const [src, expected] of others)
    test(`${src} is ${expected}`, () => assert.equal(when(src, attrs), expected));

  test('an expression that does not parse is INVALID with the parser message', () => {
    const entry = run([policy('p', { expression: 'a.b ==' })]).results[0];
    assert.equal(entry?.result, 'INVALID');
    assert.equal(entry?.reason, 'expression does not parse: unexpected end of expression at position 6');
  });
  test('a long flat chain evaluates without overflowing', () => {
    const src = `${Array.from({ length: 1990 }, () => '1').join('+')} == 1990`;
    assert.ok(src.length <= 4000);
    assert.equal(when(src), 'TRUE');
  });
});

describe('evaluation order and the log', () => {
  test('first match wins; disabled are logged; policies after the match are not', () => {
    const attrs = { 'custom.tier': 'gold' };
    const out = run(
      [
        policy('a', { expression: "custom.tier == 'silver'" }),
        policy('b', { enabled: false }),
        policy('c', { expression: 'custom.nope == 1' }),
        policy('d', { expression: "custom.tier == 'gold'" }),
        policy('e'),
      ],
      attrs,
    );
    assert.equal(out.matched?.id, 'd');
    assert.deepEqual(out.actions, [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: 'skill-d' } }]);
    assert.deepEqual(
      out.results.map((r) => [r.policyId, r.result]),
      [
        ['a', 'FALSE'],
        ['b', 'DISABLED'],
        ['c', 'ERROR'],
        ['d', 'TRUE'],
      ],
    );
    assert.equal(out.results[0]?.name, 'policy a');
    assert.equal(out.noMatchReason, undefined);
  });
  test('no policy holds: NO_MATCHED_RULES', () => {
    const out = run([policy('a', { expression: 'false' }), policy('b', { enabled: false })]);
    assert.equal(out.matched, null);
    assert.deepEqual(out.actions, []);
    assert.equal(out.noMatchReason, 'NO_MATCHED_RULES');
    assert.equal(out.results.length, 2);
  });
  test('no policy enabled, or none at all: NO_POLICIES_ENABLED', () => {
    assert.equal(run([policy('a', { enabled: false })]).noMatchReason, 'NO_POLICIES_ENABLED');
    assert.equal(run([]).noMatchReason, 'NO_POLICIES_ENABLED');
  });
  test('policyId evaluates that policy only', () => {
    const policies = [
      policy('a'),
      policy('b', { expression: 'custom.n > 1' }),
      policy('c', { enabled: false }),
    ];
    const out = run(policies, { 'custom.n': 2 }, 'b');
    assert.equal(out.matched?.id, 'b');
    assert.deepEqual(
      out.results.map((r) => r.policyId),
      ['b'],
    );
    const unknown = run(policies, {}, 'zzz');
    assert.deepEqual(
      [unknown.matched, unknown.results, unknown.noMatchReason],
      [null, [], 'NO_MATCHED_RULES'],
    );
    const disabled = run(policies, {}, 'c');
    assert.deepEqual(
      disabled.results.map((r) => r.result),
      ['DISABLED'],
    );
    assert.equal(disabled.noMatchReason, 'NO_POLICIES_ENABLED');
  });
  test('a lookup that throws makes that policy ERROR, and evaluation goes on', () => {
    const compiled = compilePolicies([policy('a', { expression: 'custom.x == 1' }), policy('b')]);
    const out = evaluatePolicies(
      compiled,
      () => {
        throw new Error('store down');
      },
      NOW,
    );
    assert.deepEqual(
      out.results.map((r) => [r.result, r.reason]),
      [
        ['ERROR', 'evaluation failed: store down'],
        ['TRUE', undefined],
      ],
    );
  });
  test('a lookup returning junk counts as a missing attribute', () => {
    const out = evaluatePolicies(
      compilePolicies([policy('a', { expression: 'custom.x == 1' })]),
      (() => undefined) as unknown as AttributeLookup,
      NOW,
    );
    assert.equal(out.results[0]?.result, 'ERROR');
  });
  test('malformed stored policies are INVALID, never thrown', () => {
    const junk = [{ id: 'x', name: 'x', enabled: true, actions: [] }, null, 'nope'] as unknown as Policy[];
    const out = evaluatePolicies(compilePolicies(junk), lookupFrom({}), NOW);
    assert.deepEqual(
      out.results.map((r) => r.result),
      ['INVALID', 'DISABLED', 'DISABLED'],
    );
  });
});

describe('action templates', () => {
  const attrs = {
    'custom.skill': 1234,
    'custom.skillName': 'vip',
    'custom.flag': true,
    'custom.list': ['a', 1],
    'custom.nothing': null,
    'custom.name': 'Ann',
  };
  const fill = (payload: Record<string, JsonValue>) =>
    run([policy('p', { actions: [{ type: 'SEND_MESSAGE', payload }] }), policy('fallback')], attrs);

  test('exactly {{x}} keeps numbers and turns anything else into a string', () => {
    const out = fill({
      a: '{{custom.skill}}',
      b: '{{ custom.skillName }}',
      c: '{{custom.flag}}',
      d: '{{custom.list}}',
    });
    assert.deepEqual(out.actions[0]?.payload, { a: 1234, b: 'vip', c: 'true', d: '["a",1]' });
  });
  test('embedded templates are filled in as text', () => {
    const out = fill({ message: 'Hello {{custom.name}}, skill {{custom.skill}}!' });
    assert.deepEqual(out.actions[0]?.payload, { message: 'Hello Ann, skill 1234!' });
  });
  test('literal values pass through', () => {
    assert.deepEqual(fill({ message: 'plain {not a template}', n: 7 }).actions[0]?.payload, {
      message: 'plain {not a template}',
      n: 7,
    });
  });
  test('actions without templates: the same frozen answer every call, a copy of what was saved', () => {
    const saved = policy('p', { actions: [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: '12', n: 1 } }] });
    const compiled = compilePolicies([saved]);
    const lookup = lookupFrom(attrs);
    const first = evaluatePolicies(compiled, lookup, 0).actions;
    assert.deepEqual(first, [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: '12', n: 1 } }]);
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first[0]?.payload));
    (saved.actions[0] as { payload: Record<string, JsonValue> }).payload.skillId = 'changed';
    assert.deepEqual(evaluatePolicies(compiled, lookup, 0).actions, first);
    assert.equal(evaluatePolicies(compiled, lookup, 0).actions, first);
  });
  test('a missing or null attribute makes the policy ERROR and the next one is evaluated', () => {
    for (const message of ['{{custom.absent}}', 'hi {{custom.absent}}', '{{custom.nothing}}']) {
      const out = fill({ message });
      assert.equal(out.results[0]?.result, 'ERROR');
      assert.equal(out.matched?.id, 'fallback');
    }
  });
});

describe('collectAttributes', () => {
  test('every attribute enabled policies read, sorted and once', () => {
    const compiled = compilePolicies([
      policy('a', {
        conditions: [{ attribute: 'custom.tier', operator: 'EQUAL', value: '{{custom.goldName}}' }],
        expression: undefined,
        actions: [{ type: 'SEND_MESSAGE', payload: { message: 'Hi {{orchestrator.name}} {{custom.tier}}' } }],
      }),
      policy('b', { expression: "orchestrator.intent == 'billing' and custom.tier != 'x'" }),
      policy('c', { enabled: false, expression: 'disabled.attr == 1' }),
      policy('d', { expression: 'broken ==' }),
    ]);
    assert.deepEqual(collectAttributes(compiled), [
      'custom.goldName',
      'custom.tier',
      'orchestrator.intent',
      'orchestrator.name',
    ]);
  });
});
