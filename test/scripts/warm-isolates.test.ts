// Warm capacity: isolates (with a prepared context) are made ahead of use and
// reused; a steady load creates and disposes none per run; a burst's surplus
// is kept while used and retired when idle; an isolate lost to a timeout or a
// memory kill is replaced in the background.
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { ScriptSandbox, type HostEntry } from '../../src/scripts/index.js';
import { rejection } from './fixtures.js';

const INSTALL = `function (hostCall, global) {
  global.call = (op, ...args) => hostCall(op, args);
}`;
const host: HostEntry = async () => {
  await delay(1);
  return 1;
};

function sandbox(opts: { warmIsolates: number; maxIsolates?: number; surplusIdleMs?: number; memoryMb?: number }): ScriptSandbox {
  return new ScriptSandbox({ memoryMb: 32, install: INSTALL, ...opts });
}

async function load(sb: ScriptSandbox, concurrency: number, runsEach: number, source = `return await call('x');`): Promise<void> {
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < runsEach; i++) expect(await sb.run({ source, timeoutMs: 5_000, host })).toBe(1);
    }),
  );
}

describe('warm isolates', () => {
  it('the warm isolates are created before the first run', async () => {
    const sb = sandbox({ warmIsolates: 3 });
    try {
      await vi.waitFor(() => expect(sb.isolates).toBe(3), { timeout: 5_000, interval: 10 });
      expect(sb.isolateStats).toEqual({ created: 3, disposed: 0 });
      await load(sb, 3, 1);
      expect(sb.isolateStats).toEqual({ created: 3, disposed: 0 });
    } finally {
      sb.dispose();
    }
  });

  it('a steady concurrent load creates and disposes no isolate per run', async () => {
    const sb = sandbox({ warmIsolates: 4, maxIsolates: 8 });
    try {
      await load(sb, 4, 5);
      const settled = sb.isolateStats;
      await load(sb, 4, 50);
      expect(sb.isolateStats).toEqual(settled);
      expect(settled.disposed).toBe(0);
      expect(settled.created).toBeLessThanOrEqual(4);
    } finally {
      sb.dispose();
    }
  });

  it('a burst beyond the warm isolates reuses its surplus and retires it once idle', async () => {
    const sb = sandbox({ warmIsolates: 1, maxIsolates: 6, surplusIdleMs: 100 });
    try {
      await load(sb, 6, 1);
      const afterFirstBurst = sb.isolateStats;
      expect(afterFirstBurst.created).toBe(6);
      await load(sb, 6, 10);
      expect(sb.isolateStats).toEqual(afterFirstBurst);
      await vi.waitFor(() => expect(sb.isolates).toBe(1), { timeout: 5_000, interval: 20 });
      expect(sb.isolateStats).toEqual({ created: 6, disposed: 5 });
    } finally {
      sb.dispose();
    }
  });

  it('an isolate discarded after a timeout is replaced in the background', async () => {
    const sb = sandbox({ warmIsolates: 2, maxIsolates: 2 });
    try {
      await vi.waitFor(() => expect(sb.isolates).toBe(2), { timeout: 5_000, interval: 10 });
      const err = await rejection(sb.run({ source: 'while (true) {}', timeoutMs: 50, host }));
      expect(err.code).toBe('SCRIPT_TIMEOUT');
      await vi.waitFor(() => expect(sb.isolates).toBe(2), { timeout: 5_000, interval: 10 });
      expect(sb.isolateStats).toEqual({ created: 3, disposed: 1 });
      await load(sb, 2, 3);
      expect(sb.isolateStats).toEqual({ created: 3, disposed: 1 });
    } finally {
      sb.dispose();
    }
  });

  it('an isolate killed for memory is replaced in the background', async () => {
    const sb = sandbox({ warmIsolates: 1, maxIsolates: 1, memoryMb: 16 });
    try {
      const err = await rejection(
        sb.run({ source: `const hoard = [];\nwhile (true) hoard.push(new Array(1e5).fill(1.5));`, timeoutMs: 10_000, host }),
      );
      expect(err.code).toBe('SCRIPT_MEMORY');
      await vi.waitFor(() => expect(sb.isolates).toBe(1), { timeout: 5_000, interval: 10 });
      expect(sb.isolateStats).toEqual({ created: 2, disposed: 1 });
    } finally {
      sb.dispose();
    }
  });

  it('refuses a warm or maximum count that is not a whole number', () => {
    expect(() => sandbox({ warmIsolates: -1 })).toThrow(/warmIsolates must be a non-negative integer/);
    expect(() => sandbox({ warmIsolates: 1, maxIsolates: 0 })).toThrow(/maxIsolates must be a positive integer/);
  });
});
