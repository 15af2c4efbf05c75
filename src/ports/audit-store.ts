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
  /** Small JSON-safe details; never a secret. */
  detail: Record<string, string | number | boolean | null>;
}

export interface AuditStore {
  appendAudit(event: AuditEvent): Promise<void>;
  /** Newest first; `before` pages backwards by time. */
  listAudit(filter: { accountId?: string; before?: number; limit: number }): Promise<AuditEvent[]>;
  /** Deletes up to `limit` events older than `cutoff` (ms), oldest first; resolves with how many it deleted. */
  purgeAuditBefore(cutoff: number, limit: number): Promise<number>;
}
