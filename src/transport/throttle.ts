// Slows failed site authentications (issue 8, point 6). Each key (a source
// address, a site name) gets spaced-out attempt slots: the gap doubles with
// every failure and every attempt still undecided, up to a cap, and failures
// are forgotten after a quiet period. An attempt takes the latest slot among
// its keys, so a burst of parallel callers is serialised from its first
// attempt instead of all being checked at once; an attempt whose slot lies
// too far ahead is refused without checking its secret.
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
  /** Attempts reserved and not yet settled. */
  pending: number;
  lastFailureAt: number;
  nextAt: number;
}

export class FailureThrottle {
  readonly #keys = new Map<string, KeyState>();
  readonly #o: Required<ThrottleOptions>;

  constructor(options: ThrottleOptions = {}) {
    this.#o = { baseMs: 25, maxGapMs: 2_000, forgetAfterMs: 60_000, maxWaitMs: 10_000, maxKeys: 10_000, ...options };
  }

  /** Reserves the next slot for an attempt under `keys`: the wait in ms, or undefined when the attempt is refused. Settle every reserved attempt. */
  reserve(keys: readonly string[], now = Date.now()): number | undefined {
    const states = keys.map((k) => this.#state(k, now) ?? this.#create(k, now));
    const at = Math.max(now, ...states.map((s) => s.nextAt));
    if (at - now > this.#o.maxWaitMs) return undefined;
    for (const s of states) {
      s.pending++;
      s.nextAt = at + this.#gap(s.failures + s.pending);
    }
    return at - now;
  }

  /** Ends a reserved attempt; a failure makes the following slots of its keys wider. */
  settle(keys: readonly string[], failed: boolean, now = Date.now()): void {
    for (const k of keys) {
      const s = this.#keys.get(k) ?? this.#create(k, now);
      s.pending = Math.max(0, s.pending - 1);
      if (!failed) continue;
      s.failures++;
      s.lastFailureAt = now;
      s.nextAt = Math.max(s.nextAt, now + this.#gap(s.failures));
      // Re-inserted so the map's order is by last failure: the oldest are pruned first.
      this.#keys.delete(k);
      this.#keys.set(k, s);
    }
    this.#prune();
  }

  #state(key: string, now: number): KeyState | undefined {
    const s = this.#keys.get(key);
    if (s !== undefined && s.pending === 0 && now - s.lastFailureAt > this.#o.forgetAfterMs && s.nextAt <= now) {
      this.#keys.delete(key);
      return undefined;
    }
    return s;
  }

  #create(key: string, now: number): KeyState {
    const s: KeyState = { failures: 0, pending: 0, lastFailureAt: now, nextAt: now };
    this.#keys.set(key, s);
    this.#prune();
    return s;
  }

  #prune(): void {
    for (const [k, s] of this.#keys) {
      if (this.#keys.size <= this.#o.maxKeys) break;
      if (s.pending === 0) this.#keys.delete(k);
    }
  }

  #gap(failures: number): number {
    return failures <= 0 ? 0 : Math.min(this.#o.maxGapMs, this.#o.baseMs * 2 ** Math.min(failures - 1, 20));
  }
}
