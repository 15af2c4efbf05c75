import type { PolicyLogStore } from '../../ports/policy-store.js';

/** What ThreadedPolicyLogStore sends its thread: a PolicyLogStore call, or `close`. */
export interface LogCall {
  id: number;
  method: keyof PolicyLogStore | 'close';
  args: unknown[];
}

/** What the thread answers, for each call, in order. */
export type LogAnswer = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };

/** The calls the thread runs (all of the port's). */
export const LOG_METHODS: readonly string[] = [
  'saveOutline',
  'getOutlines',
  'appendPolicyLogs',
  'searchPolicyLogs',
  'purgePolicyLogsBefore',
  'purgePolicyOutlinesBefore',
] satisfies (keyof PolicyLogStore)[];
