// How many runs compute at once (issue 10 point 6): a pass to start, given
// back at the run's first host call, at its end, or after a slice.
import { describe, expect, it } from 'vitest';
import { ComputeGate, ScriptSandbox, type HostEntry } from '../../src/scripts/index.js';

describe('ComputeGate', () => {
  it('lets `limit` runs in at once and the waiting ones in round-robin across fair keys as passes are given back', async () => {
    const gate = new ComputeGate(1, 60_000);
    const first = await gate.enter('B');
    const order: string[] = [];
    // Each waiting run gives its pass back as soon as it has it.
    const waiting = ['B1', 'B2', 'A1'].map((name) =>
      gate.enter(name[0]).then((pass) => {
        order.push(name);
        pass.leave();
      }),
    );
    expect(gate.inside).toBe(1);
    first.leave();
    first.leave(); // idempotent: gives back one pass only
    await Promise.all(waiting);
    expect(order).toEqual(['B1', 'A1', 'B2']);
    expect(gate.inside).toBe(0);
  });

  it('a pass held longer than its slice is given back by itself', async () => {
    const gate = new ComputeGate(1, 30);
    const start = performance.now();
    await gate.enter('B'); // never left by hand
    const second = await gate.enter('A');
    expect(performance.now() - start).toBeGreaterThanOrEqual(25);
    second.leave();
  });
});

describe('ScriptSandbox with a compute gate', () => {
  const INSTALL = `function (hostCall, global) { global.wait = (ms) => hostCall('wait', [ms]); }`;
  const host: HostEntry = async (_op, args) => {
    await new Promise((resolve) => setTimeout(resolve, (args as [number])[0]));
    return null;
  };

  it('a run waiting on the host has given its pass back: with a gate of 1, another run computes meanwhile', async () => {
    const gate = new ComputeGate(1, 60_000);
    const sb = new ScriptSandbox({ memoryMb: 32, install: INSTALL, maxIsolates: 4, computeGate: gate });
    try {
      const waiter = sb.run({ source: `await wait(300); return 'waited';`, timeoutMs: 5_000, host, fairKey: 'A' });
      const start = performance.now();
      expect(await sb.run({ source: `return 'computed';`, timeoutMs: 5_000, host, fairKey: 'B' })).toBe('computed');
      expect(performance.now() - start).toBeLessThan(250);
      expect(await waiter).toBe('waited');
      expect(gate.inside).toBe(0);
    } finally {
      sb.dispose();
    }
  });

  it('a run that computes holds its pass until it ends: with a gate of 1, two 100 ms loops run one after the other', async () => {
    const gate = new ComputeGate(1, 60_000);
    const sb = new ScriptSandbox({ memoryMb: 32, install: INSTALL, maxIsolates: 4, computeGate: gate });
    const loop = `const end = Date.now() + 100; while (Date.now() < end); return Date.now();`;
    try {
      const [a, b] = (await Promise.all([
        sb.run({ source: loop, timeoutMs: 5_000, host, fairKey: 'A' }),
        sb.run({ source: loop, timeoutMs: 5_000, host, fairKey: 'B' }),
      ])) as [number, number];
      expect(Math.abs(a - b)).toBeGreaterThanOrEqual(95);
      expect(gate.inside).toBe(0);
    } finally {
      sb.dispose();
    }
  });
});

describe('isolates for a burst of runs', () => {
  it('are created at most 8 per turn of the event loop, so a burst of 40 runs never blocks the Node thread for all 40', async () => {
    const INSTALL = `function (hostCall, global) { global.wait = (ms) => hostCall('wait', [ms]); }`;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const host: HostEntry = async () => {
      await gate;
      return null;
    };
    const sb = new ScriptSandbox({ memoryMb: 32, install: INSTALL, maxIsolates: 40, warmIsolates: 0 });
    const sizes: number[] = [];
    try {
      const runs = Array.from({ length: 40 }, () => sb.run({ source: `await wait(0); return 1;`, timeoutMs: 10_000, host }));
      // One size per turn of the event loop until all 40 isolates exist.
      while (sb.isolates < 40) {
        await new Promise((resolve) => setImmediate(resolve));
        sizes.push(sb.isolates);
      }
      release();
      expect(await Promise.all(runs)).toEqual(Array(40).fill(1));
      expect(sizes[0]).toBeLessThanOrEqual(8);
      for (let i = 1; i < sizes.length; i++) expect(sizes[i]! - sizes[i - 1]!).toBeLessThanOrEqual(8);
      expect(sizes.length).toBeGreaterThanOrEqual(5);
    } finally {
      sb.dispose();
    }
  });
});
