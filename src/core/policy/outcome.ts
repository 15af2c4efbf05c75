/** Why an evaluation step could not produce a value: ERROR at run time, INVALID for a misconfiguration. */
export interface Failure {
  ok: false;
  result: 'ERROR' | 'INVALID';
  reason: string;
}

export type Outcome<T> = { ok: true; value: T } | Failure;

export function success<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

/** A run-time failure: a missing attribute, a division by zero, an unknown time zone. */
export function runtimeError(reason: string): Failure {
  return { ok: false, result: 'ERROR', reason };
}

/** A misconfiguration: an operator used with values of the wrong type. */
export function invalid(reason: string): Failure {
  return { ok: false, result: 'INVALID', reason };
}
