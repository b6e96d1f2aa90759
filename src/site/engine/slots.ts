/** Per-target concurrency limits; waiters are served before opportunistic takers. */
export class TargetSlots {
  private readonly active = new Map<string, number>();
  private readonly waiters = new Map<string, (() => void)[]>();

  constructor(private readonly limitOf: (key: string) => number) {}

  inUse(key: string): number {
    return this.active.get(key) ?? 0;
  }

  tryAcquire(key: string): boolean {
    const n = this.active.get(key) ?? 0;
    if (n >= this.limitOf(key) || (this.waiters.get(key)?.length ?? 0) > 0) return false;
    this.active.set(key, n + 1);
    return true;
  }

  acquire(key: string): Promise<void> {
    if (this.tryAcquire(key)) return Promise.resolve();
    return new Promise((resolve) => {
      const queue = this.waiters.get(key) ?? [];
      queue.push(resolve);
      this.waiters.set(key, queue);
    });
  }

  release(key: string): void {
    const queue = this.waiters.get(key);
    const next = queue?.shift();
    if (next) {
      if (queue!.length === 0) this.waiters.delete(key);
      next(); // the slot passes straight to the waiter
      return;
    }
    const n = (this.active.get(key) ?? 1) - 1;
    if (n <= 0) this.active.delete(key);
    else this.active.set(key, n);
  }
}
