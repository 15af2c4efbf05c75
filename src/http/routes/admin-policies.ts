import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { POLICY_HISTORY_LENGTH } from '../../ports/policy-store.js';
import { ACCOUNT_ID_PATTERN } from '../../services/accounts.js';
import { recordAudit } from '../../services/audit.js';
import { operatorActor } from '../actor.js';
import type { App, RouteDeps } from '../types.js';
import { ERROR_RESPONSES } from './context-common.js';
import { ifMatch, registerPolicyOperations, withEtag } from './policy-operations.js';
import { DryRunResult, IfMatchHeaders, PolicyList, PolicyLogView } from './policy-schemas.js';
import { iso, Time } from './times.js';

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
    actor: (request) => actor(request).name,
    audit: (request, accountId, action, detail) =>
      recordAudit(services.ctx, actor(request), accountId, action, detail),
  });

  const VersionParams = Type.Object({
    accountId: AccountId,
    version: Type.String({ pattern: '^[1-9][0-9]{0,14}$', description: 'A version of the history' }),
  });
  const HistoryEntry = {
    version: Type.Integer({ description: "The account's policy set version this list was saved as" }),
    at: Time,
    actor: Type.String({ description: 'Who saved it: an operator, or client:<clientId> for the v2 API' }),
    action: Type.String({
      description:
        'How: policy.created, policy.updated, policy.deleted, policies.replaced or policies.restored',
    }),
    count: Type.Integer({ description: 'How many policies the list has' }),
  };
  const asView = <T extends { at: number }>(entry: T) => ({ ...entry, at: iso(entry.at) });

  app.get(
    '/api/admin/accounts/:accountId/policy-history',
    {
      onRequest: viewer,
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: `The lists of policies saved last (at most ${POLICY_HISTORY_LENGTH}), newest first`,
        description:
          'Each change of the policies (by the web app, the admin API or the v2 API) keeps the whole list as saved, with who saved it and how. Custom attributes have no history here (the audit log has their changes).',
        params: Type.Object({ accountId: AccountId }),
        response: { 200: Type.Array(Type.Object(HistoryEntry)), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const accountId = await account(request);
      return (await services.policies.history(accountId)).map(asView);
    },
  );

  app.get(
    '/api/admin/accounts/:accountId/policy-history/:version',
    {
      onRequest: viewer,
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'One list of the history, whole',
        params: VersionParams,
        response: {
          200: Type.Object({ ...HistoryEntry, policies: PolicyList }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const accountId = await account(request);
      return asView(await services.policies.historyVersion(accountId, Number(request.params.version)));
    },
  );

  app.post(
    '/api/admin/accounts/:accountId/policy-history/:version/restore',
    {
      onRequest: operator,
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Make a list of the history the current one again',
        description:
          "Needs If-Match with the current list's ETag (GET /policies), as a PUT of the list does. The list comes back as it was saved, ids included; the answer is the new current list with its ETag. The restore is itself a change of the history (policies.restored).",
        params: VersionParams,
        headers: IfMatchHeaders,
        response: { 200: PolicyList, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const accountId = await account(request);
      const version = Number(request.params.version);
      const restored = await services.policies.restore(
        accountId,
        version,
        ifMatch(request),
        actor(request).name,
      );
      await recordAudit(services.ctx, actor(request), accountId, 'policies.restored', {
        version,
        count: restored.policies.length,
      });
      return withEtag(reply, restored.etag).send(restored.policies);
    },
  );

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
      return entries.map(asView);
    },
  );
}
