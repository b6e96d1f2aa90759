// Issue 10 point 3: a script whose runs have short first stretches starts
// them on the Node thread (one synchronous crossing into its isolate, no
// hand-over to isolated-vm's thread); see src/scripts/pace.ts. These tests
// check what that must not change: isolation between runs, the host calls a
// run makes (exactly once), and the Node thread's responsiveness when such a
// script turns slow.
import { afterAll, describe, expect, it } from 'vitest';
import { FAST_RUNS, NODE_THREAD_LIMIT_MS, ScriptRuntime, ScriptSandbox, type HostEntry } from '../../src/scripts/index.js';
import { stretchComputed, cpuNowUs } from '../../src/scripts/pace.js';
import { TestHost } from './fixtures.js';

// One isolate: every run below lands on the same isolate and context.
const rt = new ScriptRuntime({ memoryMb: 32, maxIsolates: 1, warmIsolates: 1 });
afterAll(() => rt.dispose());

describe('runs started on the Node thread', () => {
  it('issue 10 point 3: after FAST_RUNS short runs a script starts on the Node thread, and each run there sees pristine state and its own parameters', async () => {
    const host = new TestHost().host;
    const source = `const before = { extra: [].evil, polluted: ({}).polluted, leaked: typeof leaked, json: JSON.stringify([1]) };
      Array.prototype.evil = 1; Object.prototype.polluted = 2; globalThis.leaked = 3; JSON.stringify = () => 'forged';
      return { before, n: Parameters.n };`;
    const before = rt.startStats;
    for (let n = 0; n < FAST_RUNS + 6; n++) {
      expect(await rt.run({ source, timeoutMs: 2_000, host, parameters: { n } })).toEqual({
        before: { polluted: undefined, leaked: 'undefined', json: '[1]' },
        n,
      });
    }
    const after = rt.startStats;
    expect(after.onNodeThread - before.onNodeThread).toBe(6);
    expect(after.onIsolateThread - before.onIsolateThread).toBe(FAST_RUNS);
    expect(rt.isolateStats.disposed).toBe(0);
  });

  it('issue 10 point 3: a run started on the Node thread that awaits the host finishes on its isolate and gets the reply', async () => {
    const host = new TestHost().host;
    const source = `const r = await ExternalSystem.Call('erp', 'get', { i: Parameters.i }); return r.echo.i;`;
    for (let i = 0; i < FAST_RUNS + 4; i++) expect(await rt.run({ source, timeoutMs: 2_000, host, parameters: { i } })).toBe(i);
  });

  it('issue 10 point 2: a run that plants accessors named get/set/value on Object.prototype and patches built-ins cannot break or run code in the reset: the next runs on the isolate see pristine built-ins', async () => {
    const host = new TestHost().host;
    const plant = `let ran = 0;
      for (const name of ['get', 'set', 'value', 'writable', 'enumerable', 'configurable']) {
        Object.defineProperty(Object.prototype, name, { __proto__: null, get() { ran++; Object.prototype.toString = () => 'pwned'; return undefined; }, configurable: true });
      }
      Object.prototype.toString = () => 'patched';
      Array.prototype.push = () => 'patched';
      return ran;`;
    expect(await rt.run({ source: plant, timeoutMs: 2_000, host })).toBe(0);
    for (let i = 0; i < 3; i++) {
      expect(
        await rt.run({
          source: `return [Object.prototype.toString.call([]), [].push.name, 'get' in {}, 'value' in {}];`,
          timeoutMs: 2_000,
          host,
        }),
      ).toEqual(['[object Array]', 'push', false, false]);
    }
  });
});

// A bare sandbox API: note(x) makes a host call; the run's data carries its Parameters.
const INSTALL = `function (hostCall, global) {
  let parameters;
  global.note = (x) => hostCall('note', [x]);
  Object.defineProperty(global, 'Parameters', { get: () => parameters });
  return (data) => { parameters = data.parameters; };
}`;

describe('a script that turns slow on the Node thread', () => {
  it(`issue 10 point 3: its first stretch is cut at NODE_THREAD_LIMIT_MS and the run starts again on an isolate's thread: right result, host calls made once, the event loop held no longer than the cut`, async () => {
    const calls: unknown[] = [];
    const host: HostEntry = async (op, args) => {
      calls.push(args[0]);
      return null;
    };
    const sb = new ScriptSandbox({ memoryMb: 32, install: INSTALL, maxIsolates: 2, warmIsolates: 2 });
    // Parameters arrive as the run's data: { spinMs, tag }.
    const source = `note(Parameters.tag); const end = Date.now() + Parameters.spinMs; while (Date.now() < end); return Parameters.tag;`;
    try {
      for (let i = 0; i < FAST_RUNS + 1; i++) await sb.run({ source, timeoutMs: 5_000, host, data: { parameters: { spinMs: 0, tag: i } } });
      expect(sb.startStats.onNodeThread).toBe(1);
      calls.length = 0;
      // A timer due in 1 ms shows how long the Node thread was held.
      const due = performance.now() + 1;
      let late = -1;
      const timer = new Promise<void>((resolve) => setTimeout(() => resolve(void (late = performance.now() - due)), 1));
      const result = await sb.run({ source, timeoutMs: 5_000, host, data: { parameters: { spinMs: 400, tag: 'slow' } } });
      await timer;
      expect(result).toBe('slow');
      expect(calls).toEqual(['slow']);
      expect(sb.startStats).toMatchObject({ onNodeThread: 2, cut: 1 });
      expect(late).toBeLessThan(NODE_THREAD_LIMIT_MS + 150);
      // Back on the isolate's thread: the next run starts there.
      await sb.run({ source, timeoutMs: 5_000, host, data: { parameters: { spinMs: 0, tag: 'next' } } });
      expect(sb.startStats.onNodeThread).toBe(2);
    } finally {
      sb.dispose();
    }
  });

  it('issue 10 points 3 and 4: a first stretch that computes past SLOW_STRETCH_MS, under the cut, sends its script back to the isolate\'s thread', async () => {
    const sb = new ScriptSandbox({ memoryMb: 32, install: INSTALL, maxIsolates: 1, warmIsolates: 1 });
    const source = `const end = Date.now() + Parameters.spinMs; while (Date.now() < end); return Parameters.spinMs;`;
    const host: HostEntry = async () => null;
    const run = (spinMs: number) => sb.run({ source, timeoutMs: 5_000, host, data: { parameters: { spinMs } } });
    try {
      for (let i = 0; i < FAST_RUNS + 1; i++) await run(0);
      expect(sb.startStats.onNodeThread).toBe(1);
      expect(await run(10)).toBe(10);
      await run(0);
      expect(sb.startStats).toMatchObject({ onNodeThread: 2, cut: 0 });
    } finally {
      sb.dispose();
    }
  });
});

describe('a first stretch slowed by the machine, not by the script', () => {
  it('issue 10 points 3 and 4: wall time without CPU (the thread parked, as when the OS takes it away) is not counted as computing; computing is', () => {
    // Atomics.wait parks this thread without using CPU, as a descheduled thread is.
    const parked = cpuNowUs();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    expect(stretchComputed(parked)).toBe(false);
    const busy = cpuNowUs();
    const end = performance.now() + 20;
    while (performance.now() < end);
    expect(stretchComputed(busy)).toBe(true);
  });
});
