/**
 * Lets one occurrence of an event through per interval and counts the others, so that a failure every request
 * meets (a database that is down, at thousands of requests a second) writes one log line a second rather than
 * thousands, each line saying how many it stands for.
 */
export class LogThrottle {
  #last = Number.NEGATIVE_INFINITY;
  #heldBack = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  /**
   * Counts `count` occurrences (a failed batch may stand for many entries). null: say nothing this time.
   * Otherwise say it, with how many occurrences were held back since the last line (these not included).
   */
  admit(count = 1): number | null {
    const now = this.now();
    if (now - this.#last < this.intervalMs) {
      this.#heldBack += count;
      return null;
    }
    this.#last = now;
    return this.takeHeldBack();
  }

  /** How many occurrences were held back since the last line, counted from zero again (for a closing line). */
  takeHeldBack(): number {
    const heldBack = this.#heldBack;
    this.#heldBack = 0;
    return heldBack;
  }
}
