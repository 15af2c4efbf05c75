import assert from 'node:assert/strict';
import type { Policy } from '../../src/core/policy/types.js';
import {
  POLICY_HISTORY_BYTES,
  type PolicyLogEntry,
  type PolicyOutline,
} from '../../src/ports/policy-store.js';
import { describeStoreContract } from './adapters.js';

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;

const policy = (id: string, extra: Partial<Policy> = {}): Policy => ({
  id,
  name: `policy ${id}`,
  enabled: true,
  conditions: [{ attribute: 'custom.tier', operator: 'EQUAL', value: 'gold' }],
  actions: [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: '42' } }],
  ...extra,
});

const outline = (accountId: string, id: string, names = ['a', 'b']): PolicyOutline => ({
  id,
  accountId,
  policies: names.map((n) => ({ policyId: `id-${n}`, name: `name ${n}` })),
});

const entry = (id: string, fields: Partial<PolicyLogEntry> = {}): PolicyLogEntry => ({
  id,
  accountId: 'acct',
  conversationId: 'conv-1',
  at: T0,
  evaluationId: `eval-${id}`,
  outlineId: 'o1',
  results: 'FT',
  reasons: [],
  matchedPolicyId: 'id-b',
  ...fields,
});

describeStoreContract('policy stores', (store, it) => {
  const policies = () => store.policies;
  const logs = () => store.policyLogs;

  it('an account that never saved anything has an empty set at version 0', async () => {
    assert.deepEqual(await policies().getPolicySet('nobody'), {
      policies: [],
      customAttributes: {},
      version: 0,
    });
  });

  it('saves policies with compare-and-set and keeps their order, fields and key order', async () => {
    const byExpression: Policy = {
      id: 'p2',
      name: 'by expression',
      enabled: true,
      expression: "orchestrator.intent == 'billing'",
      actions: [{ type: 'SEND_MESSAGE', payload: { message: 'hi {{custom.name}}' } }],
    };
    const list = [byExpression, policy('p1', { enabled: false })];
    assert.deepEqual(await policies().savePolicies('cas', list, 0), { ok: true, version: 1 });
    const set = await policies().getPolicySet('cas');
    assert.deepEqual(set, { policies: list, customAttributes: {}, version: 1 });
    assert.equal(JSON.stringify(set.policies), JSON.stringify(list));
  });

  it("deletes an account's policies and custom attributes, and no other account's", async () => {
    for (const accountId of ['drop', 'stays']) {
      await policies().savePolicies(accountId, [policy('a')], 0);
      await policies().saveCustomAttributes(accountId, { tier: 'gold' }, 1);
    }
    await policies().deletePolicySet('drop');
    await policies().deletePolicySet('never-saved');
    assert.deepEqual(await policies().getPolicySet('drop'), {
      policies: [],
      customAttributes: {},
      version: 0,
    });
    assert.deepEqual(await policies().savePolicies('drop', [policy('b')], 0), { ok: true, version: 1 });
    assert.deepEqual(await policies().getPolicySet('stays'), {
      policies: [policy('a')],
      customAttributes: { tier: 'gold' },
      version: 2,
    });
  });

  it('refuses a stale version and returns the current one, writing nothing', async () => {
    await policies().savePolicies('stale', [policy('a')], 0);
    await policies().savePolicies('stale', [policy('b')], 1);
    assert.deepEqual(await policies().savePolicies('stale', [policy('c')], 1), { ok: false, version: 2 });
    assert.deepEqual(await policies().savePolicies('stale', [policy('c')], 0), { ok: false, version: 2 });
    assert.deepEqual(await policies().savePolicies('stale', [policy('c')], 7), { ok: false, version: 2 });
    assert.deepEqual(await policies().saveCustomAttributes('stale', { x: 1 }, 1), {
      ok: false,
      version: 2,
    });
    const set = await policies().getPolicySet('stale');
    assert.deepEqual(set.policies, [policy('b')]);
    assert.deepEqual(set.customAttributes, {});
  });

  it('a first save against a version other than 0 is refused with version 0', async () => {
    assert.deepEqual(await policies().savePolicies('fresh', [policy('a')], 1), { ok: false, version: 0 });
    assert.deepEqual(await policies().saveCustomAttributes('fresh2', { a: 1 }, 3), {
      ok: false,
      version: 0,
    });
    assert.equal((await policies().getPolicySet('fresh')).version, 0);
  });

  it('policies and custom attributes share one version, each save bumping it by one', async () => {
    const attributes = {
      tier: 'gold',
      limit: 3,
      vip: true,
      list: ['a', 1],
      json: { nested: { deep: [null] } },
    };
    assert.deepEqual(await policies().saveCustomAttributes('shared', attributes, 0), {
      ok: true,
      version: 1,
    });
    assert.deepEqual(await policies().savePolicies('shared', [policy('a')], 1), { ok: true, version: 2 });
    assert.deepEqual(await policies().saveCustomAttributes('shared', { tier: 'silver' }, 2), {
      ok: true,
      version: 3,
    });
    assert.deepEqual(await policies().savePolicies('shared', [], 3), { ok: true, version: 4 });
    assert.deepEqual(await policies().getPolicySet('shared'), {
      policies: [],
      customAttributes: { tier: 'silver' },
      version: 4,
    });
  });

  it('saving one part keeps the other', async () => {
    await policies().savePolicies('keep', [policy('a')], 0);
    await policies().saveCustomAttributes('keep', { a: 1 }, 1);
    await policies().savePolicies('keep', [policy('b')], 2);
    assert.deepEqual(await policies().getPolicySet('keep'), {
      policies: [policy('b')],
      customAttributes: { a: 1 },
      version: 3,
    });
  });

  it('accounts are separate', async () => {
    await policies().savePolicies('left', [policy('l')], 0);
    assert.deepEqual(await policies().getPolicySet('right'), {
      policies: [],
      customAttributes: {},
      version: 0,
    });
    assert.deepEqual(await policies().savePolicies('right', [policy('r')], 0), { ok: true, version: 1 });
    assert.deepEqual((await policies().getPolicySet('left')).policies, [policy('l')]);
  });

  it('concurrent saves against one version: exactly one wins', async () => {
    for (const start of [0, 1]) {
      const account = `race${start}`;
      if (start === 1) await policies().savePolicies(account, [], 0);
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          i % 2
            ? policies().savePolicies(account, [policy(`p${i}`)], start)
            : policies().saveCustomAttributes(account, { i }, start),
        ),
      );
      assert.equal(outcomes.filter((o) => o.ok).length, 1, JSON.stringify(outcomes));
      for (const o of outcomes) assert.equal(o.version, start + 1);
      assert.equal((await policies().getPolicySet(account)).version, start + 1);
    }
  });

  it('keeps each list saved with a change in the history, newest first, the last 50 only; a refused save keeps nothing', async () => {
    const change = (n: number) => ({
      at: T0 + n,
      actor: n % 2 ? 'alice' : 'client:orch_client_x',
      action: 'policies.replaced',
    });
    assert.deepEqual(await policies().listPolicyVersions('hist'), []);
    assert.deepEqual(await policies().savePolicies('hist', [policy('a'), policy('b')], 0, change(1)), {
      ok: true,
      version: 1,
    });
    // Custom attributes share the version, and have no history; a save without a change keeps none either.
    await policies().saveCustomAttributes('hist', { tier: 'gold' }, 1);
    await policies().savePolicies('hist', [policy('c')], 2);
    await policies().savePolicies('hist', [policy('d')], 3, change(4));
    assert.deepEqual(await policies().savePolicies('hist', [policy('e')], 3, change(5)), {
      ok: false,
      version: 4,
    });
    assert.deepEqual(await policies().listPolicyVersions('hist'), [
      { version: 4, at: T0 + 4, actor: 'client:orch_client_x', action: 'policies.replaced', count: 1 },
      { version: 1, at: T0 + 1, actor: 'alice', action: 'policies.replaced', count: 2 },
    ]);
    assert.deepEqual(await policies().getPolicyVersion('hist', 1), {
      version: 1,
      at: T0 + 1,
      actor: 'alice',
      action: 'policies.replaced',
      count: 2,
      policies: [policy('a'), policy('b')],
    });
    assert.equal(await policies().getPolicyVersion('hist', 2), null);
    assert.equal(await policies().getPolicyVersion('other', 1), null);
    assert.deepEqual(await policies().listPolicyVersions('other'), []);

    for (let v = 4; v < 4 + 52; v++)
      await policies().savePolicies('hist', [policy(`p${v}`)], v, change(v + 1));
    const kept = await policies().listPolicyVersions('hist');
    assert.equal(kept.length, 50);
    assert.equal(kept[0]?.version, 56);
    assert.equal(kept.at(-1)?.version, 7);
    assert.equal(await policies().getPolicyVersion('hist', 6), null);

    await policies().deletePolicySet('hist');
    assert.deepEqual(await policies().listPolicyVersions('hist'), []);
  });

  it('keeps the history within POLICY_HISTORY_BYTES of JSON (UTF-8), the oldest going first, the newest whatever its size', async () => {
    const change = { at: T0, actor: 'alice', action: 'policies.replaced' };
    // A list of about `mib` MiB of UTF-8 in a name of two-byte characters (half as many characters).
    const big = (id: string, mib: number) => [policy(id, { name: 'é'.repeat(mib * 512 * 1024) })];
    const versions = async () => (await policies().listPolicyVersions('sized')).map((v) => v.version);
    let version = 0;
    const save = async (list: Policy[]) => {
      assert.equal((await policies().savePolicies('sized', list, version, change)).ok, true);
      version++;
    };
    for (const id of ['a', 'b', 'c', 'd']) await save(big(id, 6));
    // 6 + 6 MiB fit in 16, a third does not (counted in characters, all four would).
    assert.equal(POLICY_HISTORY_BYTES, 16 * 1024 * 1024);
    assert.deepEqual(await versions(), [4, 3]);
    await save([policy('small')]);
    assert.deepEqual(await versions(), [5, 4, 3]);
    // A list larger than the whole allowance is kept alone.
    await save(big('huge', 20));
    assert.deepEqual(await versions(), [6]);
    assert.equal((await policies().getPolicyVersion('sized', 6))?.policies[0]?.id, 'huge');
    await save([policy('after')]);
    assert.deepEqual(await versions(), [7]);
    await save([policy('again')]);
    assert.deepEqual(await versions(), [8, 7]);
  });

  it('a returned set is a copy: changing it changes nothing stored', async () => {
    await policies().savePolicies('copy', [policy('a')], 0);
    const set = await policies().getPolicySet('copy');
    (set.policies[0] as Policy).name = 'changed';
    set.customAttributes.x = 1;
    assert.deepEqual(await policies().getPolicySet('copy'), {
      policies: [policy('a')],
      customAttributes: {},
      version: 1,
    });
  });

  it('unicode text round-trips', async () => {
    const named = policy('u', { name: 'Ünïcødé — 日本語 😀 \'"\\' });
    await policies().savePolicies('unicode', [named], 0);
    await policies().saveCustomAttributes('unicode', { greeting: 'héllo 😀' }, 1);
    const set = await policies().getPolicySet('unicode');
    assert.deepEqual(set.policies, [named]);
    assert.deepEqual(set.customAttributes, { greeting: 'héllo 😀' });
  });

  it('outlines: saved once per account and id, read back by id, unknown ids left out', async () => {
    await logs().saveOutline(outline('ol', 'o1'), T0);
    await logs().saveOutline(outline('ol', 'o1'), T0 + 5);
    await logs().saveOutline(outline('ol', 'o2', ['c']), T0);
    await logs().saveOutline(outline('other', 'o1', ['z']), T0);
    const found = await logs().getOutlines('ol', ['o2', 'o1', 'missing', 'o1']);
    assert.deepEqual(
      found.sort((a, b) => a.id.localeCompare(b.id)),
      [outline('ol', 'o1'), outline('ol', 'o2', ['c'])],
    );
    assert.deepEqual(await logs().getOutlines('other', ['o1']), [outline('other', 'o1', ['z'])]);
    assert.deepEqual(await logs().getOutlines('ol', []), []);
    assert.deepEqual(await logs().getOutlines('nobody', ['o1']), []);
  });

  it('log entries round-trip, every field', async () => {
    const full = entry('full', {
      accountId: 'rt',
      conversationId: null,
      results: 'DFEIT',
      reasons: [
        { index: 2, reason: 'missing attribute custom.tier' },
        { index: 3, reason: 'EQUAL cannot compare string with number — ü' },
      ],
      matchedPolicyId: null,
    });
    await logs().appendPolicyLogs([full]);
    assert.deepEqual(await logs().searchPolicyLogs({ accountId: 'rt', since: 0, limit: 10 }), [full]);
  });

  it('search: by conversation id, newest first, since and limit, one account only', async () => {
    const a = 'search';
    await logs().appendPolicyLogs([
      entry('s1', { accountId: a, conversationId: 'c1', at: T0 + 1 }),
      entry('s2', { accountId: a, conversationId: 'c2', at: T0 + 2 }),
      entry('s3', { accountId: a, conversationId: 'c1', at: T0 + 3 }),
    ]);
    await logs().appendPolicyLogs([entry('s4', { accountId: a, conversationId: 'c1', at: T0 + 4 })]);
    await logs().appendPolicyLogs([
      entry('s5', { accountId: 'elsewhere', conversationId: 'c1', at: T0 + 5 }),
    ]);
    const ids = async (filter: { conversationId?: string; since?: number; limit?: number }) =>
      (
        await logs().searchPolicyLogs({
          accountId: a,
          since: filter.since ?? 0,
          limit: filter.limit ?? 100,
          ...(filter.conversationId === undefined ? {} : { conversationId: filter.conversationId }),
        })
      ).map((e) => e.id);
    assert.deepEqual(await ids({}), ['s4', 's3', 's2', 's1']);
    assert.deepEqual(await ids({ conversationId: 'c1' }), ['s4', 's3', 's1']);
    assert.deepEqual(await ids({ conversationId: 'c1', limit: 2 }), ['s4', 's3']);
    assert.deepEqual(await ids({ conversationId: 'c1', since: T0 + 3 }), ['s4', 's3']);
    assert.deepEqual(await ids({ since: T0 + 2, limit: 1 }), ['s4']);
    assert.deepEqual(await ids({ conversationId: 'none' }), []);
    assert.deepEqual(await ids({ since: T0 + 10 }), []);
  });

  it('an entry whose conversation id holds a NUL character does not fail the others of its batch', async () => {
    const a = 'nul';
    // The routes refuse such ids; the store must not lose a batch of other calls' entries if one got through.
    await logs().appendPolicyLogs([
      entry('n1', { accountId: a, conversationId: 'c1', at: T0 + 1 }),
      entry('n2', { accountId: a, conversationId: 'c\u00002', at: T0 + 2 }),
    ]);
    const found = await logs().searchPolicyLogs({ accountId: a, since: 0, limit: 10 });
    assert.deepEqual(
      found.map((e) => e.id),
      ['n2', 'n1'],
    );
    // Kept as given where the database can hold it (SQLite), as U+FFFD where it cannot (PostgreSQL).
    assert.ok(
      ['c\u00002', 'c\ufffd2'].includes(found[0]?.conversationId ?? ''),
      found[0]?.conversationId ?? '',
    );
  });

  it('search: entries at the same instant are ordered by id, descending, in binary order', async () => {
    const a = 'ties';
    await logs().appendPolicyLogs(
      ['a', 'B', 'b', 'A', '_', '1'].map((id) => entry(`${id}`, { accountId: a })),
    );
    const found = await logs().searchPolicyLogs({ accountId: a, since: 0, limit: 10 });
    assert.deepEqual(
      found.map((e) => e.id),
      ['b', 'a', '_', 'B', 'A', '1'],
    );
  });

  it('append is all or none: a batch with a repeated id writes nothing', async () => {
    const a = 'atomic';
    await logs().appendPolicyLogs([entry('x1', { accountId: a })]);
    await assert.rejects(
      logs().appendPolicyLogs([entry('x2', { accountId: a }), entry('x1', { accountId: a })]),
    );
    await assert.rejects(
      logs().appendPolicyLogs([entry('x3', { accountId: a }), entry('x3', { accountId: a })]),
    );
    const found = await logs().searchPolicyLogs({ accountId: a, since: 0, limit: 10 });
    assert.deepEqual(
      found.map((e) => e.id),
      ['x1'],
    );
    await logs().appendPolicyLogs([]);
  });

  it('purge: deletes the entries before the cutoff, oldest first, about `limit` at a time', async () => {
    // Days apart, so that a store that keeps entries by the hour (SQLite) or the day (PostgreSQL) deletes the
    // same ones as a store that deletes row by row. Before every other test's entries but the outline test's (the store is
    // shared): drained first.
    const P = 100 * DAY;
    const a = 'purge-entries';
    const cutoff = P + 2 * DAY;
    await logs().purgePolicyLogsBefore(cutoff, 1_000_000);
    await logs().appendPolicyLogs([
      entry('q-3', { accountId: a, at: P + DAY + 3 }),
      entry('q-1', { accountId: a, at: P + 1 }),
      entry('q-kept', { accountId: a, at: cutoff + 10 }),
      entry('q-2', { accountId: 'purge-other', at: P + 2 }),
      entry('q-edge', { accountId: a, at: cutoff }),
    ]);
    const left = async (accountId: string) =>
      (await logs().searchPolicyLogs({ accountId, since: 0, limit: 10 })).map((e) => e.id);
    assert.equal(await logs().purgePolicyLogsBefore(cutoff, 2), 2);
    assert.deepEqual(await left(a), ['q-kept', 'q-edge', 'q-3'], 'the two oldest, whatever the account');
    assert.deepEqual(await left('purge-other'), []);
    assert.equal(await logs().purgePolicyLogsBefore(cutoff, 2), 1);
    assert.equal(await logs().purgePolicyLogsBefore(cutoff, 2), 0);
    assert.deepEqual(await left(a), ['q-kept', 'q-edge']);
  });

  it('purge: deletes outlines neither in use since the cutoff nor referenced by an entry', async () => {
    const P = 0;
    const a = 'purge';
    const cutoff = P + DAY;
    await logs().saveOutline(outline(a, 'old-unused'), P);
    await logs().saveOutline(outline(a, 'old-referenced'), P);
    await logs().saveOutline(outline(a, 'recent'), P + 2 * DAY);
    await logs().saveOutline(outline(a, 'touched'), P);
    await logs().saveOutline(outline(a, 'touched'), P + 3 * DAY);
    await logs().appendPolicyLogs([
      entry('p-old', { accountId: a, at: P, outlineId: 'old-unused' }),
      entry('p-kept', { accountId: a, at: P + 2 * DAY, outlineId: 'old-referenced' }),
    ]);
    assert.equal(await logs().purgePolicyOutlinesBefore(cutoff), 0, 'an old entry still refers to it');
    assert.equal(await logs().purgePolicyLogsBefore(cutoff, 100), 1);
    assert.equal(await logs().purgePolicyOutlinesBefore(cutoff), 1);
    const outlines = await logs().getOutlines(a, ['old-unused', 'old-referenced', 'recent', 'touched']);
    assert.deepEqual(outlines.map((o) => o.id).sort(), ['old-referenced', 'recent', 'touched']);
    assert.equal(await logs().purgePolicyOutlinesBefore(cutoff), 0);
  });
});
