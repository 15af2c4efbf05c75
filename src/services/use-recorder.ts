import { BoundedMap } from '../core/bounded-map.js';
import type { ServiceContext } from './context.js';

/**
 * When each of many things (API keys, clients, client keys, operator tokens) was last used, to the minute: one write
 * per thing per minute per node, off the request's path. A failed write is logged and the request goes on.
 */
export class UseRecorder {
  readonly #touched: BoundedMap<string, number>;

  constructor(
    private readonly ctx: ServiceContext,
    /** What is used, for the log: `API key`. */
    private readonly what: string,
    /** Stores the use (it only moves a last use forward). */
    private readonly write: (key: string, minute: number) => Promise<void>,
    capacity = 50_000,
  ) {
    this.#touched = new BoundedMap(capacity);
  }

  record(key: string, now: number): void {
    const minute = now - (now % 60_000);
    if (this.#touched.get(key) === minute) return;
    this.#touched.set(key, minute);
    this.write(key, minute).catch((error: unknown) => {
      this.ctx.log.warn({ err: error }, `could not record ${this.what} use`);
    });
  }

  /** Forgets a thing that is gone, so that one made again under its key is recorded from its first use. */
  forget(key: string): void {
    this.#touched.delete(key);
  }
}
