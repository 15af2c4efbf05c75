import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import fc from 'fast-check';
import type { JsonValue } from '../../src/core/json.js';
import type { ContextDocumentStore } from '../../src/ports/context-store.js';
import {
  type AccountCredentials,
  createAccount,
  createTestApp,
  getToken,
  type TestApp,
} from '../helpers/app.js';
import { describeSecurity } from '../helpers/security.js';

describeSecurity('v1 next-actions', {
  method: 'GET',
  url: (a) => `/v1/account/${a}/next-actions?conversationId=c1`,
  auth: { v1: true },
});
describeSecurity('v2 nextaction', {
  method: 'POST',
  url: () => '/v2/policy/nextaction',
  body: (a) => ({ accountId: a, conversationId: 'c1' }),
  auth: { v2: 'next-actions' },
});

type PolicyInput = Record<string, unknown>;

const when = (attribute: string, operator: string, value: JsonValue) => [{ attribute, operator, value }];
const skill = (skillId: string | number) => [{ type: 'TRANSFER_TO_SKILL', payload: { skillId } }];
const enabled = (name: string, conditions: unknown, actions: unknown = skill(name)): PolicyInput => ({
  name,
  enabled: true,
  conditions,
  actions,
});

for (const storeKind of ['memory', 'sqlite', 'sqlite-cached'] as const) {
  describe(`next actions (${storeKind})`, () => {
    let t: TestApp;
    let acct: AccountCredentials;
    let token: string;
    before(async () => {
      t = await createTestApp({ store: storeKind });
      acct = await createAccount(t);
      token = await getToken(t, acct);
    });
    after(async () => t.close());

    /** Replaces the account's whole list and returns it with ids. */
    const save = async (policies: PolicyInput[], accountId = acct.accountId) => {
      const current = await t.services.policies.list(accountId);
      return (await t.services.policies.replaceAll(accountId, policies, current.etag)).policies;
    };
    const setCustom = async (attributes: Record<string, JsonValue>) => {
      const current = await t.services.policies.customAttributes(acct.accountId);
      await t.services.policies.replaceCustomAttributes(acct.accountId, attributes, current.etag);
    };
    const context = (
      namespace: string,
      sessionId: string | undefined,
      properties: Record<string, JsonValue>,
    ) => t.services.context.mergeProperties({ accountId: acct.accountId, namespace, sessionId }, properties);
    const v2 = async (body: Record<string, unknown>) => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/v2/policy/nextaction',
        headers: { authorization: `Bearer ${token}` },
        payload: { accountId: acct.accountId, ...body },
      });
      assert.equal(response.statusCode, 200, response.body);
      return response.json() as { type: string; payload: Record<string, JsonValue> }[];
    };
    const v1 = async (query: string) => {
      const response = await t.app.inject({
        method: 'GET',
        url: `/v1/account/${acct.accountId}/next-actions?${query}`,
        headers: { 'maven-api-key': acct.apiKey, 'content-type': 'application/json' },
      });
      assert.equal(response.statusCode, 200, response.body);
      return response.json() as Record<string, unknown>;
    };
    const logsOf = async (conversationId: string) => {
      const views = await t.services.policies.searchLogs(acct.accountId, { conversationId, limit: 10 });
      return views.map((v) => v.results.map((r) => `${r.name}:${r.result}`));
    };

    beforeEach(async () => {
      await save([]);
      await setCustom({});
    });

    test('v1: the first enabled policy that holds wins, with the documented shape', async () => {
      const saved = await save([
        enabled('never', when('custom.tier', 'EQUAL', 'platinum')),
        { ...enabled('disabled', when('custom.tier', 'EQUAL', 'gold')), enabled: false },
        enabled('gold', when('custom.tier', 'EQUAL', 'gold'), [
          { type: 'TRANSFER_TO_AGENT', payload: { userId: 7, skillId: '12' } },
          { type: 'SEND_MESSAGE', payload: { message: 'hello' } },
        ]),
        enabled('also gold', when('custom.tier', 'EQUAL', 'gold')),
      ]);
      await setCustom({ tier: 'gold' });
      const answer = await v1('conversationId=c-first&consumerId=u1&groupId=g1');
      assert.match(String(answer.nextActionId), /^[0-9a-f-]{36}$/);
      assert.deepEqual(answer, {
        nextActionId: answer.nextActionId,
        rule: {
          id: saved[2]?.id,
          name: 'gold',
          actions: [
            { type: 'TRANSFER_TO_AGENT', payload: { userId: 7, skillId: '12' } },
            { type: 'SEND_MESSAGE', payload: { message: 'hello' } },
          ],
        },
      });
      assert.deepEqual(await logsOf('c-first'), [['never:FALSE', 'disabled:DISABLED', 'gold:TRUE']]);
      const [view] = await t.services.policies.searchLogs(acct.accountId, {
        conversationId: 'c-first',
        limit: 1,
      });
      assert.equal(view?.evaluationId, answer.nextActionId);
      assert.equal(view?.matchedPolicyId, saved[2]?.id);
    });

    test('v2: a bare array of the winner’s actions, [] when nothing matches', async () => {
      await save([
        enabled('a', when('conversation.conversationId', 'EQUAL', 'c-a'), skill('A')),
        enabled('b', when('conversation.conversationId', 'IS_IN', ['c-a', 'c-b']), skill('B')),
      ]);
      assert.deepEqual(await v2({ conversationId: 'c-a' }), [
        { type: 'TRANSFER_TO_SKILL', payload: { skillId: 'A' } },
      ]);
      assert.deepEqual(await v2({ conversationId: 'c-b' }), [
        { type: 'TRANSFER_TO_SKILL', payload: { skillId: 'B' } },
      ]);
      assert.deepEqual(await v2({ conversationId: 'c-z' }), []);
    });

    test('an id holding a NUL character is refused with 400 on v1 and v2, and nothing is logged', async () => {
      const before = t.services.policies.logStats();
      const v1Answer = await t.app.inject({
        method: 'GET',
        url: `/v1/account/${acct.accountId}/next-actions?conversationId=c%000`,
        headers: { 'maven-api-key': acct.apiKey },
      });
      assert.equal(v1Answer.statusCode, 400, v1Answer.body);
      assert.match(v1Answer.json().detail, /conversationId must not contain the NUL character/);
      for (const field of ['conversationId', 'customerId', 'visitorId', 'sessionId', 'policyId']) {
        const answer = await t.app.inject({
          method: 'POST',
          url: '/v2/policy/nextaction',
          headers: { authorization: `Bearer ${token}` },
          payload: { accountId: acct.accountId, [field]: 'c\u00000' },
        });
        assert.equal(answer.statusCode, 400, `${field}: ${answer.body}`);
        assert.match(answer.json().detail, new RegExp(`${field} must not contain the NUL character`));
      }
      await t.services.policies.flushLogs();
      const now = t.services.policies.logStats();
      assert.equal(now.written + now.queued, before.written + before.queued);
      assert.deepEqual(await v2({ conversationId: 'c0' }), []);
    });

    test('NO_POLICIES_ENABLED without policies or with all disabled; NO_MATCHED_RULES otherwise', async () => {
      const noMatch = async () => {
        const answer = await v1('conversationId=c-none');
        assert.equal(answer.rule, null);
        return answer.noMatchReason;
      };
      assert.equal(await noMatch(), 'NO_POLICIES_ENABLED');
      await save([{ ...enabled('off', when('custom.x', 'EQUAL', 1)), enabled: false }]);
      assert.equal(await noMatch(), 'NO_POLICIES_ENABLED');
      await save([enabled('on', when('custom.x', 'EQUAL', 1))]);
      assert.equal(await noMatch(), 'NO_MATCHED_RULES');
      assert.deepEqual(await v2({ conversationId: 'c-none' }), []);
    });

    test('CCS: the session document first, then the namespace level; v2 sessionId, v1 groupId, else the conversation', async () => {
      await save([
        enabled('billing', when('orchestrator.intent', 'EQUAL', 'billing'), skill('{{orchestrator.skill}}')),
      ]);
      await context('orchestrator', undefined, { intent: 'none', skill: 'global-skill' });
      await context('orchestrator', 'session-1', { intent: 'billing' });
      await context('orchestrator', 'conv-2', { intent: 'billing', skill: 'conv-skill' });
      const skillOf = (actions: { payload: Record<string, JsonValue> }[]) =>
        actions[0]?.payload.skillId ?? null;
      assert.equal(skillOf(await v2({ conversationId: 'conv-1', sessionId: 'session-1' })), 'global-skill');
      assert.equal(skillOf(await v2({ conversationId: 'conv-2' })), 'conv-skill');
      assert.equal(skillOf(await v2({ conversationId: 'conv-3' })), null);
      assert.equal(skillOf(await v2({})), null);
      const viaGroup = (await v1('conversationId=conv-1&groupId=session-1')).rule as { actions: unknown[] };
      assert.deepEqual(viaGroup.actions, [
        { type: 'TRANSFER_TO_SKILL', payload: { skillId: 'global-skill' } },
      ]);
      assert.equal((await v1('conversationId=conv-2')).rule === null, false);
      await context('orchestrator', undefined, { intent: 'billing' });
      assert.equal(skillOf(await v2({ conversationId: 'conv-3' })), 'global-skill');
    });

    test('CCS: nested JSON properties by path, dotted property names as they are', async () => {
      await save([
        enabled('nested', when('profile.customer.tier', 'EQUAL', 'gold'), skill('nested')),
        enabled('dotted', when('profile.a.b', 'EQUAL', 1), skill('dotted')),
      ]);
      await context('profile', 'n1', { customer: { tier: 'gold' } });
      await context('profile', 'n2', { 'a.b': 1, a: { b: 2 } });
      await context('profile', 'n3', { customer: { tier: { toString: 'x' } }, a: { b: 1 } });
      assert.equal((await v2({ conversationId: 'n1' }))[0]?.payload.skillId, 'nested');
      assert.equal((await v2({ conversationId: 'n2' }))[0]?.payload.skillId, 'dotted');
      assert.equal((await v2({ conversationId: 'n3' }))[0]?.payload.skillId, 'dotted');
    });

    test('conversation attributes from the request, v1 and v2 names', async () => {
      await save([
        enabled('consumer', when('conversation.consumerId', 'EQUAL', 'u-1'), skill('consumer')),
        enabled('visitor', when('conversation.visitorId', 'EQUAL', 'v-1'), skill('visitor')),
        enabled('group', when('conversation.groupId', 'EQUAL', 'g-1'), skill('group')),
      ]);
      const first = async (body: Record<string, unknown>) => (await v2(body))[0]?.payload.skillId;
      assert.equal(await first({ customerId: 'u-1' }), 'consumer');
      assert.equal(await first({ visitorId: 'v-1' }), 'visitor');
      assert.equal(await first({ sessionId: 'g-1' }), 'group');
      assert.equal(
        await first({ customerId: null, visitorId: null, sessionId: null, conversationId: null }),
        undefined,
      );
      const rule = async (query: string) => ((await v1(query)).rule as { name: string } | null)?.name;
      assert.equal(await rule('consumerId=u-1'), 'consumer');
      assert.equal(await rule('userId=u-1'), 'consumer');
      assert.equal(await rule('groupId=g-1'), 'group');
    });

    test('templates are filled in; legacy payload names come back under the current ones', async () => {
      await save([
        enabled('vip', when('custom.tier', 'EQUAL', 'gold'), [
          {
            type: 'TRANSFER_TO_AGENT',
            payload: { agentId: '{{custom.agent}}', fallbackSkillId: '{{custom.vipSkill}}' },
          },
          { type: 'SEND_MESSAGE', payload: { text: 'Hello {{custom.name}}, about {{tpl_ns.intent}}' } },
        ]),
      ]);
      await setCustom({ tier: 'gold', agent: 42, vipSkill: '999', name: 'Ada' });
      await context('tpl_ns', 'tpl', { intent: 'billing' });
      assert.deepEqual(await v2({ conversationId: 'tpl' }), [
        { type: 'TRANSFER_TO_AGENT', payload: { userId: 42, skillId: '999' } },
        { type: 'SEND_MESSAGE', payload: { message: 'Hello Ada, about billing' } },
      ]);
      // A template whose attribute is missing makes the policy ERROR rather than answer with a hole.
      assert.deepEqual(await v2({ conversationId: 'no-context' }), []);
      assert.deepEqual(await logsOf('no-context'), [['vip:ERROR']]);
    });

    test('policyId evaluates that policy only', async () => {
      const saved = await save([
        enabled('first', when('custom.on', 'EQUAL', true), skill('first')),
        enabled('second', when('custom.on', 'EQUAL', true), skill('second')),
        { ...enabled('third', when('custom.on', 'EQUAL', true), skill('third')), enabled: false },
      ]);
      await setCustom({ on: true });
      const [, second, third] = saved;
      assert.deepEqual(await v2({ conversationId: 'pid', policyId: second?.id }), [
        { type: 'TRANSFER_TO_SKILL', payload: { skillId: 'second' } },
      ]);
      assert.deepEqual(await v2({ conversationId: 'pid-unknown', policyId: 'nope' }), []);
      assert.deepEqual(await v2({ conversationId: 'pid-off', policyId: third?.id }), []);
      assert.deepEqual(await logsOf('pid'), [['second:TRUE']]);
      assert.deepEqual(await logsOf('pid-unknown'), [[]]);
      assert.deepEqual(await logsOf('pid-off'), [['third:DISABLED']]);
    });

    test('every result kind is logged, and a failing policy does not stop the others', async () => {
      await save([
        { ...enabled('disabled', when('custom.n', 'EQUAL', 1)), enabled: false },
        enabled('false', when('custom.n', 'EQUAL', 2)),
        enabled('error', when('custom.missing', 'EQUAL', 1)),
        enabled('invalid', when('custom.n', 'EQUAL', 'one')),
        { name: 'expression', enabled: true, expression: 'custom.n / 0 == 1', actions: skill('x') },
        enabled('true', when('custom.n', 'LESS_THAN', 5), skill('win')),
        enabled('after', when('custom.n', 'EQUAL', 1)),
      ]);
      await setCustom({ n: 1 });
      assert.deepEqual(await v2({ conversationId: 'kinds' }), [
        { type: 'TRANSFER_TO_SKILL', payload: { skillId: 'win' } },
      ]);
      const [view] = await t.services.policies.searchLogs(acct.accountId, {
        conversationId: 'kinds',
        limit: 1,
      });
      assert.deepEqual(
        view?.results.map(({ name, result, reason }) => ({ name, result, ...(reason ? { reason } : {}) })),
        [
          { name: 'disabled', result: 'DISABLED' },
          { name: 'false', result: 'FALSE' },
          { name: 'error', result: 'ERROR', reason: 'missing attribute custom.missing' },
          { name: 'invalid', result: 'INVALID', reason: 'EQUAL cannot compare number with string' },
          { name: 'expression', result: 'ERROR', reason: 'division by zero' },
          { name: 'true', result: 'TRUE' },
        ],
      );
    });

    test('expressions and time helpers use the server clock', async () => {
      const office = (zone: string) => ({
        name: zone,
        enabled: true,
        expression: `isTimeRange('09:00:00','17:00:00','${zone}') and time_ns.intent in ['billing', 'sales']`,
        actions: skill(zone),
      });
      await save([office('Asia/Tokyo'), office('Europe/London')]);
      await context('time_ns', 'time', { intent: 'sales' });
      // 12:00 UTC: 21:00 in Tokyo, noon in London.
      assert.deepEqual(await v2({ conversationId: 'time' }), skill('Europe/London'));
      t.clock.advance(30 * 60_000);
      try {
        await context('time_ns', 'time', { intent: 'other' });
        assert.deepEqual(await v2({ conversationId: 'time' }), []);
      } finally {
        t.clock.advance(-30 * 60_000);
      }
      assert.deepEqual(await logsOf('time'), [
        ['Asia/Tokyo:FALSE', 'Europe/London:FALSE'],
        ['Asia/Tokyo:FALSE', 'Europe/London:TRUE'],
      ]);
    });

    test('only namespaces that enabled policies use are read', async () => {
      await save([
        enabled('used', when('used_ns.p', 'EQUAL', 1)),
        { ...enabled('unused', when('unused_ns.p', 'EQUAL', 1)), enabled: false },
        enabled('reserved', when('sde.visitorinfo.ctype', 'EQUAL', 1)),
      ]);
      const read: string[] = [];
      const documents = t.ctx.store.contextDocuments;
      const original = documents.getDocument.bind(documents);
      documents.getDocument = async (key, now) => {
        read.push(`${key.namespace}/${key.sessionId}`);
        return original(key, now);
      };
      await context('used_ns', 'complete', { p: 2 });
      try {
        await v2({ conversationId: 'ns-read' });
        await v2({});
        await v2({ conversationId: 'complete' });
      } finally {
        documents.getDocument = original;
      }
      // The namespace level is read only when the session's document lacks a property the policies read.
      assert.deepEqual(read.sort(), [
        'used_ns/__default__',
        'used_ns/__default__',
        'used_ns/complete',
        'used_ns/ns-read',
      ]);
    });

    test('a context store failure makes the policies that need it ERROR; the call still answers', async () => {
      await save([
        enabled('ccs', when('broken.p', 'EQUAL', 1)),
        enabled('custom', when('custom.ok', 'EQUAL', true), skill('fallback')),
      ]);
      await setCustom({ ok: true });
      const documents = t.ctx.store.contextDocuments;
      const original = documents.getDocument;
      // A store that fails later (a rejected promise), and one that fails at once (a throw).
      const failures: ContextDocumentStore['getDocument'][] = [
        async () => {
          throw new Error('disk on fire');
        },
        () => {
          throw new Error('disk on fire');
        },
      ];
      for (const [i, failing] of failures.entries()) {
        const conversationId = `ccs-down-${i}`;
        documents.getDocument = failing;
        try {
          assert.deepEqual(await v2({ conversationId }), [
            { type: 'TRANSFER_TO_SKILL', payload: { skillId: 'fallback' } },
          ]);
        } finally {
          documents.getDocument = original;
        }
        const [view] = await t.services.policies.searchLogs(acct.accountId, { conversationId, limit: 1 });
        assert.equal(view?.results[0]?.result, 'ERROR');
        assert.match(String(view?.results[0]?.reason), /context of namespace broken could not be read/);
      }
    });

    /** One enabled policy that matches, and `body` run while the log store refuses every write with `message`. */
    async function whileLogStoreDown(message: string, body: () => Promise<void>): Promise<void> {
      await save([enabled('any', when('custom.ok', 'EQUAL', true), skill('s'))]);
      await setCustom({ ok: true });
      const logs = t.ctx.store.policyLogs;
      const original = logs.appendPolicyLogs;
      logs.appendPolicyLogs = async () => {
        throw new Error(message);
      };
      try {
        await body();
      } finally {
        logs.appendPolicyLogs = original;
      }
    }

    test('a policy log failure does not fail the call', async () => {
      await whileLogStoreDown('log store down', async () => {
        assert.equal((await v2({ conversationId: 'log-down' })).length, 1);
        await t.services.policies.flushLogs();
      });
      assert.ok(t.logs.some((line) => line.includes('writing the policy log failed')));
      assert.deepEqual(await logsOf('log-down'), []);
    });

    test('a log store that stays down is reported once a minute, with how many entries were lost', async () => {
      const failures = () =>
        t.logs
          .filter((line) => line.includes('log store still down'))
          .map((line) => (JSON.parse(line) as { entries: number }).entries);
      await whileLogStoreDown('log store still down', async () => {
        t.clock.advance(120_000);
        for (let i = 0; i < 5; i++) {
          await v2({ conversationId: `down-${i}` });
          await t.services.policies.flushLogs();
        }
        assert.deepEqual(failures(), [1], 'one line for five failed batches');
        t.clock.advance(60_000);
        await v2({ conversationId: 'down-again' });
        await t.services.policies.flushLogs();
        assert.deepEqual(failures(), [1, 5], 'a minute later: the four since and this one');
        await v2({ conversationId: 'down-unsaid' });
        await t.services.policies.flushLogs();
        assert.deepEqual(failures(), [1, 5]);
      });
      await v2({ conversationId: 'up-again' });
      await t.services.policies.flushLogs();
      const recovered = t.logs.filter((line) => line.includes('the policy log is written again'));
      assert.equal(recovered.length, 1);
      assert.equal((JSON.parse(recovered[0] ?? '{}') as { entries: number }).entries, 1);
    });

    test('a log store that does not answer: 20,000 entries wait, later ones are dropped, said once a minute', async () => {
      await save([enabled('any', when('custom.ok', 'EQUAL', true), skill('s'))]);
      await setCustom({ ok: true });
      await v2({ conversationId: 'warm' });
      await t.services.policies.flushLogs();
      const warnings = () => t.logs.filter((line) => line.includes('policy log queue full')).length;
      const logs = t.ctx.store.policyLogs;
      const original = logs.appendPolicyLogs;
      let release = () => {};
      const stuck = new Promise<void>((resolve) => {
        release = resolve;
      });
      logs.appendPolicyLogs = async (entries) => {
        await stuck;
        return original.call(logs, entries);
      };
      try {
        t.clock.advance(120_000);
        const before = t.services.policies.logStats();
        const calls = [];
        // Within one turn of the event loop: nothing is written meanwhile, the queue only grows.
        for (let i = 0; i < 20_050; i++) {
          calls.push(t.services.policies.nextAction(acct.accountId, { conversationId: `full-${i}` }));
        }
        await Promise.all(calls);
        const full = t.services.policies.logStats();
        assert.equal(full.dropped - before.dropped, 50);
        assert.equal(warnings(), 1, 'one warning for 50 dropped entries');
        t.clock.advance(60_000);
        await t.services.policies.nextAction(acct.accountId, { conversationId: 'full-later' });
        assert.equal(warnings(), 2, 'a minute later, another');
      } finally {
        release();
        logs.appendPolicyLogs = original;
      }
      await t.services.policies.flushLogs();
      const after = t.services.policies.logStats();
      assert.equal(after.queued, 0);
      assert.equal((await logsOf('full-19999')).length, 1, 'the last entry the queue held is written');
      assert.deepEqual(await logsOf('full-20000'), [], 'the first one dropped is not');
    });

    test('a change is seen by the next call: the compiled cache is dropped through the bus', async () => {
      await setCustom({ tier: 'gold' });
      await save([enabled('old', when('custom.tier', 'EQUAL', 'gold'), skill('old'))]);
      assert.equal((await v2({}))[0]?.payload.skillId, 'old');
      await save([enabled('new', when('custom.tier', 'EQUAL', 'gold'), skill('new'))]);
      assert.equal((await v2({}))[0]?.payload.skillId, 'new');
      await setCustom({ tier: 'silver' });
      assert.deepEqual(await v2({}), []);
    });

    test('another node’s change: cached until the bus says so; reset and an unhealthy bus drop the cache', async () => {
      await setCustom({ tier: 'gold' });
      await save([enabled('one', when('custom.tier', 'EQUAL', 'gold'), skill('one'))]);
      assert.equal((await v2({}))[0]?.payload.skillId, 'one');
      // Written by "another node": straight to the store, no local invalidation.
      const writeBehind = async (skillId: string) => {
        const set = await t.ctx.store.policies.getPolicySet(acct.accountId);
        const policy = { ...(set.policies[0] as object), actions: skill(skillId) };
        const saved = await t.ctx.store.policies.savePolicies(acct.accountId, [policy as never], set.version);
        assert.ok(saved.ok);
      };
      await writeBehind('two');
      assert.equal((await v2({}))[0]?.payload.skillId, 'one', 'served from the cache');
      t.bus.emit({ type: 'invalidate', topic: 'policies', key: acct.accountId });
      assert.equal((await v2({}))[0]?.payload.skillId, 'two');
      await writeBehind('three');
      t.bus.emit({ type: 'invalidate', topic: 'policies', key: 'some-other-account' });
      assert.equal((await v2({}))[0]?.payload.skillId, 'two', 'other accounts are not dropped');
      t.bus.emit({ type: 'reset' });
      assert.equal((await v2({}))[0]?.payload.skillId, 'three');
      await writeBehind('four');
      const healthy = t.bus.healthy;
      t.bus.healthy = () => false;
      try {
        assert.equal((await v2({}))[0]?.payload.skillId, 'four', 'no cache while the bus is unhealthy');
        await writeBehind('five');
        assert.equal((await v2({}))[0]?.payload.skillId, 'five');
      } finally {
        t.bus.healthy = healthy;
      }
    });

    test('accounts are separate', async () => {
      const other = await createAccount(t);
      await save([enabled('other', when('custom.x', 'EQUAL', 1))], other.accountId);
      await setCustom({ x: 1 });
      assert.deepEqual(await v2({ conversationId: 'sep' }), []);
      assert.equal((await v1('conversationId=sep')).noMatchReason, 'NO_POLICIES_ENABLED');
    });

    test('v2 body errors → 400; unknown fields are ignored; lpToken is never logged', async () => {
      const send = (payload: unknown) =>
        t.app.inject({
          method: 'POST',
          url: '/v2/policy/nextaction',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
        });
      assert.equal((await send({})).statusCode, 400);
      assert.equal((await send({ accountId: acct.accountId, conversationId: 5 })).statusCode, 400);
      assert.equal((await send('{"accountId":')).statusCode, 400);
      assert.equal((await send([])).statusCode, 400);
      const ok = await send({
        accountId: acct.accountId,
        lpToken: 'Bearer lp-secret-token-123',
        extra: { a: 1 },
      });
      assert.equal(ok.statusCode, 200);
      assert.ok(!t.logs.some((line) => line.includes('lp-secret-token-123')));
    });

    test('property: random v2 bodies and v1 queries never answer 5xx', async () => {
      await setCustom({ tier: 'gold', n: 3, list: [1, 'a'] });
      await save([
        enabled('c', when('custom.tier', 'EQUAL', 'gold'), skill('{{orchestrator.skill}}')),
        { name: 'e', enabled: true, expression: 'orchestrator.n * 2 > custom.n', actions: skill('e') },
        enabled('d', when('conversation.consumerId', 'CONTAINS', 'x')),
      ]);
      await context('orchestrator', 'c1', { skill: 'from-ccs', n: 2 });
      const text = fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.constantFrom('c1', '__default__', '', 'a/b', '..', 'x'.repeat(1100), '\u0000'),
      );
      const value = fc.oneof(text, fc.integer(), fc.constant(null), fc.jsonValue({ maxDepth: 2 }));
      const body = fc.record(
        {
          accountId: fc.oneof(fc.constant(acct.accountId), value),
          conversationId: value,
          customerId: value,
          visitorId: value,
          sessionId: value,
          policyId: value,
          lpToken: value,
          other: value,
        },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(body, async (payload) => {
          const response = await t.app.inject({
            method: 'POST',
            url: '/v2/policy/nextaction',
            headers: { authorization: `Bearer ${token}` },
            payload,
          });
          assert.ok(response.statusCode < 500, `${response.statusCode} ${response.body}`);
        }),
        { numRuns: 150 },
      );
      const param = fc.constantFrom('conversationId', 'consumerId', 'userId', 'groupId', 'other');
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(param, text), { maxLength: 5 }), async (pairs) => {
          const query = pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
          const response = await t.app.inject({
            method: 'GET',
            url: `/v1/account/${acct.accountId}/next-actions?${query}`,
            headers: { 'maven-api-key': acct.apiKey },
          });
          assert.ok(response.statusCode < 500, `${response.statusCode} ${response.body}`);
        }),
        { numRuns: 150 },
      );
    });
  });
}
