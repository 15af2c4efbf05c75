import { Redis } from 'ioredis';
import type { BusEvent, InvalidationBus, InvalidationTopic } from '../../ports/bus.js';
import { RemoteBusState } from '../shared/remote-bus.js';
import { rethrowRedisFailure } from './unavailable.js';

export interface RedisBusOptions {
  /** Pub/sub channel shared by every node of one deployment. */
  channel?: string;
  /** Name shown by `CLIENT LIST`; the subscriber connection gets `:sub` appended. */
  connectionName?: string;
  /** How often the subscriber connection is checked with PING; a silent loss is found within about this. */
  heartbeatMs?: number;
  /** How long a publish waits for Redis's answer before it fails as unavailable (default 2,000 ms). */
  publishTimeoutMs?: number;
}

/**
 * Cache invalidations over Redis pub/sub. Subscribing takes a connection of its own (a subscribed Redis
 * connection can do nothing else). Pub/sub delivers at most once and only while connected, so when the
 * subscriber connection drops the bus reports unhealthy and emits `reset`, and again once resubscribed.
 */
export class RedisBus implements InvalidationBus {
  readonly #state = new RemoteBusState();
  readonly #channel: string;
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #heartbeat: NodeJS.Timeout;
  #closed = false;

  constructor(url: string, options: RedisBusOptions = {}) {
    this.#channel = options.channel ?? 'orchestrator:invalidate';
    const name = options.connectionName ?? 'orchestrator-bus';
    const retryStrategy = (attempt: number) => Math.min(50 * 2 ** attempt, 2_000);
    this.#publisher = new Redis(url, {
      connectionName: name,
      maxRetriesPerRequest: 2,
      retryStrategy,
      // A Redis that takes the connection and never answers would hold the change's answer forever.
      commandTimeout: options.publishTimeoutMs ?? 2_000,
    });
    this.#subscriber = new Redis(url, {
      connectionName: `${name}:sub`,
      // Resubscribing ourselves tells us exactly when the subscription is live again.
      autoResubscribe: false,
      maxRetriesPerRequest: 1,
      retryStrategy,
    });
    this.#publisher.on('error', () => {});
    this.#subscriber.on('error', () => {});
    this.#subscriber.on('ready', () => void this.#resubscribe());
    this.#subscriber.on('close', () => this.#state.markLost());
    this.#subscriber.on('message', (channel: string, payload: string) => {
      if (channel === this.#channel) this.#state.receive(payload);
    });
    const heartbeatMs = options.heartbeatMs ?? 5_000;
    this.#heartbeat = setInterval(() => void this.#checkSubscriber(heartbeatMs), heartbeatMs);
    this.#heartbeat.unref();
  }

  async publish(topic: InvalidationTopic, key: string): Promise<void> {
    // The change is made; without Redis the caller is told to retry (503).
    await this.#publisher.publish(this.#channel, this.#state.encode(topic, key)).catch(rethrowRedisFailure);
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
    clearInterval(this.#heartbeat);
    this.#state.clear();
    // QUIT politely, but not forever: a Redis that does not answer would hold the node's shutdown.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([this.#publisher.quit(), this.#subscriber.quit()]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, 1_000);
      }),
    ]);
    clearTimeout(timer);
    this.#publisher.disconnect();
    this.#subscriber.disconnect();
  }

  async #resubscribe(): Promise<void> {
    try {
      await this.#subscriber.subscribe(this.#channel);
      if (!this.#closed) this.#state.markSubscribed();
    } catch {
      if (!this.#closed) this.#subscriber.disconnect(true);
    }
  }

  /** A half-open TCP connection raises no event; an unanswered PING is how it shows. */
  async #checkSubscriber(timeoutMs: number): Promise<void> {
    if (this.#closed || !this.#state.healthy) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const answer = await Promise.race([this.#subscriber.ping().catch(() => 'failed'), timeout]);
    clearTimeout(timer);
    if (answer === 'timeout' || answer === 'failed') {
      this.#state.markLost();
      if (!this.#closed) this.#subscriber.disconnect(true);
    }
  }
}
