import type { EventLoopUtilization } from 'node:perf_hooks';
import { Samples } from './stats.js';

export interface ClosedLoopOptions {
  /** Callers, each with one operation outstanding at a time. */
  readonly callers: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** One operation; resolves true when it counts (e.g. reached the expected status). */
  readonly op: (n: number) => Promise<boolean>;
  /** Called as the measured window opens and as it closes (e.g. to read another process's CPU). */
  readonly atWindowStart?: () => void;
  readonly atWindowEnd?: () => void;
}

export interface ClosedLoopResult {
  /** Operations that completed inside the measured window and counted. */
  readonly completed: number;
  /** Operations that completed inside the window but did not count. */
  readonly unexpected: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly windowMs: number;
  readonly perSecond: number;
  /** Start-to-completion of each counted operation in the window, ms. */
  readonly latencies: Float64Array;
  /** CPU time of this process during the window, as a share of one core. */
  readonly cpuCores: number;
  /** Share of the window the event loop was busy (not waiting for I/O or timers). */
  readonly loopBusy: number;
}

/**
 * Closed-loop load: `callers` concurrent loops each issue one operation and
 * the next when it settles. Only operations that finish inside
 * [warmup, warmup + duration] are counted, so start-up and drain do not
 * flatter or spoil the rate.
 */
export async function closedLoop(o: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const t0 = performance.now();
  const windowStart = t0 + o.warmupMs;
  const windowEnd = windowStart + o.durationMs;
  const latencies = new Samples();
  let completed = 0;
  let unexpected = 0;
  let errors = 0;
  let firstError: string | undefined;
  let seq = 0;
  let cpuStart: NodeJS.CpuUsage | undefined;
  let cpuEnd: NodeJS.CpuUsage | undefined;
  let eluStart: EventLoopUtilization | undefined;
  let eluEnd: EventLoopUtilization | undefined;
  const cpuAtStart = setTimeout(() => {
    cpuStart = process.cpuUsage();
    eluStart = performance.eventLoopUtilization();
    o.atWindowStart?.();
  }, o.warmupMs);
  const cpuAtEnd = setTimeout(() => {
    cpuEnd = process.cpuUsage(cpuStart);
    eluEnd = performance.eventLoopUtilization(eluStart);
    o.atWindowEnd?.();
  }, o.warmupMs + o.durationMs);

  const caller = async (): Promise<void> => {
    while (performance.now() < windowEnd) {
      const started = performance.now();
      let ok = false;
      let failed = false;
      try {
        ok = await o.op(seq++);
      } catch (err) {
        failed = true;
        firstError ??= err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
      const done = performance.now();
      if (done < windowStart || done > windowEnd) continue;
      if (failed) errors++;
      else if (ok) {
        completed++;
        latencies.push(done - started);
      } else unexpected++;
    }
  };
  await Promise.all(Array.from({ length: o.callers }, caller));
  clearTimeout(cpuAtStart);
  clearTimeout(cpuAtEnd);
  const cpu = cpuEnd ?? process.cpuUsage(cpuStart);
  return {
    completed,
    unexpected,
    errors,
    firstError,
    windowMs: o.durationMs,
    perSecond: completed / (o.durationMs / 1000),
    latencies: latencies.values(),
    cpuCores: (cpu.user + cpu.system) / 1000 / o.durationMs,
    loopBusy: (eluEnd ?? performance.eventLoopUtilization(eluStart)).utilization,
  };
}
