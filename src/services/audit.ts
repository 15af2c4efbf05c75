import type { AuditEvent } from '../ports/audit-store.js';
import type { ServiceContext } from './context.js';

/** Who did something and from where; `address` is null for the CLI. */
export interface Actor {
  name: string;
  address: string | null;
}

/** Records one audit event; a failure to record is logged, never hidden. */
export async function recordAudit(
  ctx: ServiceContext,
  actor: Actor,
  accountId: string | null,
  action: string,
  detail: AuditEvent['detail'] = {},
): Promise<void> {
  await ctx.store.audit.appendAudit({
    id: ctx.random.uuid(),
    at: ctx.clock.now(),
    actor: actor.name,
    accountId,
    action,
    address: actor.address,
    detail,
  });
}
