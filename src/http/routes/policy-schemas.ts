import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';

/** Shapes of the policy API, for validation at the edge and for the OpenAPI document. */

export const PolicyId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[^/\\s]+$' });

const Condition = Type.Object({
  attribute: Type.String({ description: 'e.g. custom.tier, orchestrator.intent, conversation.consumerId' }),
  operator: Type.Union(
    [
      Type.Literal('EQUAL'),
      Type.Literal('NOT_EQUAL'),
      Type.Literal('LESS_THAN'),
      Type.Literal('LESS_THAN_OR_EQUAL'),
      Type.Literal('GREATER_THAN'),
      Type.Literal('GREATER_THAN_OR_EQUAL'),
      Type.Literal('CONTAINS'),
      Type.Literal('IS_IN'),
    ],
    { description: 'How the attribute (left) compares with the value (right)' },
  ),
  value: Type.Unknown({
    description: 'Any JSON value, or "{{attribute}}" to compare with another attribute',
  }),
});

const PayloadValue = Type.Unknown({ description: 'A string or a number' });

const Action = Type.Object({
  type: Type.Union([
    Type.Literal('TRANSFER_TO_SKILL'),
    Type.Literal('TRANSFER_TO_AGENT'),
    Type.Literal('SEND_MESSAGE'),
  ]),
  payload: Type.Record(Type.String(), PayloadValue, {
    description:
      'TRANSFER_TO_SKILL {skillId}; TRANSFER_TO_AGENT {userId, skillId?}; SEND_MESSAGE {message}. Values may hold {{attribute}} templates. On input, agentId, fallbackSkillId and text are accepted for userId, skillId and message.',
  }),
});

const policyFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  conditions: Type.Optional(
    Type.Array(Condition, {
      minItems: 1,
      maxItems: 50,
      description: 'All must hold; exclusive with expression',
    }),
  ),
  expression: Type.Optional(
    Type.String({
      maxLength: 4000,
      description: "e.g. orchestrator.intent == 'billing' and not (custom.closed); exclusive with conditions",
    }),
  ),
  actions: Type.Array(Action, { minItems: 1, maxItems: 20 }),
};

/** A stored policy, as every response shows it. */
export const Policy = Type.Object({ id: Type.String(), ...policyFields, enabled: Type.Boolean() });

/**
 * A policy as a client sends it. Checked in full by the policy engine (every problem reported at once,
 * each with its field); this schema describes it for the OpenAPI document.
 */
export const PolicyInput = Type.Object(
  {
    id: Type.Optional(
      Type.String({ description: 'Ignored, except in a whole-list PUT where it keeps an existing policy' }),
    ),
    ...policyFields,
    enabled: Type.Optional(Type.Boolean({ description: 'false when absent: new policies start disabled' })),
  },
  { additionalProperties: false },
);

export const PolicyList = Type.Array(Policy, { description: 'The ordered list: evaluated top to bottom' });
export const PolicyInputList = Type.Array(PolicyInput, { maxItems: 2000 });

export const CustomAttributes = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Name (letters, digits, _) → string, number, boolean, list or JSON object; at most 500',
});

export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      description: 'The ETag last read; required to replace or delete (428 without, 412 if stale)',
    }),
  ),
});

export const ActionList = Type.Array(Action);

const PolicyResult = Type.Union([
  Type.Literal('TRUE'),
  Type.Literal('FALSE'),
  Type.Literal('ERROR'),
  Type.Literal('INVALID'),
  Type.Literal('DISABLED'),
]);

export const Rule = Type.Object({ id: Type.String(), name: Type.String(), actions: ActionList });

export const NoMatchReason = Type.Union([
  Type.Literal('NO_MATCHED_RULES'),
  Type.Literal('NO_POLICIES_ENABLED'),
]);

export const DryRunResult = Type.Object({
  rule: Type.Union([Rule, Type.Null()]),
  noMatchReason: Type.Optional(NoMatchReason),
  results: Type.Array(
    Type.Object({
      policyId: Type.String(),
      name: Type.String(),
      result: PolicyResult,
      reason: Type.Optional(Type.String()),
      reached: Type.Boolean({ description: 'false: a real call would stop before (or skip) this policy' }),
    }),
  ),
  attributes: Type.Array(
    Type.Object({ name: Type.String(), found: Type.Boolean(), value: Type.Optional(Type.Unknown()) }),
  ),
});

export const PolicyLogView = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  conversationId: Type.Union([Type.String(), Type.Null()]),
  evaluationId: Type.String({ description: 'The v1 nextActionId' }),
  matchedPolicyId: Type.Union([Type.String(), Type.Null()]),
  results: Type.Array(
    Type.Object({
      policyId: Type.Union([Type.String(), Type.Null()]),
      name: Type.Union([Type.String(), Type.Null()]),
      result: PolicyResult,
      reason: Type.Optional(Type.String()),
    }),
  ),
});

/**
 * Routes whose body the policy engine checks declare `attachValidation`: the engine reports every problem
 * with its field, where the schema validator would stop at the first. Other parts still fail here.
 */
export function leaveBodyToEngine(request: FastifyRequest): void {
  const error = request.validationError;
  if (error && error.validationContext !== 'body') throw error;
}
