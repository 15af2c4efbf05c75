import { issueBenchToken, type Scenario } from '../scenario.js';

type Services = Parameters<Scenario['setup']>[0];

/** An account with a few context documents, and its v1 key and a v2 token with both context scopes. */
async function contextAccount(services: Services) {
  const accountId = 'bench-context';
  if (!(await services.ctx.store.accounts.getAccount(accountId))) await services.accounts.create(accountId);
  const key = await services.apiKeys.reveal(accountId);
  if (!key) throw new Error('bench account has no key');
  const token = await issueBenchToken(services, accountId, ['context:read', 'context:write']);
  const properties = {
    intent: 'billing',
    customerTier: 'gold',
    visits: 12,
    lastAgent: { id: 'agent-42', skill: 'billing' },
    tags: ['vip', 'returning'],
  };
  for (let i = 0; i < 10; i++) {
    await services.context.mergeProperties(
      { accountId, namespace: 'bench', sessionId: `conv-${i}` },
      properties,
      3600,
    );
  }
  return { accountId, key: key.key, token };
}

export const contextScenarios: Scenario[] = [
  {
    name: 'context-v1-get',
    description: 'v1 GET of a session’s properties (5 properties)',
    goal: { ratio: 0.7 },
    async setup(services) {
      const { accountId, key } = await contextAccount(services);
      return {
        method: 'GET',
        path: `/v1/account/${accountId}/bench/conv-3/properties`,
        headers: { 'maven-api-key': key },
      };
    },
  },
  {
    name: 'context-v2-get',
    description: 'v2 GET of a session document (5 properties)',
    goal: { ratio: 0.7 },
    async setup(services) {
      const { accountId, token } = await contextAccount(services);
      return {
        method: 'GET',
        path: `/v2/context/document/${accountId}/bench/conv-3`,
        headers: { authorization: `Bearer ${token}` },
      };
    },
  },
  {
    name: 'context-v2-create',
    description:
      'v2 create merging 3 properties into one of 100 session documents (the merges of one event-loop turn share a transaction)',
    goal: { perSecond: 5000 },
    async setup(services) {
      const { accountId, token } = await contextAccount(services);
      const bodies = Array.from({ length: 500 }, (_, i) =>
        JSON.stringify({
          accountId,
          nameSpace: 'bench',
          sessionId: `write-${i % 100}`,
          ttlSeconds: 3600,
          payload: { [`step${i % 7}`]: i, intent: 'billing', seen: true },
        }),
      );
      return {
        method: 'POST',
        path: '/v2/context/document/create',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        bodies,
      };
    },
  },
];
