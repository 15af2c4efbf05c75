import type { JsonValue } from '../core/json.js';
import type { Policy } from '../core/policy/types.js';

/** An account's ordered policies and custom attributes, versioned for compare-and-set. */
export interface PolicySet {
  policies: Policy[];
  customAttributes: Record<string, JsonValue>;
  /** 0 for an account that never saved any. */
  version: number;
}

export type CompareAndSet = { ok: true; version: number } | { ok: false; version: number };

/** Who changed an account's policies, how and when: kept with each list saved (the policies' history). */
export interface PolicyChange {
  at: number;
  /** As the audit log names them: an operator's username, or `client:<clientId>` for the v2 API. */
  actor: string;
  /** What was done, as the audit event says it (`policy.created`, `policies.replaced`, `policies.restored`, …). */
  action: string;
}

/** One list of the history, without its policies: the set version it was saved as, and how many policies. */
export interface PolicyVersionSummary extends PolicyChange {
  version: number;
  count: number;
}

/** One list of the history, whole. */
export interface PolicyVersion extends PolicyVersionSummary {
  policies: Policy[];
}

/** How many lists of each account's history are kept: the older ones go as new ones are saved. */
export const POLICY_HISTORY_LENGTH = 50;
/**
 * How much each account's history holds at most, as JSON (UTF-8): a list of 4 MB (the most a PUT takes) kept 50
 * times would be 200 MB for one account. The older lists go first; the newest is always kept, whatever its size.
 */
export const POLICY_HISTORY_BYTES = 16 * 1024 * 1024;

export interface PolicyStore {
  getPolicySet(accountId: string): Promise<PolicySet>;
  /**
   * Writes the policies only when the stored version is still `expectedVersion`; with `change`, keeps the list in
   * the account's history in the same step (forgetting the oldest beyond POLICY_HISTORY_LENGTH or
   * POLICY_HISTORY_BYTES).
   */
  savePolicies(
    accountId: string,
    policies: Policy[],
    expectedVersion: number,
    change?: PolicyChange,
  ): Promise<CompareAndSet>;
  /** The account's history, newest first, without the policies. */
  listPolicyVersions(accountId: string): Promise<PolicyVersionSummary[]>;
  /** One list of the account's history, or null when it is not (or no longer) kept. */
  getPolicyVersion(accountId: string, version: number): Promise<PolicyVersion | null>;
  /** Writes the custom attributes only when the stored version is still `expectedVersion`. */
  saveCustomAttributes(
    accountId: string,
    attributes: Record<string, JsonValue>,
    expectedVersion: number,
  ): Promise<CompareAndSet>;
  /** Deletes the account's policies, custom attributes and history (its version starts again from 0). */
  deletePolicySet(accountId: string): Promise<void>;
}

/**
 * The ordered policies one or more evaluations went through, stored once and shared by every log entry
 * that used them: an account with 1,000 policies would otherwise write every id and name on every call.
 */
export interface PolicyOutline {
  /** Derived from the content by the writer (the same list gives the same id); unique within the account. */
  id: string;
  accountId: string;
  policies: { policyId: string; name: string }[];
}

/** The letter of a result in a log entry: TRUE, FALSE, ERROR, INVALID, DISABLED, or `-` for not evaluated. */
export type PolicyResultCode = 'T' | 'F' | 'E' | 'I' | 'D' | '-';

/** One evaluation, as the policy log keeps it (SPEC §4: every policy's result, kept 7 days). */
export interface PolicyLogEntry {
  id: string;
  accountId: string;
  conversationId: string | null;
  at: number;
  /** v1 nextActionId, or a fresh id for v2 calls. */
  evaluationId: string;
  outlineId: string;
  /**
   * Result codes (PolicyResultCode) by outline position, run-length encoded: a letter, then how many times
   * when more than once (`D2F997T`). Ends after the last policy evaluated (the winner, when one matched),
   * so it may cover fewer positions than the outline. Opaque to stores.
   */
  results: string;
  /** Why ERROR and INVALID results failed, by outline position. */
  reasons: { index: number; reason: string }[];
  matchedPolicyId: string | null;
}

export interface PolicyLogSearch {
  accountId: string;
  conversationId?: string;
  since: number;
  limit: number;
}

export interface PolicyLogStore {
  /** Stores the outline, or marks the stored one as still in use at `now` so purges keep it. */
  saveOutline(outline: PolicyOutline, now: number): Promise<void>;
  /** The account's outlines among `ids`; unknown ids are left out. */
  getOutlines(accountId: string, ids: string[]): Promise<PolicyOutline[]>;
  /** Appends all the entries, or none. */
  appendPolicyLogs(entries: PolicyLogEntry[]): Promise<void>;
  /** Newest first (`at`, then `id`, both descending). */
  searchPolicyLogs(filter: PolicyLogSearch): Promise<PolicyLogEntry[]>;
  /**
   * Deletes entries older than `cutoff`, oldest first, and returns how many; the caller calls again while the
   * answer is `limit` or more, so a large backlog goes in short steps. A store that deletes row by row deletes
   * at most `limit`. A store that keeps entries by the hour (SQLite) or the day (PostgreSQL) deletes whole
   * periods that ended by the cutoff until it reaches `limit`, so a call may delete more, and an entry may
   * outlive the cutoff by up to a period (readers ask for entries since the cutoff anyway).
   */
  purgePolicyLogsBefore(cutoff: number, limit: number): Promise<number>;
  /** Deletes the outlines not marked in use since `cutoff` that no entry refers to; returns how many. */
  purgePolicyOutlinesBefore(cutoff: number): Promise<number>;
}
