import { storableText } from '../core/storable-text.js';
import type { AuditEvent } from '../ports/audit-store.js';
import type { ServiceContext } from './context.js';

/** Who did something and from where; `address` is null for the CLI. */
export interface Actor {
  name: string;
  address: string | null;
}

/**
 * Records one audit event; a failure to record is logged, never hidden. What it quotes from a request is made
 * storable text (storableText): the event is written after the change it records, and PostgreSQL keeps its
 * details as JSONB, so a NUL or half a surrogate pair would have failed the request with its change made.
 */
export async function recordAudit(
  ctx: ServiceContext,
  actor: Actor,
  accountId: string | null,
  action: string,
  detail: AuditEvent['detail'] = {},
): Promise<void> {
  const event: AuditEvent = {
    id: ctx.random.uuid(),
    at: ctx.clock.now(),
    actor: storableText(actor.name),
    accountId,
    action,
    address: actor.address,
    detail: Object.fromEntries(
      Object.entries(detail).map(([key, value]) => [
        storableText(key),
        typeof value === 'string' ? storableText(value) : value,
      ]),
    ),
  };
  await ctx.store.audit.appendAudit(event);
  // Also a log line, for log pipelines (a SIEM, say): an event holds names and ids, never a secret.
  ctx.log.info({ audit: { ...event, at: new Date(event.at).toISOString() } }, 'audit event');
}
