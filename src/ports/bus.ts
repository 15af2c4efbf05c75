/** What a cache-invalidation message is about. */
export type InvalidationTopic =
  | 'api-key'
  | 'client'
  | 'token-revoked'
  | 'signing-keys'
  | 'policies'
  | 'context-ttl'
  | 'operator'
  | 'account-limits'
  | 'client-keys';

export type BusEvent =
  | { type: 'invalidate'; topic: InvalidationTopic; key: string }
  /** The bus lost (or regained) its connection: messages may have been missed, drop every cache. */
  | { type: 'reset' };

/**
 * Carries cache invalidations between the nodes that share one store.
 * A node that cannot be sure it saw every message must receive `reset` and stop trusting its caches.
 */
export interface InvalidationBus {
  publish(topic: InvalidationTopic, key: string): Promise<void>;
  subscribe(listener: (event: BusEvent) => void): void;
  /** True while the node can rely on receiving every invalidation. */
  healthy(): boolean;
  close(): Promise<void>;
}
