import type { Actor } from '../services/audit.js';
import { NO_OPERATOR, type OperatorIdentity } from '../services/operators.js';

/** The request's operator, as the services take it; a viewer of no account when there is none (fails closed). */
export function operatorOf(request: {
  operator: OperatorIdentity | null;
}): Pick<OperatorIdentity, 'username' | 'role' | 'accounts' | 'tokenRole'> {
  return request.operator ?? NO_OPERATOR;
}

/** Who did something through the admin API, for the audit log: the signed-in operator and the source address. */
export function operatorActor(request: { operator: { username: string } | null; ip: string }): Actor {
  return { name: request.operator?.username ?? 'unknown', address: request.ip };
}
