// Fair admission of runs waiting for an isolate: round-robin across fair keys,
// nested runs of a key before its new roots (issue 10 point 6).
import { describe, expect, it, vi } from 'vitest';
import { FairQueue, ScriptSandbox, type HostEntry } from '../../src/scripts/index.js';

describe('FairQueue', () => {
  it('admits one item from each waiting key in turn, not in arrival order', () => {
    const q = new FairQueue<string>();
    for (let i = 1; i <= 4; i++) q.push('B', false, `B${i}`);
    q.push('A', false, 'A1');
    q.push('C', false, 'C1');
    q.push('A', false, 'A2');
    expect(q.length).toBe(7);
    expect(q.drain()).toEqual(['B1', 'A1', 'C1', 'B2', 'A2', 'B3', 'B4']);
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
  });

  it('admits the nested items of a key before its root items, in arrival order within each', () => {
    const q = new FairQueue<string>();
    q.push('B', false, 'root1');
    q.push('B', false, 'root2');
    q.push('B', true, 'child1');
    q.push('B', true, 'child2');
    expect(q.drain()).toEqual(['child1', 'child2', 'root1', 'root2']);
  });

  it('a key that arrives while another floods is served after at most one item per other waiting key', () => {
    const q = new FairQueue<number>();
    for (let i = 0; i < 1000; i++) q.push('flood', false, i);
    expect(q.shift()).toBe(0);
    q.push('quiet', false, -1);
    // 'quiet' joins the round behind 'flood': one more flood item, then quiet, then flood again.
    expect(q.shift()).toBe(1);
    expect(q.shift()).toBe(-1);
    expect(q.shift()).toBe(2);
  });

  it('a key served until empty leaves the round and joins its back when it waits again', () => {
    const q = new FairQueue<string>();
    q.push('A', false, 'A1');
    q.push('B', false, 'B1');
    q.push('B', false, 'B2');
    expect(q.shift()).toBe('A1');
    q.push('A', false, 'A2');
    expect(q.drain()).toEqual(['B1', 'A2', 'B2']);
  });
});

describe('ScriptSandbox fair admission', () => {
  const INSTALL = `function (hostCall, global) { global.wait = (ms) => hostCall('wait', [ms]); }`;

  it("a run of another fair key waits for one isolate to free up, not behind a flooding key's whole queue", async () => {
    const sb = new ScriptSandbox({ memoryMb: 32, install: INSTALL, maxIsolates: 2, warmIsolates: 2 });
    const order: string[] = [];
    const host: HostEntry = async (_op, args) => {
      await new Promise((resolve) => setTimeout(resolve, (args as [number])[0]));
      return null;
    };
    const run = (fairKey: string, name: string) =>
      sb.run({ source: `await wait(100); return ${JSON.stringify(name)};`, timeoutMs: 10_000, host, fairKey }).then((v) => {
        order.push(v as string);
      });
    try {
      await vi.waitFor(() => expect(sb.isolates).toBe(2), { timeout: 5_000, interval: 10 });
      const flood = Array.from({ length: 20 }, (_, i) => run('B', `B${i}`));
      const quiet = run('A', 'A');
      await Promise.all([...flood, quiet]);
      // Two B runs hold the isolates (100 ms each, long enough for A to queue before the first release);
      // A is admitted at the first release, with at most one other B alongside.
      expect(order.indexOf('A')).toBeLessThanOrEqual(3);
      expect(order).toHaveLength(21);
    } finally {
      sb.dispose();
    }
  });

  it('nested runs of a key are admitted before its new root runs when the pool is full', async () => {
    const sb = new ScriptSandbox({ memoryMb: 32, install: INSTALL, maxIsolates: 1, warmIsolates: 1 });
    const started: string[] = [];
    const host: HostEntry = async (_op, args) => {
      await new Promise((resolve) => setTimeout(resolve, (args as [number])[0]));
      return null;
    };
    const run = (name: string, nested: boolean) =>
      sb.run({ source: `await wait(5); return ${JSON.stringify(name)};`, timeoutMs: 10_000, host, fairKey: 'B', nested }).then((v) => {
        started.push(v as string);
      });
    try {
      await vi.waitFor(() => expect(sb.isolates).toBe(1), { timeout: 5_000, interval: 10 });
      const holder = run('holder', false);
      const roots = [run('root1', false), run('root2', false)];
      const child = run('child', true);
      await Promise.all([holder, ...roots, child]);
      expect(started).toEqual(['holder', 'child', 'root1', 'root2']);
    } finally {
      sb.dispose();
    }
  });
});
