import type { JsonValue } from '../../core/json.js';
import type { Policy } from '../../core/policy/types.js';
import type {
  PolicyLogEntry,
  PolicySet,
  PolicyVersion,
  PolicyVersionSummary,
} from '../../ports/policy-store.js';
import { type Row, strOrNull } from './auth-rows.js';

/** Row mappers shared by the SQLite and PostgreSQL policy stores, whose tables have the same columns. */
export const policySetFromRow = (row: Row | undefined): PolicySet =>
  row
    ? {
        policies: JSON.parse(String(row.policies)) as Policy[],
        customAttributes: JSON.parse(String(row.custom_attributes)) as Record<string, JsonValue>,
        version: Number(row.version),
      }
    : { policies: [], customAttributes: {}, version: 0 };

/** A row of `policy_versions` (the policies' history), with or without its `policies` column. */
export const policyVersionSummaryFromRow = (row: Row): PolicyVersionSummary => ({
  version: Number(row.version),
  at: Number(row.at),
  actor: String(row.actor),
  action: String(row.action),
  count: Number(row.count),
});
export const policyVersionFromRow = (row: Row): PolicyVersion => ({
  ...policyVersionSummaryFromRow(row),
  policies: JSON.parse(String(row.policies)) as Policy[],
});
/** The columns of a history row without its policies, for the listing. */
export const POLICY_VERSION_SUMMARY_COLUMNS = 'version, at, actor, action, count';

export const policyLogFromRow = (row: Row): PolicyLogEntry => ({
  id: String(row.id),
  accountId: String(row.account_id),
  conversationId: strOrNull(row.conversation_id),
  at: Number(row.at),
  evaluationId: String(row.evaluation_id),
  outlineId: String(row.outline_id),
  results: String(row.results),
  reasons: JSON.parse(String(row.reasons)) as PolicyLogEntry['reasons'],
  matchedPolicyId: strOrNull(row.matched_policy_id),
});

/** The columns of a policy log entry, in every table that holds entries (SQLite and PostgreSQL), in order. */
export const POLICY_LOG_COLUMNS =
  'id, account_id, conversation_id, at, evaluation_id, outline_id, results, reasons, matched_policy_id';

/** An entry's values in the order of POLICY_LOG_COLUMNS. */
export const policyLogValues = (e: PolicyLogEntry): (string | number | null)[] => [
  e.id,
  e.accountId,
  e.conversationId,
  e.at,
  e.evaluationId,
  e.outlineId,
  e.results,
  JSON.stringify(e.reasons),
  e.matchedPolicyId,
];

/** The same, one array per column, for PostgreSQL's `unnest`. */
export const policyLogColumns = (entries: PolicyLogEntry[]): (string | number | null)[][] => {
  const rows = entries.map(policyLogValues);
  const width = rows[0]?.length ?? 0;
  return Array.from({ length: width }, (_, column) => rows.map((row) => row[column] ?? null));
};

/** The policy log is kept in one table per hour (SQLite) or one partition per day (PostgreSQL). */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** The period of `periodMs` (an hour, a day), counted from the epoch (UTC), that an entry made at `at` belongs to. */
export function periodOf(at: number, periodMs: number): number {
  const period = Math.floor(at / periodMs);
  if (!Number.isSafeInteger(period) || period < 0)
    throw new Error(`a policy log entry has no valid time: ${at}`);
  return period;
}

/**
 * The statement (SQLite and PostgreSQL alike) that forgets an account's oldest lists beyond POLICY_HISTORY_LENGTH
 * or POLICY_HISTORY_BYTES, keeping the newest; its parameters: the account id twice, the length, the bytes.
 */
export const FORGET_OLD_POLICY_VERSIONS = (p: (n: number) => string): string =>
  `DELETE FROM policy_versions WHERE account_id = ${p(1)} AND version IN (
     SELECT version FROM (
       SELECT version,
              ROW_NUMBER() OVER (ORDER BY version DESC) AS n,
              SUM(bytes) OVER (ORDER BY version DESC ROWS UNBOUNDED PRECEDING) AS total
       FROM policy_versions WHERE account_id = ${p(2)}
     ) ranked
     WHERE n > 1 AND (n > ${p(3)} OR total > ${p(4)}))`;
