import type { JsonValue } from '../core/json.js';
import type { Policy, PolicyResult } from '../core/policy/types.js';

/** An account's ordered policies and custom attributes, versioned for compare-and-set. */
export interface PolicySet {
  policies: Policy[];
  customAttributes: Record<string, JsonValue>;
  /** 0 for an account that never saved any. */
  version: number;
}

export type CompareAndSet = { ok: true; version: number } | { ok: false; version: number };

export interface PolicyStore {
  getPolicySet(accountId: string): Promise<PolicySet>;
  /** Writes the policies only when the stored version is still `expectedVersion`. */
  savePolicies(accountId: string, policies: Policy[], expectedVersion: number): Promise<CompareAndSet>;
  /** Writes the custom attributes only when the stored version is still `expectedVersion`. */
  saveCustomAttributes(
    accountId: string,
    attributes: Record<string, JsonValue>,
    expectedVersion: number,
  ): Promise<CompareAndSet>;
}

export interface PolicyLogEntry {
  id: string;
  accountId: string;
  conversationId: string | null;
  at: number;
  /** v1 nextActionId, or a fresh id for v2 calls. */
  evaluationId: string;
  results: { policyId: string; name: string; result: PolicyResult; reason?: string }[];
  matchedPolicyId: string | null;
}

export interface PolicyLogStore {
  appendPolicyLog(entry: PolicyLogEntry): Promise<void>;
  /** Newest first. */
  searchPolicyLogs(filter: {
    accountId: string;
    conversationId?: string;
    since: number;
    limit: number;
  }): Promise<PolicyLogEntry[]>;
  purgePolicyLogsBefore(cutoff: number): Promise<number>;
}
