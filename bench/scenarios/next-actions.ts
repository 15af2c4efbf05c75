import { type BenchRequest, issueBenchToken, type Scenario } from '../scenario.js';

type Services = Parameters<Scenario['setup']>[0];

/**
 * An account with `policyCount` enabled policies of which only the last one matches: every policy reads
 * `orchestrator.intent` from the conversation's CCS document, so a call reads one document and
 * evaluates every policy. Returns the v2 next-action request for that conversation or, with
 * `conversations` above 1, for that many conversations (each with its own document) in a shuffled order.
 */
export async function setupNextActions(
  services: Services,
  policyCount: number,
  conversations = 1,
): Promise<BenchRequest> {
  const accountId = `bench-next-${policyCount}-${conversations}`;
  if (!(await services.ctx.store.accounts.getAccount(accountId))) await services.accounts.create(accountId);
  const token = await issueBenchToken(services, accountId, ['next-actions']);

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
  const ids = Array.from({ length: conversations }, (_, i) => `conv-${i + 1}`);
  for (const sessionId of ids) {
    await services.context.mergeProperties(
      { accountId, namespace: 'orchestrator', sessionId },
      { intent: 'billing', customerTier: 'gold', visits: 12, tags: ['vip', 'returning'] },
      3600,
    );
  }

  // Check once that the setup does what the report claims: the last policy wins.
  const answer = await services.policies.nextAction(accountId, { conversationId: 'conv-1' });
  if (answer.rule?.name !== `policy ${policyCount}`)
    throw new Error('bench setup: the last policy did not match');
  const body = (conversationId: string) =>
    JSON.stringify({ accountId, conversationId, customerId: 'customer-1' });
  return {
    method: 'POST',
    path: '/v2/policy/nextaction',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(conversations === 1 ? { body: body('conv-1') } : { bodies: shuffled(ids).map(body) }),
  };
}

/** The same order on every run: a Fisher–Yates shuffle driven by a fixed linear congruential sequence. */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  let state = 0x2545f491;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
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
    name: 'next-action-1000-convs',
    description:
      'v2 next action, 1,000 enabled policies, 10,000 conversations in a shuffled order, each with its own CCS document (the policy log’s conversation index takes each entry at a random place)',
    setup: (services) => setupNextActions(services, 1000, 10_000),
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
