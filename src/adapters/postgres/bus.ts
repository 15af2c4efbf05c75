import pg from 'pg';
import type { BusEvent, InvalidationBus, InvalidationTopic } from '../../ports/bus.js';
import { RemoteBusState } from '../shared/remote-bus.js';
import { translateUnavailable } from './unavailable.js';

export interface PostgresBusOptions {
  /** NOTIFY channel shared by every node of one database (lower case, letters, digits, `_`). */
  channel?: string;
  /** Shown in `pg_stat_activity`; the listening connection gets `:listen` appended. */
  applicationName?: string;
  /** How often the listening connection is checked; a silent loss is found within about this. */
  heartbeatMs?: number;
}

const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Cache invalidations over PostgreSQL LISTEN/NOTIFY, for deployments without Redis. One dedicated connection
 * listens (a pooled one would lose the LISTEN when recycled); notifications go out through a small pool.
 * While the listening connection is down the bus is unhealthy, and it emits `reset` on loss and on recovery.
 */
export class PostgresBus implements InvalidationBus {
  readonly #state = new RemoteBusState();
  readonly #url: string;
  readonly #channel: string;
  readonly #applicationName: string;
  readonly #heartbeatMs: number;
  readonly #pool: pg.Pool;
  #listener: pg.Client | null = null;
  #retryDelayMs = 50;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(url: string, options: PostgresBusOptions = {}) {
    this.#url = url;
    this.#channel = options.channel ?? 'orchestrator_invalidate';
    if (!CHANNEL_NAME.test(this.#channel))
      throw new TypeError(`invalid NOTIFY channel name: ${this.#channel}`);
    this.#applicationName = options.applicationName ?? 'orchestrator-bus';
    this.#heartbeatMs = options.heartbeatMs ?? 5_000;
    this.#pool = new pg.Pool({
      connectionString: url,
      max: 2,
      application_name: this.#applicationName,
      connectionTimeoutMillis: 5_000,
    });
    this.#pool.on('error', () => {});
    void this.#connect();
  }

  async publish(topic: InvalidationTopic, key: string): Promise<void> {
    await this.#pool
      .query('SELECT pg_notify($1, $2)', [this.#channel, this.#state.encode(topic, key)])
      .catch((error: unknown) => {
        throw translateUnavailable(error);
      });
  }

  subscribe(listener: (event: BusEvent) => void): void {
    this.#state.subscribe(listener);
  }

  healthy(): boolean {
    return this.#state.healthy;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#state.clear();
    const listener = this.#listener;
    this.#listener = null;
    await Promise.allSettled([listener?.end(), this.#pool.end()]);
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({
      connectionString: this.#url,
      application_name: `${this.#applicationName}:listen`,
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    });
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      if (this.#listener === client) this.#listener = null;
      this.#state.markLost();
      client.end().catch(() => {});
      this.#schedule(() => this.#connect(), this.#retryDelayMs);
      this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, 2_000);
    };
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', (message) => {
      if (message.channel === this.#channel && message.payload !== undefined)
        this.#state.receive(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.#channel}`);
    } catch {
      onLost();
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#listener = client;
    this.#retryDelayMs = 50;
    this.#state.markSubscribed();
    this.#schedule(() => this.#checkListener(client), this.#heartbeatMs);
  }

  /** A half-open TCP connection raises no event; an unanswered query is how it shows. */
  async #checkListener(client: pg.Client): Promise<void> {
    if (this.#closed || this.#listener !== client) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#heartbeatMs);
    });
    const answer = await Promise.race([
      client.query('SELECT 1').then(
        () => 'ok' as const,
        () => 'failed' as const,
      ),
      timeout,
    ]);
    clearTimeout(timer);
    if (answer === 'ok') this.#schedule(() => this.#checkListener(client), this.#heartbeatMs);
    else client.emit('error', new Error('bus listener stopped answering'));
  }

  #schedule(work: () => Promise<void>, delayMs: number): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void work(), delayMs);
    this.#timer.unref();
  }
}
