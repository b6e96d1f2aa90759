// Cancelling a run through its request's signal, and the host hearing that a
// body threw while calls it did not await are in flight (issue 10 point 6:
// runs started by a run end with it).
import { afterAll, describe, expect, it } from 'vitest';
import { ScriptSandbox, type HostEntry } from '../../src/scripts/index.js';
import { rejection } from './fixtures.js';

const INSTALL = `function (hostCall, global) {
  global.call = (op, ...args) => hostCall(op, args);
}`;

const sandbox = new ScriptSandbox({ memoryMb: 32, install: INSTALL, warmIsolates: 1 });
afterAll(() => sandbox.dispose());

/** A host whose `wait` calls stay pending until the test answers them; `started` resolves on the first. */
function waitingHost() {
  const pending: (() => void)[] = [];
  let onFirst!: () => void;
  const started = new Promise<void>((resolve) => (onFirst = resolve));
  const host: HostEntry = (op) => {
    if (op !== 'wait') return Promise.resolve(op);
    onFirst();
    return new Promise<unknown>((resolve) => pending.push(() => resolve('answered')));
  };
  return { host, started, answerAll: () => pending.splice(0).forEach((answer) => answer()) };
}

describe('sandbox: cancellation through the run request signal', () => {
  it('aborting the signal ends a busy loop at once with SCRIPT_CANCELLED, and the next run works', async () => {
    const controller = new AbortController();
    const { host, started } = waitingHost();
    const run = sandbox.run({ source: `call('wait'); while (true) {}`, timeoutMs: 30_000, host, signal: controller.signal });
    await started;
    const at = Date.now();
    controller.abort();
    expect((await rejection(run)).code).toBe('SCRIPT_CANCELLED');
    expect(Date.now() - at).toBeLessThan(2000);
    expect(await sandbox.run({ source: 'return 1;', timeoutMs: 1000, host })).toBe(1);
  });

  it('a run whose signal is already aborted does not start', async () => {
    const calls: string[] = [];
    const host: HostEntry = async (op) => void calls.push(op);
    const err = await rejection(sandbox.run({ source: `await call('seen'); return 1;`, timeoutMs: 1000, host, signal: AbortSignal.abort() }));
    expect(err.code).toBe('SCRIPT_CANCELLED');
    expect(calls).toEqual([]);
  });

  it('onScriptThrew is told when the body throws with a call still in flight (not when it returns), before the run settles', async () => {
    const w = waitingHost();
    let told = 0;
    const threw = sandbox.run({
      source: `call('wait'); throw new Error('fails');`,
      timeoutMs: 5000,
      host: w.host,
      onScriptThrew: () => {
        told++;
        w.answerAll();
      },
    });
    // The run settles only once its call in flight does: the host answered it when told.
    expect((await rejection(threw)).message).toContain('fails');
    expect(told).toBe(1);

    const r = waitingHost();
    const returned = sandbox.run({ source: `call('wait'); return 2;`, timeoutMs: 5000, host: r.host, onScriptThrew: () => told++ });
    await r.started;
    r.answerAll();
    expect(await returned).toBe(2);
    expect(told).toBe(1);
  });
});
