// Reads kept for a short time (issue 11 point 11): a value read by key is
// served for `freshMs`; after that, up to `staleMs`, it is still served while
// one read in the background replaces it; older, the caller waits for a read.
// Only one read per key is in flight however many callers ask. A read that
// finds nothing (undefined) is not kept: the next caller reads again.
export class KeptReads<K, V> {
  readonly #kept = new Map<K, { readonly value: V; readonly atMs: number }>();
  readonly #reading = new Map<K, Promise<V | undefined>>();

  constructor(
    private readonly read: (key: K) => Promise<V | undefined>,
    private readonly freshMs: number,
    private readonly staleMs: number,
    private readonly maxKept = 10_000,
  ) {}

  /** The kept value (fresh, or stale with a refresh started) or a new read's. */
  get(key: K): Promise<V | undefined> {
    const kept = this.#kept.get(key);
    if (kept !== undefined) {
      const age = performance.now() - kept.atMs;
      if (age < this.freshMs) return Promise.resolve(kept.value);
      if (age < this.staleMs) {
        this.fresh(key).catch(() => undefined); // a failed refresh leaves the value to age out
        return Promise.resolve(kept.value);
      }
    }
    return this.fresh(key);
  }

  /** A new read (the one in flight for `key`, if any); kept if it found a value. */
  fresh(key: K): Promise<V | undefined> {
    let reading = this.#reading.get(key);
    if (reading === undefined) {
      reading = this.read(key).then(
        (value) => {
          this.#reading.delete(key);
          this.#kept.delete(key);
          if (value !== undefined) {
            this.#kept.set(key, { value, atMs: performance.now() });
            if (this.#kept.size > this.maxKept) this.#kept.delete(this.#kept.keys().next().value!);
          }
          return value;
        },
        (err: unknown) => {
          this.#reading.delete(key);
          throw err;
        },
      );
      this.#reading.set(key, reading);
    }
    return reading;
  }

  /** Whether get(key) would now answer a kept value (without a read). */
  has(key: K): boolean {
    const kept = this.#kept.get(key);
    return kept !== undefined && performance.now() - kept.atMs < this.staleMs;
  }

  /** Drops the kept value of `key`, or of every key. */
  forget(key?: K): void {
    if (key === undefined) this.#kept.clear();
    else this.#kept.delete(key);
  }
}
