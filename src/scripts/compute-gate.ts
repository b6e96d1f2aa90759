// How many runs may compute at once (issue 10 point 6).
//
// Every isolate runs on a thread of its own. With 64 runs busy at once on a
// 2-core machine the OS shares the cores 65 ways, and the Node thread (HTTP,
// /health, timers, every host call of every run) gets a 65th of them: a site
// flooded by one instance answered /health in seconds and another instance's
// interval script stalled. So a run takes a pass before its script starts and
// gives it back as soon as it waits on the host (its first host call) or
// ends: at most `limit` runs start computing at once, admitted round-robin
// across fair keys like the isolates (fair-queue.ts). A run that waits on the
// host needs no pass to go on, so I/O-bound runs are not limited beyond
// maxIsolates.
//
// A run that computes for longer than `sliceMs` without a host call gives its
// pass back anyway and goes on computing: a few runaway loops (stopped only
// by their timeout) cannot hold up everything else for that long; they only
// compete for the cores as they would without the gate.

import { availableParallelism } from 'node:os';
import { FairQueue } from './fair-queue.js';

/** Held by a run while it computes; leave() is idempotent. */
export interface ComputePass {
  leave(): void;
}

export class ComputeGate {
  readonly #waiting = new FairQueue<() => void>();
  #inside = 0;

  constructor(
    private readonly limit: number,
    private readonly sliceMs: number,
  ) {}

  /** Resolves once the run may start computing. */
  enter(fairKey = '', nested = false): Promise<ComputePass> {
    if (this.#inside < this.limit) return Promise.resolve(this.#pass());
    return new Promise((resolve) => this.#waiting.push(fairKey, nested, () => resolve(this.#pass())));
  }

  /** Runs computing now (holding a pass). */
  get inside(): number {
    return this.#inside;
  }

  #pass(): ComputePass {
    this.#inside++;
    let held = true;
    const leave = (): void => {
      if (!held) return;
      held = false;
      clearTimeout(slice);
      this.#inside--;
      this.#waiting.shift()?.();
    };
    const slice = setTimeout(leave, this.sliceMs);
    slice.unref();
    return { leave };
  }
}

let shared: ComputeGate | undefined;

/**
 * The gate a node's sandboxes share: the cores are the
 * process's, whichever sandbox (memory limit) a run uses. Its limit is the
 * number of cores the process may use (at least 2); its slice 50 ms.
 */
export function processComputeGate(): ComputeGate {
  shared ??= new ComputeGate(Math.max(2, availableParallelism()), 50);
  return shared;
}
