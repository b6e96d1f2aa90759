import { readFileSync } from 'node:fs';

const MiB = 2 ** 20;

/** The kernel's high-water mark of this process's resident set, in MiB (Linux). */
export function vmHwmMiB(): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples RSS on a timer so a peak between reads is still seen (VmHWM covers the rest). */
export class RssSampler {
  peakMiB = 0;
  /** Peak of each phase; `nextPhase()` starts a new one. */
  readonly phasePeaksMiB: number[] = [0];
  private timer: NodeJS.Timeout | undefined;

  nextPhase(): void {
    this.phasePeaksMiB.push(0);
  }

  start(everyMs = 50): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    return this;
  }

  sample(): number {
    const mib = process.memoryUsage.rss() / MiB;
    if (mib > this.peakMiB) this.peakMiB = mib;
    const phase = this.phasePeaksMiB.length - 1;
    if (mib > this.phasePeaksMiB[phase]!) this.phasePeaksMiB[phase] = mib;
    return mib;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sample();
  }
}

export function rssMiB(): number {
  return process.memoryUsage.rss() / MiB;
}
