import type { Worker } from 'node:worker_threads';
import { startThread, terminateThread } from '../core/threads.js';
import { answerEach, TurnBatch, type Waiting } from '../core/turn-batch.js';
import { type SigningKey, signJws } from './jws-signing.js';

/** A key the thread signs with, named by its kid. */
export type ThreadKey = SigningKey & { kid: string };

/** One turn's signatures, sent to the thread: the keys it does not have yet, then `[kid, input]` pairs. */
export interface SignBatch {
  id: number;
  keys: ThreadKey[];
  items: [kid: string, input: string][];
}

/** The thread's answer to a batch: each item's signature or its own error, in order. */
export interface SignedBatch {
  id: number;
  results: ({ ok: true; signature: string } | { ok: false; message: string })[];
}

type Item = { key: ThreadKey; input: string };

/** Signs on the event loop: where a batch goes when there is no thread to take it. */
const signHere = (batch: Waiting<Item, string>[]) =>
  answerEach(batch, ({ key, input }) => signJws(key, input));

/**
 * Signs access tokens on a thread of its own (`signing-worker.ts`), so a node with two cores or more signs on
 * another core than its requests run on. The signatures asked for in one turn of the event loop go over as
 * one message and come back as one: the event loop's share is a message each way per turn, where libuv's
 * thread pool cost it a hand-over per signature, about as much as the signature itself. On the thread, the
 * signatures of a batch run one after another, with the signing code and tables warm in that core's caches.
 *
 * A private key crosses to the thread once (a KeyObject, cloned into the thread's memory), named by its kid.
 * A thread that stops (a crash, an exception) does not fail a token: the batches it held, and those of the
 * next second (`restartDelayMs`), are signed on the event loop; after that a new thread starts. A thread that
 * stops before it has signed anything (one that cannot start) doubles the pause, up to a minute.
 */
export class SigningThread {
  #worker: Worker | null = null;
  /** kids the current thread has been sent. */
  readonly #known = new Set<string>();
  readonly #waiting = new Map<number, Waiting<Item, string>[]>();
  #nextId = 0;
  #restartAt = 0;
  #closed = false;
  readonly #batch = new TurnBatch<Item, string>((batch) => this.#send(batch));

  readonly #restartDelayMs: number;
  /** Threads in a row that stopped before answering a batch. */
  #failedStarts = 0;
  readonly #entry: URL;
  readonly #onStop: (why: string, restartInMs: number) => void;

  /**
   * `restartDelayMs`: how long after a stop the event loop signs before a new thread starts (1 s by default).
   * `entry`: the thread's module (signing-worker.js next to this one; tests give others).
   * `onStop`: told why, each time a thread stops other than by `close` (a log line for the operator).
   */
  constructor(
    options: {
      restartDelayMs?: number;
      onStop?: (why: string, restartInMs: number) => void;
      entry?: URL;
    } = {},
  ) {
    this.#restartDelayMs = options.restartDelayMs ?? 1_000;
    this.#entry = options.entry ?? new URL('./signing-worker.js', import.meta.url);
    this.#onStop = options.onStop ?? (() => {});
  }

  sign(key: ThreadKey, input: string): Promise<string> {
    return this.#batch.add({ key, input });
  }

  /** Ends the thread; what it held, and anything asked from now on, is signed on the event loop. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#end();
  }

  /** Whether a thread is up (it starts with the first batch, and again after a stop and its pause). */
  get running(): boolean {
    return this.#worker !== null;
  }

  /** Ends the thread as a crash would (for tests). */
  async crashForTest(): Promise<void> {
    await this.#end();
  }

  async #end(): Promise<void> {
    if (this.#worker) await terminateThread(this.#worker);
  }

  #send(batch: Waiting<Item, string>[]): void {
    if (this.#closed || (!this.#worker && Date.now() < this.#restartAt)) {
      signHere(batch);
      return;
    }
    const worker = this.#worker ?? this.#start();
    const keys: ThreadKey[] = [];
    for (const { item } of batch) {
      if (this.#known.has(item.key.kid)) continue;
      this.#known.add(item.key.kid);
      keys.push({ kid: item.key.kid, alg: item.key.alg, privateKey: item.key.privateKey });
    }
    const id = this.#nextId++;
    const message: SignBatch = { id, keys, items: batch.map(({ item }) => [item.key.kid, item.input]) };
    try {
      worker.postMessage(message);
    } catch {
      // A key that cannot be sent: this batch is signed here, and the thread is told the keys again next time.
      for (const key of keys) this.#known.delete(key.kid);
      signHere(batch);
      return;
    }
    if (this.#waiting.size === 0) worker.ref();
    this.#waiting.set(id, batch);
  }

  #start(): Worker {
    const worker = startThread(this.#entry, null);
    let answered = false;
    worker.unref();
    worker.on('message', (answer: SignedBatch) => {
      answered = true;
      const batch = this.#waiting.get(answer.id);
      if (!batch) return;
      this.#waiting.delete(answer.id);
      if (this.#waiting.size === 0) worker.unref();
      batch.forEach((waiting, i) => {
        const result = answer.results[i];
        if (result?.ok) waiting.resolve(result.signature);
        else waiting.reject(new Error(result ? result.message : 'the signing thread gave no signature'));
      });
    });
    worker.on('error', (error) => this.#stopped(worker, error.message, answered));
    worker.on('exit', (code) => this.#stopped(worker, `exit code ${code}`, answered));
    this.#worker = worker;
    return worker;
  }

  #stopped(worker: Worker, why: string, answered: boolean): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    this.#known.clear();
    this.#failedStarts = answered ? 0 : this.#failedStarts + 1;
    const pause = Math.min(this.#restartDelayMs * 2 ** Math.max(0, this.#failedStarts - 1), 60_000);
    this.#restartAt = Date.now() + pause;
    if (!this.#closed) this.#onStop(why, pause);
    const held = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const batch of held) signHere(batch);
  }
}
