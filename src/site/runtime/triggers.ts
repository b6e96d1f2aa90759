/**
 * Serialises the triggered runs of one (instance, script): at most one runs at
 * a time, later triggers queue in order. The queue is bounded; what overflows
 * is reported, never silently lost.
 */
export class TriggerQueue<T> {
  private running = false;
  private readonly queue: T[] = [];

  constructor(
    private readonly runOne: (item: T) => Promise<void>,
    private readonly onOverflow: (item: T) => void,
    private readonly limit = 1000,
  ) {}

  /** Whether an item that has not started yet matches. */
  waiting(match: (item: T) => boolean): boolean {
    return this.queue.some(match);
  }

  push(item: T): void {
    if (this.queue.length >= this.limit) {
      this.onOverflow(item);
      return;
    }
    this.queue.push(item);
    // runOne reports its own failures (the runtime logs and records a failed script); drain only stops on one.
    if (!this.running) this.drain().catch(() => undefined);
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (let item = this.queue.shift(); item !== undefined; item = this.queue.shift()) {
        await this.runOne(item);
      }
    } finally {
      this.running = false;
    }
  }
}

/** Stops an IntervalTicker. */
export interface Ticker {
  stop(): void;
}

/**
 * Calls `tick` every `everyMs`, the first time one interval after now, on a
 * fixed schedule: a tick that comes late (the event loop was busy) does not
 * push the later ones back, as setInterval's would. Ticks missed entirely
 * (late by a whole interval or more) are skipped, not made up in a burst.
 */
export function startTicker(everyMs: number, tick: () => void): Ticker {
  const origin = performance.now();
  let n = 1;
  let timer: NodeJS.Timeout;
  const schedule = (): void => {
    timer = setTimeout(() => {
      const now = performance.now();
      // The next slot strictly after now: late ticks are not repeated.
      n = Math.max(n + 1, Math.floor((now - origin) / everyMs) + 1);
      schedule();
      tick();
    }, Math.max(0, origin + n * everyMs - performance.now()));
  };
  schedule();
  return { stop: () => clearTimeout(timer) };
}
