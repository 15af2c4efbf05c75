/** A Map that forgets its oldest entries beyond `capacity`: caches keyed by client input must stay bounded. */
export class BoundedMap<K, V> {
  readonly #map = new Map<K, V>();

  constructor(private readonly capacity: number) {
    if (capacity < 1) throw new TypeError('capacity must be at least 1');
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
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

  entries(): IterableIterator<[K, V]> {
    return this.#map.entries();
  }
}
