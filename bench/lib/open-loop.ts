// Open-loop load: requests sent on a fixed schedule (rate per second), not
// one after the other, so a slow answer does not hold the next request back.
// Each latency runs from the request's *scheduled* send time to its answer,
// so a stall of the client or the server counts against every request it
// delayed (no coordinated omission).
import { Samples, type LatencySummary, summarize } from './stats.js';

export interface OpenLoopResult extends LatencySummary {
  /** Requests scheduled in the window. */
  readonly sent: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  /** The most a send left after its scheduled time (the client's own lateness), ms. */
  readonly maxSendLagMs: number;
}

/**
 * Sends `op(n)` at `rate` per second for `durationMs`, after `warmupMs` at the
 * same rate whose answers are not counted. Resolves once every answer is in.
 */
export async function openLoop(o: { rate: number; warmupMs: number; durationMs: number; op: (n: number) => Promise<boolean> }): Promise<OpenLoopResult> {
  const interval = 1000 / o.rate;
  const warm = Math.round((o.warmupMs / 1000) * o.rate);
  const total = warm + Math.round((o.durationMs / 1000) * o.rate);
  const latencies = new Samples();
  const pending: Promise<void>[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let maxSendLagMs = 0;
  let n = 0;
  const t0 = performance.now() + 5;
  const fire = (i: number): void => {
    const scheduled = t0 + i * interval;
    const lag = performance.now() - scheduled;
    if (i >= warm && lag > maxSendLagMs) maxSendLagMs = lag;
    const fail = (why: string): void => {
      if (i < warm) return;
      errors++;
      firstError ??= why;
    };
    pending.push(
      o.op(i).then(
        (ok) => {
          if (!ok) fail(`op ${i} did not count`);
          else if (i >= warm) latencies.push(performance.now() - scheduled);
        },
        (e: unknown) => fail(e instanceof Error ? e.message : String(e)),
      ),
    );
  };
  await new Promise<void>((resolve) => {
    // A 1 ms timer sends every request that is due; a late tick sends the
    // overdue ones at once (their latency still counts from their schedule).
    const tick = (): void => {
      const now = performance.now();
      while (n < total && t0 + n * interval <= now) fire(n++);
      if (n < total) setTimeout(tick, Math.max(0, Math.min(1, t0 + n * interval - performance.now())));
      else resolve();
    };
    setTimeout(tick, 5);
  });
  await Promise.all(pending);
  return { ...summarize(latencies.values()), sent: total - warm, errors, firstError, maxSendLagMs };
}
