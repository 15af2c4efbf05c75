import type { Statement } from 'better-sqlite3';
import type { BusEvent, InvalidationBus, InvalidationTopic } from '../../ports/bus.js';
import { openSqlite, type SqliteDatabase } from './database.js';

const KEEP_MS = 10 * 60_000;

/**
 * Invalidations between the processes that share one SQLite file (a server and the `orchestrator` CLI):
 * published into a table, read by every process on a short poll. Events are delivered to the publishing
 * process at once as well.
 */
export class SqlitePollingBus implements InvalidationBus {
  readonly #db: SqliteDatabase;
  readonly #listeners: ((event: BusEvent) => void)[] = [];
  readonly #timer: NodeJS.Timeout;
  readonly #origin = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  #lastId: number;
  #healthy = true;
  #polls = 0;
  /** Prepared once: it runs every poll, 20 times a second. */
  readonly #read: Statement;

  constructor(file: string, pollMs = 50) {
    this.#db = openSqlite(file);
    this.#db.exec(`CREATE TABLE IF NOT EXISTS bus_events (
      id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, key TEXT NOT NULL, origin TEXT NOT NULL, at INTEGER NOT NULL
    )`);
    const row = this.#db.prepare('SELECT coalesce(max(id), 0) AS id FROM bus_events').get() as { id: number };
    this.#lastId = row.id;
    this.#read = this.#db.prepare('SELECT id, topic, key, origin FROM bus_events WHERE id > ? ORDER BY id');
    this.#timer = setInterval(() => this.#poll(), pollMs);
    this.#timer.unref();
  }

  async publish(topic: InvalidationTopic, key: string): Promise<void> {
    this.#db
      .prepare('INSERT INTO bus_events (topic, key, origin, at) VALUES (?, ?, ?, ?)')
      .run(topic, key, this.#origin, Date.now());
    this.#emit({ type: 'invalidate', topic, key });
  }

  subscribe(listener: (event: BusEvent) => void): void {
    this.#listeners.push(listener);
  }

  healthy(): boolean {
    return this.#healthy;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#listeners.length = 0;
    this.#db.close();
  }

  #poll(): void {
    try {
      const rows = this.#read.all(this.#lastId) as {
        id: number;
        topic: InvalidationTopic;
        key: string;
        origin: string;
      }[];
      if (!this.#healthy) {
        this.#healthy = true;
        this.#emit({ type: 'reset' });
      }
      for (const row of rows) {
        this.#lastId = row.id;
        if (row.origin !== this.#origin) this.#emit({ type: 'invalidate', topic: row.topic, key: row.key });
      }
      if (++this.#polls % 1200 === 0) {
        this.#db.prepare('DELETE FROM bus_events WHERE at < ?').run(Date.now() - KEEP_MS);
      }
    } catch {
      if (this.#healthy) {
        this.#healthy = false;
        this.#emit({ type: 'reset' });
      }
    }
  }

  #emit(event: BusEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
