/**
 * Serialises the triggered runs of one (instance, script): at most one runs at
 * a time, later triggers queue in order. An interval tick is skipped while a
 * run is queued or running, so a slow script never piles up ticks. The queue
 * is bounded; what overflows is reported, never silently lost.
 */
export class TriggerQueue<T> {
  private running = false;
  private readonly queue: T[] = [];

  constructor(
    private readonly runOne: (item: T) => Promise<void>,
    private readonly onOverflow: (item: T) => void,
    private readonly limit = 1000,
  ) {}

  get busy(): boolean {
    return this.running || this.queue.length > 0;
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
