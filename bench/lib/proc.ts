// Another process's CPU time and memory, read from /proc (Linux): the benches
// that run a real `scadalink site` measure the site's process, not their own.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

/** CPU time (user + system, all threads, exited ones included) of process `pid`, in ms. */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm) ": state is field 3, so utime (14) and stime (15) are the 12th and 13th.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / clockTicks();
}

/** CPU time of process `pid` split by thread (its main thread, the others) and by user / system, in ms. */
export interface CpuSplit {
  readonly mainUser: number;
  readonly mainSys: number;
  readonly otherUser: number;
  readonly otherSys: number;
}

/** Utime and stime of one /proc stat line, in ms. */
function statTimes(stat: string): [number, number] {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [(Number(rest[11]) * 1000) / clockTicks(), (Number(rest[12]) * 1000) / clockTicks()];
}

/** The same as procCpuMs, split (CpuSplit): the others are the process's total minus its main thread's. */
export function procCpuSplit(pid: number): CpuSplit {
  const [user, sys] = statTimes(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  const [mainUser, mainSys] = statTimes(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8'));
  return { mainUser, mainSys, otherUser: user - mainUser, otherSys: sys - mainSys };
}

/** VmRSS and VmHWM (peak) of process `pid`, in MiB. */
export function procMemoryMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/**
 * Resolves once process `pid` used less than `quietMs` of CPU over a
 * `everyMs` interval (e.g. its warm isolates are all prepared), or rejects after `limitMs`.
 */
export async function cpuQuiet(pid: number, quietMs = 2, everyMs = 200, limitMs = 30_000): Promise<void> {
  const until = performance.now() + limitMs;
  let last = procCpuMs(pid);
  while (performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    const now = procCpuMs(pid);
    if (now - last < quietMs) return;
    last = now;
  }
  throw new Error(`process ${pid} did not go quiet within ${limitMs} ms`);
}
