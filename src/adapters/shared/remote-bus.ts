import { randomUUID } from 'node:crypto';
import type { BusEvent, InvalidationTopic } from '../../ports/bus.js';

/** Every topic, as a record so that the compiler fails here when a topic is added to the port and not to this list. */
const TOPIC_LIST: Record<InvalidationTopic, true> = {
  'api-key': true,
  client: true,
  'token-revoked': true,
  'signing-keys': true,
  policies: true,
  'context-ttl': true,
  operator: true,
  'account-limits': true,
  'client-keys': true,
};
const TOPICS: ReadonlySet<string> = new Set(Object.keys(TOPIC_LIST));

/**
 * What the Redis and PostgreSQL buses share: the listeners, the wire format, and the health state.
 * A publisher delivers to its own listeners at once and ignores the echo of its own messages, so a node
 * never depends on its connection to hear itself.
 */
export class RemoteBusState {
  readonly #origin = randomUUID();
  readonly #listeners: ((event: BusEvent) => void)[] = [];
  #healthy = false;

  get healthy(): boolean {
    return this.#healthy;
  }

  subscribe(listener: (event: BusEvent) => void): void {
    this.#listeners.push(listener);
  }

  clear(): void {
    this.#listeners.length = 0;
  }

  /** The payload to send for one invalidation; delivers it to this node's listeners too. */
  encode(topic: InvalidationTopic, key: string): string {
    this.#emit({ type: 'invalidate', topic, key });
    return JSON.stringify({ o: this.#origin, t: topic, k: key });
  }

  /** Delivers a received payload; malformed or unknown ones are dropped. */
  receive(payload: string): void {
    let message: unknown;
    try {
      message = JSON.parse(payload);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const { o, t, k } = message as Record<string, unknown>;
    if (o === this.#origin || typeof t !== 'string' || !TOPICS.has(t) || typeof k !== 'string') return;
    this.#emit({ type: 'invalidate', topic: t as InvalidationTopic, key: k });
  }

  /** Subscribed again: whatever was published meanwhile is unknown, so every cache must go once more. */
  markSubscribed(): void {
    this.#healthy = true;
    this.#emit({ type: 'reset' });
  }

  /** The connection is gone: caches stop being trusted from now until markSubscribed. */
  markLost(): void {
    if (!this.#healthy) return;
    this.#healthy = false;
    this.#emit({ type: 'reset' });
  }

  #emit(event: BusEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // One faulty listener must not keep the others from hearing an invalidation.
      }
    }
  }
}
