// Slowing repeated failed sign-ins (issue 12, point 1; docs/ui.md "Failed
// sign-ins"). After FREE consecutive failures, sign-in is paused for
// 2^(failures - FREE) seconds from the last failure, at most 15 minutes. The
// per-user count lives in the database (every replica sees it) and is cleared
// by a success or a new password; the per-address count lives in each
// replica's memory and is forgotten 15 minutes after its last failure.
// Attempts made while paused are refused without being counted.

export const USER_FREE_FAILURES = 5;
export const ADDRESS_FREE_FAILURES = 20;
export const MAX_PAUSE_MS = 15 * 60_000;
const MAX_ADDRESSES = 10_000;

/** Until when sign-in is paused after `failures` consecutive failures (0: not paused). */
export function pausedUntil(failures: number, lastFailureAtMs: number | null, free: number): number {
  if (failures < free || lastFailureAtMs === null) return 0;
  return lastFailureAtMs + Math.min(1000 * 2 ** Math.min(failures - free, 30), MAX_PAUSE_MS);
}

export class AddressThrottle {
  readonly #failures = new Map<string, { n: number; lastMs: number }>();

  pausedUntil(address: string, now: number): number {
    const f = this.#failures.get(address);
    if (f === undefined) return 0;
    if (f.lastMs + MAX_PAUSE_MS < now) {
      this.#failures.delete(address);
      return 0;
    }
    return pausedUntil(f.n, f.lastMs, ADDRESS_FREE_FAILURES);
  }

  failed(address: string, now: number): void {
    const f = this.#failures.get(address);
    this.#failures.delete(address);
    this.#failures.set(address, { n: (f?.n ?? 0) + 1, lastMs: now });
    // The oldest entries go first when too many addresses are tracked.
    while (this.#failures.size > MAX_ADDRESSES) this.#failures.delete(this.#failures.keys().next().value!);
  }
}
