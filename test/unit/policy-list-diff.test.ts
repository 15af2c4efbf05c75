import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { canonicalJson, compareLists, differences, isSame } from '../../src/core/policy/list-diff.js';
import type { Policy } from '../../src/core/policy/types.js';

const policy = (id: string, rest: Partial<Policy> = {}): Policy => ({
  id,
  name: `Policy ${id}`,
  enabled: true,
  conditions: [{ attribute: 'bot.intent', operator: 'EQUAL', value: id }],
  actions: [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: id } }],
  ...rest,
});
const ids = (policies: readonly { id: string }[]) => policies.map((p) => p.id);
/** How many of `older`'s ids at most keep their order in `newer` (a longest common subsequence, O(n²)). */
function longestKept(older: string[], newer: string[]): number {
  const positions = older.map((id) => newer.indexOf(id));
  const best = positions.map(() => 1);
  for (let i = 0; i < positions.length; i++)
    for (let j = 0; j < i; j++)
      if ((positions[j] as number) < (positions[i] as number))
        best[i] = Math.max(best[i] as number, (best[j] as number) + 1);
  return Math.max(0, ...best);
}
const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => policy(id)) as [Policy, Policy, Policy, Policy];

describe('compareLists', () => {
  test('the same list: nothing added, removed, changed or moved', () => {
    const same = compareLists([a, b, c], [{ ...a }, { ...b }, { ...c }]);
    assert.deepEqual(same, { added: [], removed: [], changed: [], reordered: false, moved: [] });
    assert.ok(isSame(same));
    assert.ok(isSame(compareLists([], [])));
  });

  test('added and removed, by id, whatever the names', () => {
    const r = compareLists([a, b, c], [b, { ...d, name: a.name }]);
    assert.deepEqual(ids(r.added), ['d']);
    assert.deepEqual(ids(r.removed), ['a', 'c']);
    assert.deepEqual(r.changed, []);
    assert.equal(r.reordered, false, 'the policies in both lists keep their order');
    assert.ok(!isSame(r));
  });

  test('changed: renamed, enabled or disabled, condition, actions, in words', () => {
    const r = compareLists(
      [a, b, c, d],
      [
        { ...a, name: 'Billing' },
        { ...b, enabled: false },
        { ...c, conditions: [{ attribute: 'bot.intent', operator: 'NOT_EQUAL', value: 'c' }] },
        { ...d, enabled: false, actions: [{ type: 'SEND_MESSAGE', payload: { text: 'hi' } }] },
      ],
    );
    assert.deepEqual(
      r.changed.map((x) => [x.policy.id, x.what]),
      [
        ['a', ['renamed “Policy a” → “Billing”']],
        ['b', ['disabled']],
        ['c', ['condition changed']],
        ['d', ['disabled', 'actions changed']],
      ],
    );
    assert.equal(r.changed[0]?.before, a, 'the policy as it was, next to the policy as it is');
    assert.deepEqual(differences({ ...b, enabled: false }, b), ['enabled']);
  });

  test('the condition form changed (conditions ↔ expression) is a condition changed', () => {
    const { conditions: _, ...bare } = a;
    const expression = { ...bare, expression: "bot.intent == 'a'" };
    assert.deepEqual(differences(a, expression), ['condition changed']);
    assert.deepEqual(differences(expression, { ...expression, expression: "bot.intent == 'b'" }), [
      'condition changed',
    ]);
    assert.deepEqual(differences(expression, { ...expression }), []);
  });

  test("objects whose keys differ only in their order are the same; arrays' order counts", () => {
    const payload = { skillId: 'a', fallback: 1 };
    const reordered = { fallback: 1, skillId: 'a' };
    assert.equal(canonicalJson(payload), canonicalJson(reordered));
    assert.deepEqual(
      differences(
        { ...a, actions: [{ type: 'TRANSFER_TO_SKILL', payload }] },
        { ...a, actions: [{ type: 'TRANSFER_TO_SKILL', payload: reordered }] },
      ),
      [],
    );
    assert.deepEqual(differences(a, { ...a, actions: [...a.actions, ...b.actions] }), ['actions changed']);
  });

  test('one policy moved: the order changed, and which one, with its positions in each list', () => {
    const r = compareLists([a, b, c, d], [a, d, b, c]);
    assert.equal(r.reordered, true);
    assert.deepEqual(
      r.moved.map((m) => [m.policy.id, m.from, m.to]),
      [['d', 4, 2]],
    );
    assert.deepEqual([r.added, r.removed, r.changed], [[], [], []]);
  });

  test('positions are in the whole lists; policies added or removed above move nothing', () => {
    const r = compareLists([a, b, c], [d, a, c]);
    assert.equal(r.reordered, false);
    const swapped = compareLists([a, b, c], [d, c, b]);
    assert.equal(swapped.reordered, true);
    assert.equal(swapped.moved.length, 1);
    const [moved] = swapped.moved;
    assert.ok(
      (moved?.policy.id === 'b' && moved.from === 2 && moved.to === 3) ||
        (moved?.policy.id === 'c' && moved.from === 3 && moved.to === 2),
    );
  });

  test('a reversed list: all but one moved', () => {
    const r = compareLists([a, b, c, d], [d, c, b, a]);
    assert.equal(r.reordered, true);
    assert.equal(r.moved.length, 3);
  });

  test('any two lists: added, removed and kept partition them; what moved restores the order', () => {
    const pool = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((id) => policy(id));
    const list = fc.shuffledSubarray(pool).chain((l) => fc.shuffledSubarray(l, { minLength: l.length }));
    fc.assert(
      fc.property(list, list, (older, newer) => {
        const r = compareLists(older, newer);
        const common = older.filter((p) => newer.some((q) => q.id === p.id));
        assert.equal(r.added.length + common.length, newer.length);
        assert.equal(r.removed.length + common.length, older.length);
        assert.deepEqual(r.changed, []);
        // The policies that did not move are in the same order in both lists, and no fewer moves would do.
        const moved = new Set(r.moved.map((m) => m.policy.id));
        const stayOld = ids(common).filter((id) => !moved.has(id));
        const stayNew = ids(newer).filter((id) => stayOld.includes(id));
        assert.deepEqual(stayOld, stayNew);
        assert.equal(r.moved.length, common.length - longestKept(ids(common), ids(newer)));
        assert.equal(r.reordered, r.moved.length > 0);
        assert.equal(r.reordered, ids(common).join() !== ids(newer.filter((p) => common.includes(p))).join());
        for (const m of r.moved) {
          assert.equal(older[m.from - 1]?.id, m.policy.id);
          assert.equal(newer[m.to - 1]?.id, m.policy.id);
        }
      }),
    );
  });
});
