import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { postgresUnavailable, redisUnavailable } from '../contract/servers.js';
import { basic } from '../helpers/net.js';
import { type Cluster, Operator, quantile, type ServerNode, startCluster } from './cluster.js';

const TRIALS = 20;

const postgresReason = await postgresUnavailable();
const redisReason = postgresReason ?? (await redisUnavailable());

const policy = (skillId: string) => ({
  name: `route to ${skillId}`,
  enabled: true,
  conditions: [{ attribute: 'custom.tier', operator: 'EQUAL', value: 'gold' }],
  actions: [{ type: 'TRANSFER_TO_SKILL', payload: { skillId } }],
});

for (const mode of ['postgres', 'postgres+redis'] as const) {
  describe(`policies on two nodes (${mode === 'postgres' ? 'LISTEN/NOTIFY bus' : 'Redis bus'})`, () => {
    const reason = mode === 'postgres' ? postgresReason : redisReason;
    let cluster: Cluster;
    let a: ServerNode;
    let b: ServerNode;
    before(async () => {
      if (reason) return;
      cluster = await startCluster({ redis: mode === 'postgres+redis' });
      [a, b] = cluster.nodes as [ServerNode, ServerNode];
    });
    after(async () => {
      if (!reason) await cluster.close();
    });
    const it = (name: string, fn: () => Promise<void>) =>
      reason ? test(name, { skip: reason }, () => {}) : test(name, { timeout: 120_000 }, fn);

    it(`a policy change on A is what B answers next, within 1 s (${TRIALS} trials)`, async () => {
      const operator = await Operator.signIn(a);
      const accountId = `policies-${mode === 'postgres' ? 'pg' : 'redis'}`;
      const account = await operator.createAccount(a, accountId);
      const token = await fetch(`${a.url}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: basic(account.userId, account.password),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials&scope=policies:read policies:write next-actions',
      }).then(async (r) => ((await r.json()) as { access_token: string }).access_token);
      const auth = { authorization: `Bearer ${token}` };
      const write = async (node: ServerNode, path: string, json: unknown) => {
        const answer = await node.request('PUT', path, { headers: { ...auth, 'if-match': '*' }, json });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
      };
      const skillOn = async (node: ServerNode) => {
        const answer = await node.request('POST', '/v2/policy/nextaction', {
          headers: auth,
          json: { accountId, conversationId: 'c1' },
        });
        assert.equal(answer.status, 200);
        return (answer.body as { payload: { skillId: string } }[])[0]?.payload.skillId ?? null;
      };

      await write(a, '/v2/custom-attributes', { tier: 'gold' });
      await write(a, '/v2/policies', [policy('first')]);
      assert.equal(await skillOn(b), 'first');
      assert.equal(await skillOn(b), 'first', 'now cached on B');

      const delays: number[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const skill = `skill-${trial}`;
        await write(a, '/v2/policies', [policy(skill)]);
        const acknowledged = performance.now();
        for (;;) {
          if ((await skillOn(b)) === skill) break;
          assert.ok(performance.now() - acknowledged < 1_000, `B still answers the old policy after 1 s`);
        }
        delays.push(performance.now() - acknowledged);
      }
      console.log(
        `policy change seen on B (${mode}): p50=${quantile(delays, 0.5).toFixed(1)} ms p99=${quantile(delays, 0.99).toFixed(1)} ms`,
      );

      // Custom attributes are part of the cached set too.
      await write(a, '/v2/custom-attributes', { tier: 'silver' });
      const changed = performance.now();
      while ((await skillOn(b)) !== null) {
        assert.ok(performance.now() - changed < 1_000, 'B still uses the old custom attributes after 1 s');
      }

      // B writes its log entries behind its answers; they are readable on A moments later.
      await b.request('POST', '/v2/policy/nextaction', {
        headers: auth,
        json: { accountId, conversationId: 'logged-on-b' },
      });
      const written = performance.now();
      for (;;) {
        const logs = await operator.call(
          a,
          'GET',
          `/api/admin/accounts/${accountId}/policy-logs?conversationId=logged-on-b`,
        );
        assert.equal(logs.status, 200);
        if ((logs.body as unknown[]).length === 1) break;
        assert.ok(performance.now() - written < 2_000, 'the entry written on B is not readable on A');
        await new Promise((r) => setTimeout(r, 20));
      }
    });
  });
}
