// What changed between two ordered lists of policies (the web app's history: a version against the one before, a
// restore against the current list). Pure: the browser bundles it, node's test runner imports it as is.
import type { Policy } from './types.js';

/** A policy in both lists whose content differs, and how, in words ("renamed “A” → “B”", "disabled"…). */
export interface ChangedPolicy {
  /** As in the newer list. */
  policy: Policy;
  /** As in the older list. */
  before: Policy;
  what: string[];
}

/** A policy in both lists that moved: its positions (from 1) in the older list and in the newer one. */
export interface MovedPolicy {
  policy: Policy;
  from: number;
  to: number;
}

export interface ListComparison {
  /** In the newer list, not in the older one (by id), in the newer list's order. */
  added: Policy[];
  /** In the older list, not in the newer one, in the older list's order. */
  removed: Policy[];
  /** In both, with a different name, state, condition or actions, in the newer list's order. */
  changed: ChangedPolicy[];
  /** The policies in both lists are not in the same order. */
  reordered: boolean;
  /**
   * When reordered, the fewest policies whose moves account for the new order (the others keep their order),
   * in the newer list's order. Where one policy swapped places with its neighbour, either may be named.
   */
  moved: MovedPolicy[];
}

/** JSON with each object's keys sorted: two values that differ only in the order of their keys read the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** The condition as saved: its form (a list of conditions, or an expression) and its content. */
const conditionOf = (p: Policy) =>
  canonicalJson(
    p.expression !== undefined ? { expression: p.expression } : { conditions: p.conditions ?? [] },
  );

/** How `after` differs from `before` (the same policy, by id), in words; empty when they are the same. */
export function differences(before: Policy, after: Policy): string[] {
  const what: string[] = [];
  if (before.name !== after.name) what.push(`renamed “${before.name}” → “${after.name}”`);
  if (before.enabled !== after.enabled) what.push(after.enabled ? 'enabled' : 'disabled');
  if (conditionOf(before) !== conditionOf(after)) what.push('condition changed');
  if (canonicalJson(before.actions) !== canonicalJson(after.actions)) what.push('actions changed');
  return what;
}

/**
 * The indexes of one longest strictly increasing subsequence of `values` (patience sorting, O(n log n)): the
 * policies that kept their order, when `values` are the newer positions of the common policies in the older order.
 */
function longestIncreasing(values: number[]): Set<number> {
  const tails: number[] = []; // tails[k]: index of the smallest last value of an increasing run of length k + 1
  const previous: number[] = new Array<number>(values.length).fill(-1);
  for (const [i, value] of values.entries()) {
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((values[tails[middle] as number] as number) < value) low = middle + 1;
      else high = middle;
    }
    if (low > 0) previous[i] = tails[low - 1] as number;
    tails[low] = i;
  }
  const kept = new Set<number>();
  for (let i = tails.at(-1) ?? -1; i >= 0; i = previous[i] as number) kept.add(i);
  return kept;
}

/**
 * What changed from `older` to `newer` (two ordered lists of policies, each id once): the policies added, removed
 * and changed (by id), and whether the ones in both are in another order — with the policies that moved.
 */
export function compareLists(older: readonly Policy[], newer: readonly Policy[]): ListComparison {
  const olderById = new Map(older.map((p, i) => [p.id, { policy: p, position: i + 1 }]));
  const newerById = new Map(newer.map((p, i) => [p.id, { policy: p, position: i + 1 }]));
  const added = newer.filter((p) => !olderById.has(p.id));
  const removed = older.filter((p) => !newerById.has(p.id));
  const changed: ChangedPolicy[] = [];
  for (const policy of newer) {
    const before = olderById.get(policy.id)?.policy;
    if (!before) continue;
    const what = differences(before, policy);
    if (what.length > 0) changed.push({ policy, before, what });
  }

  // The policies in both lists, in the older order, with their positions in each list.
  const common = older.flatMap((p, i) => {
    const found = newerById.get(p.id);
    return found ? [{ policy: found.policy, from: i + 1, to: found.position }] : [];
  });
  const kept = longestIncreasing(common.map((c) => c.to));
  const moved = common.filter((_, i) => !kept.has(i)).sort((a, b) => a.to - b.to);
  return { added, removed, changed, reordered: moved.length > 0, moved };
}

/** The two lists hold the same policies, the same, in the same order. */
export const isSame = (comparison: ListComparison): boolean =>
  comparison.added.length === 0 &&
  comparison.removed.length === 0 &&
  comparison.changed.length === 0 &&
  !comparison.reordered;
