import type { BenchRequest, Scenario } from '../scenario.js';

type Services = Parameters<Scenario['setup']>[0];

/**
 * An account with `policyCount` enabled policies of which only the last one matches: every policy reads
 * `orchestrator.intent` from the conversation's CCS document, so a call reads one document and
 * evaluates every policy. Returns the v2 next-action request for that conversation.
 */
export async function setupNextActions(services: Services, policyCount: number): Promise<BenchRequest> {
  const accountId = `bench-next-${policyCount}`;
  if (!(await services.ctx.store.accounts.getAccount(accountId))) await services.accounts.create(accountId);
  const client = await services.clients.reveal(accountId);
  if (!client) throw new Error('bench account has no credentials');
  const version = (await services.clients.currentVersion(accountId)) ?? 0;
  const issued = await services.tokens.issue(accountId, client.userId, version, ['next-actions']);

  const policies = Array.from({ length: policyCount }, (_, i) => ({
    name: `policy ${i + 1}`,
    enabled: true,
    conditions: [
      {
        attribute: 'orchestrator.intent',
        operator: 'EQUAL',
        value: i === policyCount - 1 ? 'billing' : `intent-${i + 1}`,
      },
    ],
    actions: [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: `skill-${i + 1}` } }],
  }));
  const current = await services.policies.list(accountId);
  await services.policies.replaceAll(accountId, policies, current.etag);
  await services.context.mergeProperties(
    { accountId, namespace: 'orchestrator', sessionId: 'conv-1' },
    { intent: 'billing', customerTier: 'gold', visits: 12, tags: ['vip', 'returning'] },
    3600,
  );

  // Check once that the setup does what the report claims: the last policy wins.
  const answer = await services.policies.nextAction(accountId, { conversationId: 'conv-1' });
  if (answer.rule?.name !== `policy ${policyCount}`)
    throw new Error('bench setup: the last policy did not match');
  return {
    method: 'POST',
    path: '/v2/policy/nextaction',
    headers: { authorization: `Bearer ${issued.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ accountId, conversationId: 'conv-1', customerId: 'customer-1' }),
  };
}

export const nextActionScenarios: Scenario[] = [
  {
    name: 'next-action-10',
    description: 'v2 next action, 10 enabled policies, the last one matches (one CCS document read)',
    setup: (services) => setupNextActions(services, 10),
  },
  {
    name: 'next-action-1000',
    description: 'v2 next action, 1,000 enabled policies, the last one matches (one CCS document read)',
    goal: { ratio: 0.5 },
    setup: (services) => setupNextActions(services, 1000),
  },
  {
    name: 'floor-post-json',
    description:
      'floor: a bare Fastify route that takes the next-action request (JSON body, bearer header) and answers a fixed action (no node)',
    setup: () => Promise.reject(new Error('floor-post-json runs on a bare server')),
    bare(app) {
      const action = [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: 'skill-1000' } }];
      app.post('/v2/policy/nextaction', async (request) => {
        const body = request.body as { accountId?: unknown };
        if (typeof body.accountId !== 'string') throw new Error('no accountId');
        return action;
      });
      // A header the size of the node's access tokens (about 450 characters), not checked.
      const token = `${'h'.repeat(60)}.${'p'.repeat(300)}.${'s'.repeat(86)}`;
      return {
        method: 'POST',
        path: '/v2/policy/nextaction',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          accountId: 'bench-next-1000',
          conversationId: 'conv-1',
          customerId: 'customer-1',
        }),
      };
    },
  },
];
