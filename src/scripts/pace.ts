// Where a script's runs start (issue 10 point 3).
//
// A run's first stretch (from its start to the body's first await, or its
// end) can run on the Node thread itself, within one synchronous crossing
// into the isolate: a run that settles there (a trivial script, one that
// only computes a little) costs no hand-over to isolated-vm's thread and
// back, which is most of what such a run costs. But the Node thread serves
// HTTP, timers and every other run's host calls, so only scripts that have
// shown short first stretches start there:
//
// - a script starts on the isolate's thread; once FAST_RUNS of its runs in a
//   row had first stretches under SLOW_STRETCH_MS, its runs start on the Node
//   thread;
// - a run there whose first stretch takes longer sends its script back to the
//   isolate's thread (the stretch was not cut: it blocked the Node thread
//   that long, once); it earns its place again with twice as many fast runs
//   each time it loses it;
// - a first stretch on the Node thread is cut at NODE_THREAD_LIMIT_MS: the
//   isolate is disposed (the stretch stopped anywhere) and the run starts
//   again on another isolate's thread. Nothing it did reached the host: its
//   host calls are served only after the stretch, and the ended run's are
//   refused. So the Node thread is never blocked longer than that by a run.
// - a first stretch on the Node thread counts as slow only if the process
//   also spent SLOW_STRETCH_MS of CPU in it: on a loaded machine the OS takes
//   the thread away mid-stretch, and a stretch that measured slow only for
//   that did not hold the event loop. Sent back for it, a script's runs
//   would go to the isolates' threads, where concurrent callers spread them
//   over every isolate the pool allows (issue 10 points 3 and 4).

import { SLOW_STRETCH_MS } from './isolate/core.js';

export { SLOW_STRETCH_MS };

/**
 * The longest a first stretch may hold the Node thread (ms) before it is cut
 * and run elsewhere: the compute gate's slice (compute-gate.ts). It is wall
 * time, so it must stay well above what a busy machine's scheduler can take
 * from a short stretch (a cut costs an isolate).
 */
export const NODE_THREAD_LIMIT_MS = 50;

/** Fast runs in a row a script needs before its runs start on the Node thread (doubled per place lost, up to 2^10 times). */
export const FAST_RUNS = 4;

export class Pace {
  /** The script's runs start on the Node thread. */
  onNodeThread = false;
  #fastRuns = 0;
  #demotions = 0;

  /** A run of the script ended; `slow`: its first stretch took SLOW_STRETCH_MS or more. */
  ran(slow: boolean): void {
    if (slow) {
      this.demote();
      return;
    }
    if (this.onNodeThread) return;
    this.#fastRuns++;
    if (this.#fastRuns >= FAST_RUNS * 2 ** Math.min(this.#demotions, 10)) this.onNodeThread = true;
  }

  /** The script's runs start on the isolate's thread again. */
  demote(): void {
    if (this.onNodeThread) this.#demotions++;
    this.onNodeThread = false;
    this.#fastRuns = 0;
  }
}

/** The process's CPU time so far (µs, user + system): taken before a first stretch on the Node thread. */
export function cpuNowUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * Whether a first stretch the run timed as slow really computed that long:
 * the process (all its threads, so never less than the stretch's own thread)
 * spent SLOW_STRETCH_MS of CPU since `startUs` (cpuNowUs()).
 */
export function stretchComputed(startUs: number): boolean {
  return cpuNowUs() - startUs >= SLOW_STRETCH_MS * 1000;
}
