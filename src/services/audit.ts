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
    actor: storable(actor.name),
    accountId,
    action,
    address: actor.address,
    detail: Object.fromEntries(
      Object.entries(detail).map(([key, value]) => [
        storable(key),
        typeof value === 'string' ? storable(value) : value,
      ]),
    ),
  });
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text every store keeps as it is. An audit event records what a request named (a token's name, say), and
 * it is recorded after the change it describes: PostgreSQL keeps the details as JSONB, which refuses a NUL
 * character and a lone surrogate (half of a UTF-16 pair), so one of them would have failed the request
 * after its change was made. In a record for people, U+FFFD in their place loses nothing.
 */
function storable(text: string): string {
  return text.replace(LONE_SURROGATE, '\ufffd').replaceAll('\u0000', '\ufffd');
}
