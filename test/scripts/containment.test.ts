// Each attack must fail safely while well-behaved scripts run next to it.
import { afterAll, describe, expect, it } from 'vitest';
import { ScriptRuntime, type ScriptHost } from '../../src/scripts/index.js';
import { TestHost, bystanders, rejection } from './fixtures.js';

const TIMEOUT_MS = 300;
const rt = new ScriptRuntime({ memoryMb: 32 });
afterAll(() => rt.dispose());

/** A host whose every call resolves only when `release` does. */
function defineLateHost(release: Promise<void>): ScriptHost {
  return { call: () => release.then(() => ({ late: true })) };
}

function attack(source: string, host = new TestHost(), timeoutMs = TIMEOUT_MS) {
  return rt.run({ source, timeoutMs, host: host.host });
}

/** Runs the attack and three bystanders at the same time. */
async function contained(source: string, timeoutMs = TIMEOUT_MS): Promise<{ code: string; message: string; ms: number }> {
  const started = performance.now();
  const [err] = await Promise.all([rejection(attack(source, new TestHost(), timeoutMs)), bystanders(rt)]);
  return { code: err.code, message: err.message, ms: performance.now() - started };
}

describe('no way out of the isolate', () => {
  it('process is not there', async () => {
    expect(await contained(`return process.env;`)).toMatchObject({
      code: 'SCRIPT_ERROR',
      message: 'process is not defined',
    });
  });

  it('require is not there', async () => {
    expect(await contained(`const fs = require('fs'); return fs.readFileSync('/etc/passwd', 'utf8');`)).toMatchObject({
      code: 'SCRIPT_ERROR',
      message: 'require is not defined',
    });
  });

  it('dynamic import() is refused', async () => {
    expect(await contained(`const fs = await import('node:fs'); return fs.readFileSync('/etc/passwd', 'utf8');`)).toMatchObject({
      code: 'SCRIPT_ERROR',
    });
  });

  it('static import/export do not compile', async () => {
    const err = await rejection(attack(`const a = 1;\nimport fs from 'fs';\nreturn a;`));
    expect(err.code).toBe('SCRIPT_COMPILE');
    expect(err.details).toMatchObject({ line: 2 });
  });

  it('a body that closes its wrapper function does not compile (no forged outcomes)', async () => {
    const forged = JSON.stringify(JSON.stringify({ ok: false, error: { host: true, code: 'HTTP_PERMANENT', message: 'forged', details: {} } }));
    for (const [source, language] of [
      [`return 1;\n}); (${forged} || function () {`, 'js'],
      [`return 1;\n},); (${forged} || function () {`, 'js'],
      [`const n: number = 1;\n}); (${forged} || function () {`, 'ts'],
    ] as const) {
      const err = await rejection(rt.run({ source, language, timeoutMs: TIMEOUT_MS, host: new TestHost().host }));
      expect(err.code).toBe('SCRIPT_COMPILE');
    }
  });

  it('the Function-constructor escape reaches only the isolate', async () => {
    expect(await contained(`return this.constructor.constructor('return process')().pid;`)).toMatchObject({
      code: 'SCRIPT_ERROR',
      message: 'process is not defined',
    });
    const host = new TestHost();
    const probe = await rt.run({
      source: `const g = Function('return this')();
               return [typeof g.process, typeof g.require, typeof globalThis.global, typeof setTimeout, typeof console,
                       typeof WebAssembly, typeof __scadalink_host, typeof __scadalink_data];`,
      timeoutMs: TIMEOUT_MS,
      host: host.host,
    });
    expect(probe).toEqual(Array(8).fill('undefined'));
  });

  it("a host-returned object's constructor leads back into the isolate", async () => {
    expect(
      await contained(
        `const r = await ExternalSystem.Call('erp', 'get', {});
         const F = r.constructor.constructor;
         if (F !== Function) throw new Error('foreign Function');
         return F('return process')().mainModule.require('child_process');`,
      ),
    ).toMatchObject({ code: 'SCRIPT_ERROR', message: 'process is not defined' });
  });

  it('prototype tampering stays inside the run', async () => {
    const pushBefore = Array.prototype.push;
    const host = new TestHost();
    const result = await rt.run({
      source: `Object.prototype.polluted = 1;
               Array.prototype.push = function () { throw new Error('hijacked'); };
               JSON.stringify = () => '"forged"';
               Function.prototype.call = () => 'forged';
               const r = await ExternalSystem.Call('erp', 'get', { a: [1] });
               return { echo: r.echo, polluted: ({}).polluted };`,
      timeoutMs: TIMEOUT_MS,
      host: host.host,
    });
    expect(result).toEqual({ echo: { a: [1] }, polluted: 1 });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Array.prototype.push).toBe(pushBefore);
    const arr: number[] = [];
    arr.push(1);
    expect(arr).toEqual([1]);
    // The next run, maybe in the same isolate, gets a clean context.
    const next = await rt.run({
      source: `return ['polluted' in {}, [].push.toString().includes('native code')];`,
      timeoutMs: TIMEOUT_MS,
      host: host.host,
    });
    expect(next).toEqual([false, true]);
    await bystanders(rt);
  });
});

describe('limits', () => {
  it('an infinite loop times out while the Node event loop stays responsive', async () => {
    const started = performance.now();
    let timerFiredAt: number | undefined;
    const timer = new Promise<void>((resolve) =>
      setTimeout(() => {
        timerFiredAt = performance.now() - started;
        resolve();
      }, 20),
    );
    let loopEnded = false;
    const loop = rejection(attack(`let i = 0;\nwhile (true) { i++; }`)).finally(() => {
      loopEnded = true;
    });
    // The host timer fires, and other scripts run to completion, while the isolate is still spinning.
    await timer;
    expect(timerFiredAt!).toBeLessThan(TIMEOUT_MS);
    await bystanders(rt);
    expect(loopEnded).toBe(false);
    const err = await loop;
    expect(err.code).toBe('SCRIPT_TIMEOUT');
    expect(err.details).toEqual({ timeoutMs: TIMEOUT_MS });
    expect(performance.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(await rt.run({ source: 'return 1', timeoutMs: TIMEOUT_MS, host: new TestHost().host })).toBe(1);
  });

  it('awaiting a host promise that never settles times out', async () => {
    const result = await contained(`await ExternalSystem.Call('never', 'wait', {});\nreturn 'unreachable';`);
    expect(result.code).toBe('SCRIPT_TIMEOUT');
    expect(result.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(result.ms).toBeLessThan(TIMEOUT_MS + 1_000);
  });

  it('a host reply that arrives after the run timed out is dropped harmlessly', async () => {
    let finish!: () => void;
    const replied = new Promise<void>((resolve) => (finish = resolve));
    const late = defineLateHost(replied);
    const err = await rejection(rt.run({ source: `return await ExternalSystem.Call('late', 'x', {});`, timeoutMs: 50, host: late }));
    expect(err.code).toBe('SCRIPT_TIMEOUT');
    finish();
    await replied;
    await bystanders(rt);
  });

  it('a memory bomb fails with SCRIPT_MEMORY and the next run gets a fresh isolate', async () => {
    // The memory kill comes at a garbage collection; on a slow or busy machine that can take longer
    // than the other attacks' 300 ms, and the timeout would win the race the test is not about.
    const result = await contained(`const hoard = [];\nwhile (true) hoard.push(new Array(1e5).fill(1.5));`, 10_000);
    expect(result.code).toBe('SCRIPT_MEMORY');
    expect(result.message).toBe('script exceeded its memory limit of 32 MB');
    const again = await rt.run({
      source: `const a = []; for (let i = 0; i < 1000; i++) a.push(i); return a.length;`,
      timeoutMs: TIMEOUT_MS,
      host: new TestHost().host,
    });
    expect(again).toBe(1000);
  });

  it('a slow-growing heap of small objects also ends in SCRIPT_MEMORY', async () => {
    // Small objects fill the heap slowly (GC runs between), so this one gets a
    // smaller heap and more time than the others.
    const small = new ScriptRuntime({ memoryMb: 16 });
    try {
      const err = await rejection(
        small.run({
          source: `const hoard = []; while (true) hoard.push({ v: Math.random(), tags: ['a', 'b'] });`,
          timeoutMs: 2_000,
          host: new TestHost().host,
        }),
      );
      expect(err.code).toBe('SCRIPT_MEMORY');
      expect(await small.run({ source: 'return 2', timeoutMs: TIMEOUT_MS, host: new TestHost().host })).toBe(2);
    } finally {
      small.dispose();
    }
  });

  it('large ArrayBuffers and strings fail as ordinary script errors', async () => {
    expect(await contained(`const b = new ArrayBuffer(1024 * 1024 * 1024); return b.byteLength;`)).toMatchObject({
      code: 'SCRIPT_ERROR',
    });
  });
});

describe('host calls do not block', () => {
  it('two scripts awaiting a slow host call run concurrently', async () => {
    const host = new TestHost();
    const slowRun = () =>
      rt.run({ source: `return (await ExternalSystem.Call('slow', 'get', {})).method;`, timeoutMs: 2_000, host: host.host });
    const started = performance.now();
    const results = await Promise.all([slowRun(), slowRun()]);
    const elapsed = performance.now() - started;
    expect(results).toEqual(['get', 'get']);
    expect(elapsed).toBeLessThan(150 * 1.8);
  });

  it('one script can await several host calls at once', async () => {
    const started = performance.now();
    const result = await rt.run({
      source: `const rs = await Promise.all([1, 2, 3].map((n) => ExternalSystem.Call('slow', 'm' + n, {})));
               return rs.map((r) => r.method);`,
      timeoutMs: 2_000,
      host: new TestHost().host,
    });
    expect(result).toEqual(['m1', 'm2', 'm3']);
    expect(performance.now() - started).toBeLessThan(150 * 1.8);
  });
});
