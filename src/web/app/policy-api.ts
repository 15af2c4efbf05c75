// The wire types of the policy admin API (SPEC §4) are the server's own: one definition, types only.
import type {
  Action,
  ActionType,
  JsonValue,
  Operator,
  Policy,
  PolicyResult,
} from '../../core/policy/types.js';
import { accountPath, api, type Tagged } from './api.js';

export type {
  Action,
  ActionType,
  Condition,
  JsonValue,
  Operator,
  Policy,
  PolicyResult,
} from '../../core/policy/types.js';

export const OPERATORS: { value: Operator; label: string }[] = [
  { value: 'EQUAL', label: 'equals' },
  { value: 'NOT_EQUAL', label: 'does not equal' },
  { value: 'LESS_THAN', label: 'is less than' },
  { value: 'LESS_THAN_OR_EQUAL', label: 'is at most' },
  { value: 'GREATER_THAN', label: 'is greater than' },
  { value: 'GREATER_THAN_OR_EQUAL', label: 'is at least' },
  { value: 'CONTAINS', label: 'contains' },
  { value: 'IS_IN', label: 'is one of' },
];

export const ACTION_TYPES: { value: ActionType; label: string }[] = [
  { value: 'TRANSFER_TO_SKILL', label: 'Transfer to a skill' },
  { value: 'TRANSFER_TO_AGENT', label: 'Transfer to an agent' },
  { value: 'SEND_MESSAGE', label: 'Send a message' },
];

export type PolicyInput = Omit<Policy, 'id'> & { id?: string };

export interface SampleRequest {
  conversationId?: string;
  consumerId?: string;
  sessionId?: string;
  visitorId?: string;
  policyId?: string;
}

export interface DryRunResult {
  rule: { id: string; name: string; actions: Action[] } | null;
  noMatchReason?: 'NO_MATCHED_RULES' | 'NO_POLICIES_ENABLED';
  results: { policyId: string; name: string; result: PolicyResult; reason?: string; reached: boolean }[];
  attributes: { name: string; found: boolean; value?: JsonValue }[];
}

export interface PolicyLogEntry {
  id: string;
  at: string;
  conversationId: string | null;
  evaluationId: string;
  matchedPolicyId: string | null;
  results: { policyId: string | null; name: string | null; result: PolicyResult; reason?: string }[];
}

/** One list of the policies' history (`GET …/policy-history`): its version, when, who and how it was saved, its size. */
export interface PolicyVersionSummary {
  version: number;
  at: string;
  /** An operator's username, or `client:<clientId>` for the v2 API. */
  actor: string;
  /** `policy.created`, `policy.updated`, `policy.deleted`, `policies.replaced` or `policies.restored`. */
  action: string;
  count: number;
}

/** One list of the history, whole. */
export interface PolicyVersion extends PolicyVersionSummary {
  policies: Policy[];
}

const policies = (accountId: string, ...rest: string[]) => accountPath(accountId, 'policies', ...rest);
const history = (accountId: string, ...rest: string[]) => accountPath(accountId, 'policy-history', ...rest);

export const policyApi = {
  list: (accountId: string): Promise<Tagged<Policy[]>> => api.tagged('GET', policies(accountId)),
  /** Replaces the ordered list (how policies are reordered); `etag` is the list's. */
  replaceAll: (accountId: string, list: PolicyInput[], etag: string | null): Promise<Tagged<Policy[]>> =>
    api.tagged('PUT', policies(accountId), list, etag),
  get: (accountId: string, id: string): Promise<Tagged<Policy>> => api.tagged('GET', policies(accountId, id)),
  create: (accountId: string, policy: PolicyInput): Promise<Tagged<Policy>> =>
    api.tagged('POST', policies(accountId), policy),
  replace: (
    accountId: string,
    id: string,
    policy: PolicyInput,
    etag: string | null,
  ): Promise<Tagged<Policy>> => api.tagged('PUT', policies(accountId, id), policy, etag),
  remove: (accountId: string, id: string, etag: string | null): Promise<Tagged<void>> =>
    api.tagged('DELETE', policies(accountId, id), undefined, etag),
  customAttributes: (accountId: string): Promise<Tagged<Record<string, JsonValue>>> =>
    api.tagged('GET', accountPath(accountId, 'custom-attributes')),
  replaceCustomAttributes: (
    accountId: string,
    attributes: Record<string, JsonValue>,
    etag: string | null,
  ): Promise<Tagged<Record<string, JsonValue>>> =>
    api.tagged('PUT', accountPath(accountId, 'custom-attributes'), attributes, etag),
  /** Evaluates `request` against the saved policies, or against `draft` when given; nothing is logged. */
  dryRun: (accountId: string, request: SampleRequest, draft?: PolicyInput[]): Promise<DryRunResult> =>
    api.post(policies(accountId, 'dry-run'), { request, ...(draft ? { policies: draft } : {}) }),
  /** The lists saved last, newest first. */
  history: (accountId: string): Promise<PolicyVersionSummary[]> => api.get(history(accountId)),
  historyVersion: (accountId: string, version: number): Promise<PolicyVersion> =>
    api.get(history(accountId, String(version))),
  /** Makes a list of the history the current one again; `etag` is the current list's. */
  restore: (accountId: string, version: number, etag: string | null): Promise<Tagged<Policy[]>> =>
    api.tagged('POST', history(accountId, String(version), 'restore'), undefined, etag),
  logs: (accountId: string, conversationId: string): Promise<PolicyLogEntry[]> => {
    const query = new URLSearchParams({ limit: '50' });
    if (conversationId) query.set('conversationId', conversationId);
    return api.get(`${accountPath(accountId, 'policy-logs')}?${query}`);
  },
};
