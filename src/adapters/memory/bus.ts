import type { BusEvent, InvalidationBus, InvalidationTopic } from '../../ports/bus.js';

/** Invalidations inside one process: enough for a single node. */
export class InProcessBus implements InvalidationBus {
  readonly #listeners: ((event: BusEvent) => void)[] = [];

  async publish(topic: InvalidationTopic, key: string): Promise<void> {
    this.emit({ type: 'invalidate', topic, key });
  }

  subscribe(listener: (event: BusEvent) => void): void {
    this.#listeners.push(listener);
  }

  healthy(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.#listeners.length = 0;
  }

  /** Delivers an event to every listener; also used by tests to simulate a lost connection. */
  emit(event: BusEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
