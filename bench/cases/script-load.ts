// Cost of one script run under load: a trivial script (`return 1`) run by 1, 4
// and 64 concurrent callers straight through the sandbox (no site around it).
// Per level: runs/s, the process's CPU time per run (process.cpuUsage over the
// measured window, which counts isolated-vm's threads too, divided by the
// runs), and the isolates created and disposed in the window (0 and 0 when
// warm capacity holds: no isolate churn per run).
import { ScriptRuntime, processComputeGate } from '../../src/scripts/index.js';
import { closedLoop } from '../lib/load.js';
import { machine } from '../lib/machine.js';
import { flags, report } from '../lib/options.js';
import { trivialHost as host } from '../lib/trivial-host.js';
import { summarize } from '../lib/stats.js';

// --max 0 (the default): the sandbox's default maxIsolates.
// --gate 1: with the process's compute gate, as a site runs its scripts (compute-gate.ts).
const opt = flags({ levels: '1,4,64', duration: 3, warmup: 1, warm: 8, max: 0, gate: 0 });
// Not an object literal: a sandbox without the warmIsolates setting (the
// baseline) ignores it rather than failing to build.
const runtimeOptions = {
  memoryMb: 32,
  warmIsolates: opt.warm,
  ...(opt.max > 0 ? { maxIsolates: opt.max } : {}),
  ...(opt.gate > 0 ? { computeGate: processComputeGate() } : {}),
};
const runtime = new ScriptRuntime(runtimeOptions);

const metrics: Record<string, number> = {};
const checks: Record<string, unknown> = {};
for (const level of opt.levels.split(',').map(Number)) {
  let before = { created: 0, disposed: 0 };
  const stats = () => (runtime as { isolateStats?: { created: number; disposed: number } }).isolateStats ?? { created: NaN, disposed: NaN };
  setTimeout(() => (before = { ...stats() }), opt.warmup * 1000);
  const run = await closedLoop({
    callers: level,
    warmupMs: opt.warmup * 1000,
    durationMs: opt.duration * 1000,
    op: async () => (await runtime.run({ source: 'return 1;', timeoutMs: 5000, host })) === 1,
  });
  const after = stats();
  const lat = summarize(run.latencies);
  metrics[`c${level}PerSecond`] = run.perSecond;
  metrics[`c${level}CpuUsPerRun`] = (run.cpuCores * 1e6) / run.perSecond;
  metrics[`c${level}P50Ms`] = lat.p50Ms;
  metrics[`c${level}IsolatesCreated`] = after.created - before.created;
  metrics[`c${level}IsolatesDisposed`] = after.disposed - before.disposed;
  checks[`c${level}`] = { unexpected: run.unexpected, errors: run.errors, firstError: run.firstError };
}
runtime.dispose();
report({ bench: 'script-load', options: opt, machine: machine(), metrics, checks });
