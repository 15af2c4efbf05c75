import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ACCOUNT_ID_PATTERN } from '../../services/accounts.js';
import { recordAudit } from '../../services/audit.js';
import { operatorActor } from '../actor.js';
import type { App, RouteDeps } from '../types.js';
import { ERROR_RESPONSES } from './context-common.js';
import { registerPolicyOperations } from './policy-operations.js';
import { DryRunResult, PolicyLogView } from './policy-schemas.js';

const AccountId = Type.String({ pattern: ACCOUNT_ID_PATTERN.source });
const TAGS = ['admin'];
const SECURITY = [{ operatorSession: [] as string[] }];
const DRY_RUN_BODY_LIMIT = 4 * 1024 * 1024;
const Id = Type.String({ minLength: 1, maxLength: 1024 });

const SampleRequest = Type.Object(
  {
    conversationId: Type.Optional(Id),
    consumerId: Type.Optional(Id),
    sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'The v1 groupId' })),
    visitorId: Type.Optional(Id),
    policyId: Type.Optional(Id),
  },
  { additionalProperties: false },
);

/** Policies, custom attributes, policy logs and dry runs of one account, for the web app. */
export async function adminPolicyRoutes(app: App, { auth, services }: RouteDeps): Promise<void> {
  const operator = auth.operator();
  const viewer = auth.operator('viewer');
  const account = async (request: FastifyRequest) => {
    const { accountId } = request.params as { accountId: string };
    await services.accounts.require(accountId);
    return accountId;
  };
  const actor = operatorActor;

  registerPolicyOperations(app, services, {
    base: '/api/admin/accounts/:accountId',
    params: { accountId: AccountId },
    tags: TAGS,
    security: SECURITY,
    read: viewer,
    write: operator,
    account,
    audit: (request, accountId, action, detail) =>
      recordAudit(services.ctx, actor(request), accountId, action, detail),
  });

  app.post(
    '/api/admin/accounts/:accountId/policies/dry-run',
    {
      onRequest: viewer,
      bodyLimit: DRY_RUN_BODY_LIMIT,
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Evaluate a sample request against the saved policies, or a draft, without logging',
        description:
          'Answers which policy would match, every policy’s own result with its reason, and the attributes read. CCS documents are read as in a real call.',
        params: Type.Object({ accountId: AccountId }),
        body: Type.Optional(
          Type.Object(
            {
              request: Type.Optional(SampleRequest),
              // Drafts are checked by the policy engine, which reports every problem with its field.
              policies: Type.Optional(
                Type.Array(Type.Unknown(), {
                  maxItems: 2000,
                  description:
                    'A draft list to evaluate instead of the saved one; each item as in PUT /policies',
                }),
              ),
              customAttributes: Type.Optional(
                Type.Unknown({ description: 'Draft custom attributes to use instead of the saved ones' }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        response: { 200: DryRunResult, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const accountId = await account(request);
      const { request: sample = {}, policies, customAttributes } = request.body ?? {};
      return services.policies.dryRun(accountId, sample, {
        ...(policies === undefined ? {} : { policies }),
        ...(customAttributes === undefined ? {} : { customAttributes }),
      });
    },
  );

  app.get(
    '/api/admin/accounts/:accountId/policy-logs',
    {
      onRequest: viewer,
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Policy log of the last 7 days, newest first, optionally for one conversation',
        params: Type.Object({ accountId: AccountId }),
        querystring: Type.Object(
          {
            conversationId: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
            limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: '1-500, default 50' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(PolicyLogView), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { accountId } = request.params;
      const found = await services.accounts.require(accountId);
      const limit = Math.min(500, Math.max(1, Number(request.query.limit ?? 50)));
      const { conversationId } = request.query;
      const entries = await services.policies.searchLogs(accountId, {
        limit,
        notBefore: services.accounts.visibleSince(found),
        ...(conversationId === undefined ? {} : { conversationId }),
      });
      return entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() }));
    },
  );
}
