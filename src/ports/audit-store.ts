export interface AuditEvent {
  id: string;
  at: number;
  /** Operator username, `cli`, or `client:<clientId>`. */
  actor: string;
  accountId: string | null;
  /** e.g. `api-key.viewed`, `api-key.regenerated`, `credentials.regenerated`, `policy.updated`. */
  action: string;
  /** Source address of the request, when there was one. */
  address: string | null;
  /** Small JSON-safe details; never a secret. An event about an operator names them in `username`. */
  detail: Record<string, string | number | boolean | null>;
}

/** Which events to list: each field given narrows the list. */
export interface AuditFilter {
  /** The events of this account. */
  accountId?: string;
  /** The events by this operator (the actor) or about them (`detail.username`). */
  operator?: string;
  /** Only the events of these accounts or of none (what an operator limited to some accounts may read). */
  accounts?: readonly string[];
  /** Older than this (ms). */
  before?: number;
  /**
   * With `before`: the id of the event a page ended with, at that very time; the events of the same millisecond
   * listed after it come too, so that no event is skipped between pages.
   */
  beforeId?: string;
  limit: number;
}

export interface AuditStore {
  appendAudit(event: AuditEvent): Promise<void>;
  /** Newest first; `before` pages backwards by time. */
  listAudit(filter: AuditFilter): Promise<AuditEvent[]>;
  /** Deletes up to `limit` events older than `cutoff` (ms), oldest first; resolves with how many it deleted. */
  purgeAuditBefore(cutoff: number, limit: number): Promise<number>;
}
