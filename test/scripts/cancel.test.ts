// RunRequest.signal: aborting ends a run as a timeout does (its isolate is
// disposed and replaced in the background) but with SCRIPT_CANCELLED.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ScriptRuntime, ScriptSandbox, type HostEntry } from '../../src/scripts/index.js';
import { TestHost, rejection } from './fixtures.js';

const INSTALL = `function (hostCall, global) {
  global.call = (op, ...args) => hostCall(op, args);
}`;
const sb = new ScriptSandbox({ memoryMb: 32, install: INSTALL, warmIsolates: 1, maxIsolates: 1 });
afterAll(() => sb.dispose());

describe('cancelling a run', () => {
  it('aborting a run in a busy loop rejects it with SCRIPT_CANCELLED and replaces its isolate', async () => {
    const controller = new AbortController();
    let entered!: () => void;
    const inLoop = new Promise<void>((resolve) => (entered = resolve));
    const host: HostEntry = async () => {
      entered();
      return 1;
    };
    const before = sb.isolateStats;
    const running = rejection(sb.run({ source: `call('loop'); while (true) {}`, timeoutMs: 10_000, host, signal: controller.signal }));
    await inLoop;
    controller.abort();
    const err = await running;
    expect(err.code).toBe('SCRIPT_CANCELLED');
    await vi.waitFor(() => expect(sb.isolates).toBe(1), { timeout: 5_000, interval: 10 });
    expect(sb.isolateStats).toEqual({ created: before.created + 1, disposed: before.disposed + 1 });
    expect(await sb.run({ source: 'return 2', timeoutMs: 2_000, host })).toBe(2);
  });

  it('aborting a run parked on a host call rejects it with SCRIPT_CANCELLED at once', async () => {
    const controller = new AbortController();
    const never: HostEntry = () => {
      controller.abort();
      return new Promise(() => undefined);
    };
    const started = performance.now();
    const err = await rejection(sb.run({ source: `await call('wait'); return 1;`, timeoutMs: 10_000, host: never, signal: controller.signal }));
    expect(err.code).toBe('SCRIPT_CANCELLED');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('an already aborted signal runs nothing', async () => {
    const calls: string[] = [];
    const host: HostEntry = async (op) => {
      calls.push(op);
      return 1;
    };
    const before = sb.isolateStats;
    const err = await rejection(sb.run({ source: `await call('x'); return 1;`, timeoutMs: 2_000, host, signal: AbortSignal.abort() }));
    expect(err.code).toBe('SCRIPT_CANCELLED');
    expect(calls).toEqual([]);
    expect(sb.isolateStats).toEqual(before);
  });

  it('a run waiting for an isolate leaves the queue when aborted, and the queue goes on', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const holding = new Promise<void>((resolve) => (entered = resolve));
    const slow: HostEntry = async () => {
      entered();
      await held;
      return 1;
    };
    await vi.waitFor(() => expect(sb.isolates).toBe(1), { timeout: 5_000, interval: 10 });
    const first = sb.run({ source: `return await call('hold');`, timeoutMs: 5_000, host: slow });
    const controller = new AbortController();
    const queued = rejection(sb.run({ source: 'return 2', timeoutMs: 5_000, host: slow, signal: controller.signal }));
    const third = sb.run({ source: 'return 3', timeoutMs: 5_000, host: slow });
    // The first run's host call comes back from the isolate's thread; the
    // other two, started in the same turn, are queued behind it by then.
    await holding;
    controller.abort();
    expect((await queued).code).toBe('SCRIPT_CANCELLED');
    release();
    expect(await Promise.all([first, third])).toEqual([1, 3]);
  });

  it('the script API runtime passes the signal on: aborting its run gives SCRIPT_CANCELLED', async () => {
    const rt = new ScriptRuntime({ memoryMb: 32, warmIsolates: 1, maxIsolates: 1 });
    try {
      const controller = new AbortController();
      const host = new TestHost();
      const running = rejection(
        rt.run({ source: `await ExternalSystem.Call('never', 'wait', {}); return 1;`, timeoutMs: 10_000, host: host.host, signal: controller.signal }),
      );
      await vi.waitFor(() => expect(host.calls).toHaveLength(1), { timeout: 5_000, interval: 5 });
      controller.abort();
      expect((await running).code).toBe('SCRIPT_CANCELLED');
    } finally {
      rt.dispose();
    }
  });
});
