// The generic sandbox: outcomes, compile cache, isolate reuse, disposal, overhead.
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ScadaLinkError } from '../../src/commons/index.js';
import { ScriptSandbox, type HostEntry, type RunRequest } from '../../src/scripts/index.js';
import { ScriptCompiler } from '../../src/scripts/compile.js';
import { rejection } from './fixtures.js';

// A minimal API of our own: the sandbox knows nothing about the script API.
const INSTALL = `function (hostCall, global) {
  global.call = (op, ...args) => hostCall(op, args);
  return (data) => { global.data = data; };
}`;

const echoHost: HostEntry = async (op, args) => {
  await delay(1);
  if (op === 'fail') throw new ScadaLinkError('NOPE', 'no', { details: { why: 'test' } });
  return { op, args };
};

const sandbox = new ScriptSandbox({ memoryMb: 32, install: INSTALL, warmIsolates: 2, surplusIdleMs: 50 });
afterAll(() => sandbox.dispose());

function run(source: string, extra: Partial<RunRequest> = {}) {
  return sandbox.run({ source, timeoutMs: 1_000, host: echoHost, ...extra });
}

describe('run outcomes', () => {
  it('passes run data in and JSON values both ways', async () => {
    expect(await run(`return [data, await call('op', 1, 'two', { three: [3] })];`, { data: { x: 1 } })).toEqual([
      { x: 1 },
      { op: 'op', args: [1, 'two', { three: [3] }] },
    ]);
    expect(await run(`return;`)).toBeUndefined();
    expect(await run(`return new Date(0);`)).toBe('1970-01-01T00:00:00.000Z');
  });

  it('a thrown error becomes SCRIPT_ERROR with the message and the script line', async () => {
    const err = await rejection(run(`const a = 1;\nfunction f() {\n  throw new TypeError('bad ' + a);\n}\nf();`));
    expect(err.code).toBe('SCRIPT_ERROR');
    expect(err.message).toBe('bad 1');
    expect(err.details).toMatchObject({ errorName: 'TypeError', line: 3, column: 9 });
    const stack = err.details['scriptStack'] as string;
    expect(stack.split('\n')[0]).toBe('TypeError: bad 1');
    expect(stack).toMatch(/script\.js:3:9/);
    expect(stack).toMatch(/script\.js:5:1/);
    expect(stack).not.toMatch(/bootstrap/);
  });

  it('names the filename given by the caller', async () => {
    const err = await rejection(run(`throw new Error('x');`, { filename: 'Pump1/OnAlarm.js' }));
    expect(err.details['scriptStack']).toMatch(/Pump1\/OnAlarm\.js:1:7/);
  });

  it('non-error throws and non-JSON results are script errors', async () => {
    expect((await rejection(run(`throw 'just a string';`))).message).toBe('the script threw a non-error value: just a string');
    expect((await rejection(run(`return 10n;`))).message).toMatch(/^the script returned a value that is not JSON/);
    const cyclic = await rejection(run(`const a = {}; a.a = a; return a;`));
    expect(cyclic.code).toBe('SCRIPT_ERROR');
  });

  it('host errors keep their code and details', async () => {
    const err = await rejection(run(`await call('fail');`));
    expect(err.code).toBe('NOPE');
    expect(err.details).toMatchObject({ why: 'test', line: 1 });
  });

  it('syntax errors are SCRIPT_COMPILE with the author’s position, for JS and TS', async () => {
    const js = await rejection(run(`const a = 1;\nconst a = 2;`));
    expect(js.code).toBe('SCRIPT_COMPILE');
    expect(js.details).toMatchObject({ line: 2 });
    expect(js.message).toMatch(/^script\.js:2:\d+: Identifier 'a' has already been declared$/);
    const ts = await rejection(run(`const a: number = 1;\nconst b = (a + ;`, { language: 'ts' }));
    expect(ts.code).toBe('SCRIPT_COMPILE');
    expect(ts.details).toMatchObject({ line: 2 });
  });

  it('the invoke wrapper cannot be re-entered by the script', async () => {
    expect(
      await run(`try { await __scadalink_invoke(async () => 1); return 'reentered'; } catch (e) { return e.message; }`),
    ).toBe('a context runs one script');
  });
});

describe('reuse', () => {
  it('compiles each distinct source once', async () => {
    const compiler = new ScriptCompiler(2);
    const a = compiler.compile({ source: 'return 1', language: 'ts' });
    expect(compiler.compile({ source: 'return 1', language: 'ts' })).toBe(a);
    expect(compiler.compile({ source: 'return 1', language: 'js' })).not.toBe(a);
    await compiler.compile({ source: 'return 2' });
    await compiler.compile({ source: 'return 3' });
    // Capacity 2: the oldest entry was evicted.
    expect(compiler.compile({ source: 'return 1', language: 'ts' })).not.toBe(a);
  });

  it('reuses warm isolates and keeps warmIsolates once a burst has idled out', async () => {
    for (let i = 0; i < 20; i++) expect(await run(`return ${i};`)).toBe(i);
    expect(sandbox.isolates).toBeLessThanOrEqual(2);
    const many = await Promise.all(Array.from({ length: 5 }, (_, i) => run(`await call('x'); return ${i};`)));
    expect(many).toEqual([0, 1, 2, 3, 4]);
    await vi.waitFor(() => expect(sandbox.isolates).toBe(2), { timeout: 5_000, interval: 10 });
  });

  it('queues runs beyond maxIsolates', async () => {
    const small = new ScriptSandbox({ memoryMb: 16, install: INSTALL, maxIsolates: 2 });
    try {
      const slowHost: HostEntry = () => delay(100).then(() => 1);
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: 4 }, () => small.run({ source: `return call('slow');`, timeoutMs: 2_000, host: slowHost })),
      );
      expect(results).toEqual([1, 1, 1, 1]);
      expect(small.isolates).toBeLessThanOrEqual(2);
      expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    } finally {
      small.dispose();
    }
  });
});

describe('disposal', () => {
  it('fails runs in progress and refuses new ones', async () => {
    const doomed = new ScriptSandbox({ memoryMb: 16, install: INSTALL });
    let entered!: () => void;
    const waiting = new Promise<void>((resolve) => (entered = resolve));
    const never: HostEntry = () => {
      entered();
      return new Promise(() => undefined);
    };
    const inFlight = rejection(doomed.run({ source: `await call('wait');`, timeoutMs: 5_000, host: never }));
    await waiting;
    doomed.dispose();
    expect((await inFlight).code).toBe('SCRIPT_SANDBOX_DISPOSED');
    const after = await rejection(doomed.run({ source: 'return 1', timeoutMs: 100, host: never }));
    expect(after.code).toBe('SCRIPT_SANDBOX_DISPOSED');
  });
});

describe('preparation', () => {
  it('an install that throws fails each run with SCRIPT_ERROR naming the cause, not a memory kill', async () => {
    const broken = new ScriptSandbox({ memoryMb: 16, install: `function () { throw new Error('broken install'); }`, warmIsolates: 0 });
    try {
      const err = await rejection(broken.run({ source: 'return 1', timeoutMs: 1_000, host: async () => 1 }));
      expect(err.code).toBe('SCRIPT_ERROR');
      expect(err.message).toBe('the script sandbox could not be prepared: broken install');
    } finally {
      broken.dispose();
    }
  });
});
