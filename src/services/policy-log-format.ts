import type { PolicyLogEntry as EvaluatedPolicy, PolicyResult, ResultTrail } from '../core/policy/index.js';
import type { PolicyLogEntry, PolicyResultCode } from '../ports/policy-store.js';

const CODES: Record<PolicyResult, PolicyResultCode> = {
  TRUE: 'T',
  FALSE: 'F',
  ERROR: 'E',
  INVALID: 'I',
  DISABLED: 'D',
};
const RESULTS: Partial<Record<string, PolicyResult>> = {
  T: 'TRUE',
  F: 'FALSE',
  E: 'ERROR',
  I: 'INVALID',
  D: 'DISABLED',
};
const RUN = /([TFEID-])(\d*)/y;

/**
 * The log form of one evaluation's results, from outline position `start` on: run-length encoded codes
 * (`-3F996T` = three not evaluated, 996 FALSE, one TRUE) and the reasons of ERROR and INVALID results.
 * A thousand policies that did not hold cost a few characters, not a thousand.
 */
export function encodeResults(
  evaluated: readonly EvaluatedPolicy[] | Pick<ResultTrail, 'forEachStretch'>,
  start: number,
): Pick<PolicyLogEntry, 'results' | 'reasons'> {
  let results = '';
  let current: PolicyResultCode = '-';
  let count = start;
  const reasons: PolicyLogEntry['reasons'] = [];
  let index = start;
  const stretch = (result: PolicyResult, length: number, reason?: string) => {
    const code = CODES[result];
    if (code === current) count += length;
    else {
      if (count > 0) results += count === 1 ? current : `${current}${count}`;
      current = code;
      count = length;
    }
    if (reason !== undefined) reasons.push({ index, reason });
    index += length;
  };
  if (Array.isArray(evaluated)) for (const { result, reason } of evaluated) stretch(result, 1, reason);
  else (evaluated as Pick<ResultTrail, 'forEachStretch'>).forEachStretch(stretch);
  if (count > 0) results += count === 1 ? current : `${current}${count}`;
  return { results, reasons };
}

/** Each outline position's result (null where the evaluation did not reach), from the encoded form. */
export function decodeResults(encoded: string, limit: number): (PolicyResult | null)[] {
  const decoded: (PolicyResult | null)[] = [];
  RUN.lastIndex = 0;
  for (let run = RUN.exec(encoded); run && decoded.length < limit; run = RUN.exec(encoded)) {
    const result = RESULTS[run[1] as string] ?? null;
    const count = Math.min(run[2] ? Number(run[2]) : 1, limit - decoded.length);
    for (let i = 0; i < count; i++) decoded.push(result);
    if (RUN.lastIndex >= encoded.length) break;
  }
  return decoded;
}
