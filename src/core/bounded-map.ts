/**
 * A Map that forgets its oldest entries beyond `capacity` (caches keyed by client input must stay bounded)
 * and, with `maxAgeMs`, entries older than that: a cache whose invalidation message was lost (a node that
 * crashed between its write and its publish) then heals by itself.
 */
export class BoundedMap<K, V> {
  readonly #map = new Map<K, { value: V; at: number }>();

  constructor(
    private readonly capacity: number,
    private readonly maxAgeMs = Number.POSITIVE_INFINITY,
  ) {
    if (capacity < 1) throw new TypeError('capacity must be at least 1');
  }

  /** The value stored for `key`, unless it is older than the maximum age at time `now`. */
  get(key: K, now = 0): V | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    if (now - entry.at > this.maxAgeMs) {
      this.#map.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: K, value: V, now = 0): void {
    this.#map.delete(key);
    this.#map.set(key, { value, at: now });
    if (this.#map.size > this.capacity) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
  }

  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }

  get size(): number {
    return this.#map.size;
  }

  *entries(): IterableIterator<[K, V]> {
    for (const [key, entry] of this.#map) yield [key, entry.value];
  }
}
