/** One request waiting in a TurnBatch: what was asked, and how to answer it. */
export interface Waiting<T, R> {
  item: T;
  resolve: (result: R | PromiseLike<R>) => void;
  reject: (error: unknown) => void;
}

/**
 * Collects what is asked for during one turn of the event loop and hands it over, all at once, at
 * `setImmediate`: after the turn's input has been read, so every request that arrived with it is in the
 * batch. `run` must answer every waiting request, each with its result or its own error.
 */
export class TurnBatch<T, R> {
  #waiting: Waiting<T, R>[] = [];

  constructor(private readonly run: (batch: Waiting<T, R>[]) => void) {}

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      if (this.#waiting.length === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const batch = this.#waiting;
    this.#waiting = [];
    try {
      this.run(batch);
    } catch (error) {
      // A fault of `run` itself: whatever it left unanswered fails rather than waits for ever.
      for (const waiting of batch) waiting.reject(error);
    }
  }
}

/**
 * Answers each waiting request with `work(item)`, or with the error `work` threw for it. Work that answers
 * later (a promise) is started for every item at once, and each request follows its own promise.
 */
export function answerEach<T, R>(batch: Waiting<T, R>[], work: (item: T) => R | PromiseLike<R>): void {
  for (const { item, resolve, reject } of batch) {
    try {
      resolve(work(item));
    } catch (error) {
      reject(error);
    }
  }
}
