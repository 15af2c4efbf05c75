import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateCustomAttributes, validatePolicyInput } from '../../src/core/policy/validate.js';

const skill = { type: 'TRANSFER_TO_SKILL', payload: { skillId: '2438093730' } };
const base = {
  name: 'VIP customers',
  conditions: [{ attribute: 'custom.tier', operator: 'EQUAL', value: 'gold' }],
  actions: [skill],
};

function errorsOf(input: unknown): { field: string; message: string }[] {
  const r = validatePolicyInput(input, 'id-1');
  assert.ok(!r.ok, 'expected the input to be refused');
  return r.errors;
}

function fieldsOf(input: unknown): string[] {
  return errorsOf(input).map((e) => e.field);
}

describe('validatePolicyInput: accepted shapes', () => {
  test('the wire example, with enabled defaulting to false and the given id', () => {
    const r = validatePolicyInput(
      { ...base, actions: [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: '{{custom.vipSkill}}' } }] },
      'id-1',
    );
    assert.ok(r.ok);
    assert.deepEqual(r.policy, {
      id: 'id-1',
      name: 'VIP customers',
      enabled: false,
      conditions: [{ attribute: 'custom.tier', operator: 'EQUAL', value: 'gold' }],
      actions: [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: '{{custom.vipSkill}}' } }],
    });
  });
  test('the expression form; an id in the body is ignored in favour of the given one', () => {
    const r = validatePolicyInput(
      {
        id: 'client-chosen',
        name: 'billing',
        enabled: true,
        expression: "orchestrator.intent == 'billing' and not (custom.closed)",
        actions: [skill],
      },
      'id-2',
    );
    assert.ok(r.ok);
    assert.equal(r.policy.id, 'id-2');
    assert.equal(r.policy.enabled, true);
    assert.equal(r.policy.conditions, undefined);
  });
  test('legacy payload names are renamed', () => {
    const r = validatePolicyInput(
      {
        ...base,
        actions: [
          { type: 'TRANSFER_TO_AGENT', payload: { agentId: 42, fallbackSkillId: '12345' } },
          { type: 'SEND_MESSAGE', payload: { text: 'hello from maven' } },
        ],
      },
      'id',
    );
    assert.ok(r.ok);
    assert.deepEqual(r.policy.actions, [
      { type: 'TRANSFER_TO_AGENT', payload: { userId: 42, skillId: '12345' } },
      { type: 'SEND_MESSAGE', payload: { message: 'hello from maven' } },
    ]);
  });
  test('TRANSFER_TO_AGENT without a fallback skill', () => {
    const r = validatePolicyInput(
      { ...base, actions: [{ type: 'TRANSFER_TO_AGENT', payload: { userId: '7' } }] },
      'i',
    );
    assert.ok(r.ok);
  });
  test('condition values of every JSON type, and references for ordering and IS_IN', () => {
    const conditions = [
      { attribute: 'custom.a', operator: 'EQUAL', value: { nested: [1, { b: null }] } },
      { attribute: 'custom.b', operator: 'LESS_THAN', value: 3.5 },
      { attribute: 'custom.c', operator: 'GREATER_THAN', value: '{{custom.limit}}' },
      { attribute: 'custom.d', operator: 'IS_IN', value: ['x', 1, true] },
      { attribute: 'custom.e', operator: 'IS_IN', value: '{{ custom.allowed }}' },
      { attribute: 'custom.f', operator: 'CONTAINS', value: 'sub' },
      { attribute: 'ns.prop_1.x', operator: 'NOT_EQUAL', value: false },
    ];
    assert.ok(validatePolicyInput({ ...base, conditions }, 'i').ok);
  });
  test('200-character names and 50 conditions and 20 actions are the limits', () => {
    const conditions = Array.from({ length: 50 }, () => base.conditions[0]);
    const actions = Array.from({ length: 20 }, () => skill);
    assert.ok(validatePolicyInput({ ...base, name: 'n'.repeat(200), conditions, actions }, 'i').ok);
  });
});

describe('validatePolicyInput: refusals', () => {
  test('not an object', () => {
    for (const input of [null, [], 'policy', 3]) assert.deepEqual(fieldsOf(input), ['policy']);
  });
  test('unknown top-level fields', () => {
    assert.deepEqual(fieldsOf({ ...base, position: 3, exception: {} }), ['position', 'exception']);
  });
  test('name', () => {
    assert.deepEqual(fieldsOf({ ...base, name: undefined }), ['name']);
    assert.deepEqual(fieldsOf({ ...base, name: '   ' }), ['name']);
    assert.deepEqual(fieldsOf({ ...base, name: 5 }), ['name']);
    assert.deepEqual(errorsOf({ ...base, name: 'n'.repeat(201) }), [
      { field: 'name', message: 'must be at most 200 characters' },
    ]);
  });
  test('enabled must be a boolean', () => {
    assert.deepEqual(fieldsOf({ ...base, enabled: 'yes' }), ['enabled']);
  });
  test('exactly one of conditions and expression', () => {
    assert.deepEqual(errorsOf({ ...base, expression: 'true' }), [
      { field: 'conditions', message: 'give exactly one of conditions or expression' },
    ]);
    assert.deepEqual(fieldsOf({ name: 'x', actions: [skill] }), ['conditions']);
  });
  test('conditions list', () => {
    assert.deepEqual(fieldsOf({ ...base, conditions: [] }), ['conditions']);
    assert.deepEqual(fieldsOf({ ...base, conditions: {} }), ['conditions']);
    const many = Array.from({ length: 51 }, () => base.conditions[0]);
    assert.deepEqual(errorsOf({ ...base, conditions: many }), [
      { field: 'conditions', message: 'must have at most 50 items' },
    ]);
  });
  test('each condition', () => {
    const bad = [
      'not an object',
      { attribute: 'tier', operator: 'EQUAL', value: 1 },
      { attribute: 'custom.', operator: 'EQUAL', value: 1 },
      { attribute: '1a.b', operator: 'EQUAL', value: 1 },
      { attribute: 'custom.tier', operator: 'LIKE', value: 1 },
      { attribute: 'custom.tier', operator: 'EQUAL' },
      { attribute: 'custom.tier', operator: 'LESS_THAN', value: '5' },
      { attribute: 'custom.tier', operator: 'GREATER_THAN_OR_EQUAL', value: [5] },
      { attribute: 'custom.tier', operator: 'IS_IN', value: 'gold' },
      { attribute: 'custom.tier', operator: 'EQUAL', value: 'x', property: 'legacy' },
      { attribute: 'custom.tier', operator: 'EQUAL', value: '{{custom}}' },
      { attribute: 'custom.tier', operator: 'EQUAL', value: JSON.parse('{"a":{"__proto__":{"x":1}}}') },
    ];
    assert.deepEqual(fieldsOf({ ...base, conditions: bad }), [
      'conditions[0]',
      'conditions[1].attribute',
      'conditions[2].attribute',
      'conditions[3].attribute',
      'conditions[4].operator',
      'conditions[5].value',
      'conditions[6].value',
      'conditions[7].value',
      'conditions[8].value',
      'conditions[9].property',
      'conditions[10].value',
      'conditions[11].value.a.__proto__',
    ]);
  });
  test('expression that does not parse: the parser message and position', () => {
    assert.deepEqual(errorsOf({ name: 'x', expression: "custom.a == 'b')", actions: [skill] }), [
      { field: 'expression', message: "unexpected ')' at position 15" },
    ]);
    assert.deepEqual(fieldsOf({ name: 'x', expression: 42, actions: [skill] }), ['expression']);
    assert.deepEqual(errorsOf({ name: 'x', expression: `a.b == '${'x'.repeat(4000)}'`, actions: [skill] }), [
      { field: 'expression', message: 'expression longer than 4000 characters at position 4000' },
    ]);
  });
  test('actions list', () => {
    assert.deepEqual(fieldsOf({ ...base, actions: [] }), ['actions']);
    assert.deepEqual(fieldsOf({ ...base, actions: undefined }), ['actions']);
    assert.deepEqual(fieldsOf({ ...base, actions: Array.from({ length: 21 }, () => skill) }), ['actions']);
  });
  test('each action and its payload', () => {
    const bad = [
      null,
      { type: 'TRANSFER_TO_QUEUE', payload: {} },
      { type: 'TRANSFER_TO_SKILL', payload: {} },
      { type: 'TRANSFER_TO_SKILL', payload: { skillId: true } },
      { type: 'TRANSFER_TO_SKILL', payload: { skillId: '' } },
      { type: 'TRANSFER_TO_SKILL', payload: { skillId: '1', userId: '2' } },
      { type: 'TRANSFER_TO_AGENT', payload: { skillId: '1' } },
      { type: 'TRANSFER_TO_AGENT', payload: { userId: '1', agentId: '2' } },
      { type: 'SEND_MESSAGE', payload: { message: 'hi {{custom.name' } },
      { type: 'SEND_MESSAGE', payload: { message: 'x'.repeat(4001) } },
      { type: 'SEND_MESSAGE', payload: 'hello' },
      { type: 'SEND_MESSAGE', payload: { message: { rich: true } } },
      { type: 'SEND_MESSAGE', payload: { message: 'ok' }, delay: 5 },
    ];
    assert.deepEqual(fieldsOf({ ...base, actions: bad }), [
      'actions[0]',
      'actions[1].type',
      'actions[2].payload.skillId',
      'actions[3].payload.skillId',
      'actions[4].payload.skillId',
      'actions[5].payload.userId',
      'actions[6].payload.userId',
      'actions[7].payload.agentId',
      'actions[8].payload.message',
      'actions[9].payload.message',
      'actions[10].payload',
      'actions[11].payload.message',
      'actions[12].delay',
    ]);
  });
  test('messages say what is wrong', () => {
    const errors = errorsOf({
      ...base,
      actions: [
        { type: 'TRANSFER_TO_SKILL', payload: {} },
        { type: 'TRANSFER_TO_AGENT', payload: { userId: 1, agentId: 2 } },
      ],
    });
    assert.deepEqual(errors, [
      { field: 'actions[0].payload.skillId', message: 'is required for TRANSFER_TO_SKILL' },
      { field: 'actions[1].payload.agentId', message: 'repeats userId; give only one of the two names' },
    ]);
  });
  test('every problem is reported at once', () => {
    assert.deepEqual(fieldsOf({ name: '', enabled: 1, expression: '(', actions: [], extra: 1 }), [
      'extra',
      'name',
      'enabled',
      'expression',
      'actions',
    ]);
  });
});

describe('validateCustomAttributes', () => {
  test('every JSON type is accepted; the result has no prototype', () => {
    const input = {
      tier: 'gold',
      limit: 3,
      vip: true,
      skills: ['a', 'b'],
      hours: { open: '09:00' },
      none: null,
    };
    const r = validateCustomAttributes(input);
    assert.ok(r.ok);
    assert.deepEqual({ ...r.attributes }, input);
    assert.equal(Object.getPrototypeOf(r.attributes), null);
    assert.equal((r.attributes as Record<string, unknown>).toString, undefined);
  });
  test('names', () => {
    const r = validateCustomAttributes({
      '1abc': 1,
      'a-b': 2,
      ['x'.repeat(65)]: 3,
      ['y'.repeat(64)]: 4,
      '': 5,
    });
    assert.ok(!r.ok);
    assert.deepEqual(
      r.errors.map((e) => e.field),
      ['1abc', 'a-b', 'x'.repeat(65), ''],
    );
  });
  test('__proto__, constructor and prototype are refused', () => {
    const r = validateCustomAttributes(
      JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1, "prototype": 2}'),
    );
    assert.ok(!r.ok);
    assert.deepEqual(
      r.errors.map((e) => [e.field, e.message]),
      [
        ['__proto__', 'is a reserved name'],
        ['constructor', 'is a reserved name'],
        ['prototype', 'is a reserved name'],
      ],
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
  test('nested __proto__ keys, non-JSON values and deep nesting are refused', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    const r = validateCustomAttributes({
      a: JSON.parse('{"x":{"__proto__":1}}'),
      b: Number.NaN,
      c: () => 1,
      d: new Date(0),
      e: deep,
      f: undefined,
    });
    assert.ok(!r.ok);
    assert.deepEqual(
      r.errors.map((e) => e.field),
      ['a.x.__proto__', 'b', 'c', 'd', `e${'[0]'.repeat(32)}`, 'f'],
    );
  });
  test('at most 500 entries', () => {
    const many = Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`a${i}`, i]));
    assert.ok(!validateCustomAttributes(many).ok);
    delete many.a500;
    assert.ok(validateCustomAttributes(many).ok);
  });
  test('not an object', () => {
    for (const input of [null, [1], 'x']) assert.equal(validateCustomAttributes(input).ok, false);
  });
});
