import { Type } from 'typebox';
import { then } from '../../core/maybe-promise.js';
import { ACCOUNT_ID_PATTERN } from '../../services/accounts.js';
import type { NextActionRequest } from '../../services/policy-service.js';
import { requireAccount } from '../auth.js';
import { NO_NUL_PATTERN } from '../errors.js';
import type { App, RouteDeps } from '../types.js';
import { ERROR_RESPONSES } from './context-common.js';
import { ActionList, NoMatchReason, Rule } from './policy-schemas.js';

const AccountId = Type.String({ pattern: ACCOUNT_ID_PATTERN.source });
/**
 * Any text but the NUL character, which no id carries and PostgreSQL text cannot hold: the conversation id goes
 * into the policy log, written later in batches, where one such entry would have failed the whole batch.
 */
const IdText = (description?: string) =>
  Type.String({ maxLength: 1024, pattern: NO_NUL_PATTERN, ...(description ? { description } : {}) });
const Id = (description: string) => Type.Optional(IdText(description));
/** v2 bots sometimes send `null` for a field they do not have: the same as leaving it out. */
const NullableId = (description: string) =>
  Type.Optional(Type.Union([IdText(), Type.Null()], { description }));

const V1Query = Type.Object({
  conversationId: Id('The conversation (conversation.conversationId)'),
  consumerId: Id('The consumer (conversation.consumerId)'),
  userId: Id('Older name of consumerId'),
  groupId: Id('The CCS session whose context the policies read; the conversation id when absent'),
});

const V2Body = Type.Object({
  accountId: Type.String({ minLength: 1, maxLength: 64, description: 'Must be the token’s account' }),
  conversationId: NullableId('The conversation (conversation.conversationId)'),
  customerId: NullableId('The customer (conversation.consumerId)'),
  visitorId: NullableId('The visitor (conversation.visitorId)'),
  sessionId: NullableId('The CCS session whose context the policies read; the conversation id when absent'),
  policyId: NullableId('Evaluate this policy only'),
  lpToken: NullableId('Accepted for compatibility and ignored (never stored or logged)'),
});

const present = (value: string | null | undefined): string | undefined => value ?? undefined;

/** Next Actions (SPEC §4): what a bot asks on every conversation. Unknown fields are ignored. */
export async function nextActionRoutes(app: App, { auth, services }: RouteDeps): Promise<void> {
  const policies = services.policies;

  app.get(
    '/v1/account/:accountId/next-actions',
    {
      onRequest: auth.v1(),
      schema: {
        tags: ['next actions'],
        security: [{ apiKey: [] }],
        summary: 'The actions of the first enabled policy that holds (v1)',
        description:
          'rule is null when nothing matched, with noMatchReason NO_POLICIES_ENABLED (no policy is enabled) or NO_MATCHED_RULES.',
        params: Type.Object({ accountId: AccountId }),
        querystring: V1Query,
        response: {
          200: Type.Object({
            nextActionId: Type.String({ description: 'Identifies this evaluation in the policy log' }),
            rule: Type.Union([Rule, Type.Null()]),
            noMatchReason: Type.Optional(NoMatchReason),
          }),
          ...ERROR_RESPONSES,
        },
      },
    },
    // Not async: answered within this call when the policies and the context are in memory.
    (request) => {
      const { conversationId, consumerId, userId, groupId } = request.query;
      const input: NextActionRequest = {
        conversationId,
        consumerId: consumerId ?? userId,
        sessionId: groupId,
      };
      return then(policies.nextAction(request.params.accountId, input), ({ evaluationId, ...result }) => ({
        nextActionId: evaluationId,
        ...result,
      }));
    },
  );

  app.post(
    '/v2/policy/nextaction',
    {
      onRequest: auth.v2('next-actions'),
      schema: {
        tags: ['next actions'],
        security: [{ bearer: [] }, { dpop: [] }],
        summary:
          'The actions of the first enabled policy that holds (v2): an array, empty when nothing matched',
        querystring: Type.Object({
          access_token: Type.Optional(
            Type.String({ description: 'The token, when not sent as Authorization: Bearer' }),
          ),
        }),
        body: V2Body,
        response: { 200: ActionList, ...ERROR_RESPONSES },
      },
    },
    // Not async: answered within this call when the policies and the context are in memory.
    (request) => {
      const body = request.body;
      const accountId = requireAccount(request, body.accountId);
      const result = policies.nextAction(accountId, {
        conversationId: present(body.conversationId),
        consumerId: present(body.customerId),
        sessionId: present(body.sessionId),
        visitorId: present(body.visitorId),
        policyId: present(body.policyId),
      });
      return then(result, (answer) => answer.rule?.actions ?? []);
    },
  );
}
