// Slows failed site authentications (issue 8, point 6). Each key (a source
// address, a site name) that failed gets spaced-out attempt slots: the gap
// doubles with every failure up to a cap, and is forgotten after a quiet
// period. An attempt takes the latest slot among its keys, so parallel
// callers are serialised instead of all being answered at once; an attempt
// whose slot lies too far ahead is refused without checking its secret.
// Nothing here depends on whether the site exists, so the cost an attacker
// sees is the same for known and unknown names.

export interface ThrottleOptions {
  /** Gap after the first failure (default 25 ms); it doubles per failure. */
  readonly baseMs?: number;
  /** Largest gap between two attempts of one key (default 2 s). */
  readonly maxGapMs?: number;
  /** A key with no failure for this long starts afresh (default 60 s). */
  readonly forgetAfterMs?: number;
  /** An attempt is refused rather than held longer than this (default 10 s). */
  readonly maxWaitMs?: number;
  /** Keys remembered at most; the oldest go first (default 10,000). */
  readonly maxKeys?: number;
}

interface KeyState {
  failures: number;
  lastFailureAt: number;
  nextAt: number;
}

export class FailureThrottle {
  readonly #keys = new Map<string, KeyState>();
  readonly #o: Required<ThrottleOptions>;

  constructor(options: ThrottleOptions = {}) {
    this.#o = { baseMs: 25, maxGapMs: 2_000, forgetAfterMs: 60_000, maxWaitMs: 10_000, maxKeys: 10_000, ...options };
  }

  /** Reserves the next slot for an attempt under `keys`: the wait in ms, or undefined when the attempt is refused. */
  reserve(keys: readonly string[], now = Date.now()): number | undefined {
    const states = keys.map((k) => this.#state(k, now)).filter((s): s is KeyState => s !== undefined);
    const at = Math.max(now, ...states.map((s) => s.nextAt));
    if (at - now > this.#o.maxWaitMs) return undefined;
    for (const s of states) s.nextAt = at + this.#gap(s.failures);
    return at - now;
  }

  failed(keys: readonly string[], now = Date.now()): void {
    for (const k of keys) {
      const s = this.#state(k, now) ?? { failures: 0, lastFailureAt: now, nextAt: now };
      s.failures++;
      s.lastFailureAt = now;
      s.nextAt = Math.max(s.nextAt, now + this.#gap(s.failures));
      // Re-inserted so the map's order is by last failure: the oldest are pruned first.
      this.#keys.delete(k);
      this.#keys.set(k, s);
    }
    while (this.#keys.size > this.#o.maxKeys) this.#keys.delete(this.#keys.keys().next().value!);
  }

  /** Failures a key has on record (0 when forgotten). */
  failures(key: string, now = Date.now()): number {
    return this.#state(key, now)?.failures ?? 0;
  }

  #state(key: string, now: number): KeyState | undefined {
    const s = this.#keys.get(key);
    if (s !== undefined && now - s.lastFailureAt > this.#o.forgetAfterMs && s.nextAt <= now) {
      this.#keys.delete(key);
      return undefined;
    }
    return s;
  }

  #gap(failures: number): number {
    return failures === 0 ? 0 : Math.min(this.#o.maxGapMs, this.#o.baseMs * 2 ** Math.min(failures - 1, 20));
  }
}
