import type { Actor } from '../services/audit.js';

/** Who did something through the admin API, for the audit log: the signed-in operator and the source address. */
export function operatorActor(request: { operator: { username: string } | null; ip: string }): Actor {
  return { name: request.operator?.username ?? 'unknown', address: request.ip };
}
