// One measured level of a closed loop against a process other than the
// bench's own (a `scadalink site`): rate, latency, that process's CPU per
// operation, and what reached the sink in the same window.
import { closedLoop } from './load.js';
import { type CpuSplit, procCpuMs, procCpuSplit } from './proc.js';
import type { Sink } from './sink.js';
import { summarize } from './stats.js';

export interface LevelOptions {
  readonly callers: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly op: (n: number) => Promise<boolean>;
  /** The process whose CPU is charged to the operations (default: none). */
  readonly pid?: number;
  /** Counts the sink's requests over the window. */
  readonly sink?: Sink;
}

export interface LevelResult {
  readonly perSecond: number;
  readonly p50Ms: number;
  /** CPU of `pid` per counted operation over the window, µs. */
  readonly cpuUsPerOp: number;
  /** The same split by thread and user / system (undefined without `pid`), µs per operation. */
  readonly cpuSplitUsPerOp: CpuSplit | undefined;
  /** The bench process's own CPU (the callers), in cores. */
  readonly benchCores: number;
  /** Requests the sink answered per second over the window. */
  readonly sinkPerSecond: number;
  readonly checks: { readonly unexpected: number; readonly errors: number; readonly firstError: string | undefined };
}

export async function measureLevel(o: LevelOptions): Promise<LevelResult> {
  type Mark = { t: number; cpu: number; split: CpuSplit | undefined; sink: Promise<number> };
  let start: Mark | undefined;
  let end: Mark | undefined;
  const mark = (): Mark => ({
    t: performance.now(),
    cpu: o.pid === undefined ? NaN : procCpuMs(o.pid),
    split: o.pid === undefined ? undefined : procCpuSplit(o.pid),
    sink: o.sink?.requests() ?? Promise.resolve(NaN),
  });
  // The window opens and closes on timers, or at the first operation that
  // starts or ends past its edge: a loop starved of timers (isolated-vm can
  // keep it busy for seconds) must not leave the window unread.
  const t0 = performance.now();
  const edges = (): void => {
    const now = performance.now();
    if (start === undefined && now >= t0 + o.warmupMs) start = mark();
    if (end === undefined && now >= t0 + o.warmupMs + o.durationMs) end = mark();
  };
  const op = async (n: number): Promise<boolean> => {
    edges();
    try {
      return await o.op(n);
    } finally {
      edges();
    }
  };
  const run = await closedLoop({ ...o, op, atWindowStart: () => (start ??= mark()), atWindowEnd: () => (end ??= mark()) });
  end ??= mark();
  if (start === undefined) throw new Error('the measured window never opened');
  const seconds = (end.t - start.t) / 1000;
  const perOp = (ms: number): number => (ms * 1000) / seconds / run.perSecond;
  const [a, b] = [start.split, end.split];
  return {
    perSecond: run.perSecond,
    p50Ms: summarize(run.latencies).p50Ms,
    // The window the CPU was read over can be a little longer than the counting window when the loop is late.
    cpuUsPerOp: perOp(end.cpu - start.cpu),
    cpuSplitUsPerOp:
      a === undefined || b === undefined
        ? undefined
        : {
            mainUser: perOp(b.mainUser - a.mainUser),
            mainSys: perOp(b.mainSys - a.mainSys),
            otherUser: perOp(b.otherUser - a.otherUser),
            otherSys: perOp(b.otherSys - a.otherSys),
          },
    benchCores: run.cpuCores,
    sinkPerSecond: ((await end.sink) - (await start.sink)) / seconds,
    checks: { unexpected: run.unexpected, errors: run.errors, firstError: run.firstError },
  };
}
