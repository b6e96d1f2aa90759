// Exact isolation between runs on one warm isolate: whatever a run changes
// (globals, built-in prototypes, JSON, Promise, the API objects) is gone for
// the next run, of another script or of the same one. Every run on an isolate
// shares its one context (hardened once, reset per run); with one isolate
// allowed, every run below lands on the same isolate and context, which the
// tests check through isolateStats.
import { afterAll, describe, expect, it } from 'vitest';
import { ScriptRuntime, type JsonObject } from '../../src/scripts/index.js';
import { TestHost } from './fixtures.js';

// One isolate, kept warm: every run below runs on it.
const rt = new ScriptRuntime({ memoryMb: 32, maxIsolates: 1, warmIsolates: 1 });
afterAll(() => rt.dispose());

// What a script sees of the shared world; pristine values noted beside each.
const OBSERVE = `const seen = {
  leakedGlobal: typeof leakedGlobal,                 // 'undefined'
  leakedVar: typeof leakedVar,                       // 'undefined'
  arrayExtra: [].evil,                               // undefined
  arrayMap: [1, 2].map((x) => x * 10),               // [10, 20]
  objectExtra: ({}).polluted,                        // undefined
  json: JSON.stringify({ a: 1 }),                    // '{"a":1}'
  jsonParse: JSON.parse('[1]'),                      // [1]
  promiseAll: Object.getOwnPropertyNames(Promise).includes('hijacked'), // false
  promiseResolve: Promise.resolve === Object.getPrototypeOf(Promise.resolve(1)).constructor.resolve,
  promiseThenNative: /native code/.test(String(Promise.prototype.then)),
  externalCall: /hostCall/.test(String(ExternalSystem.Call)),
  instanceExtra: Instance.extra,                      // undefined
  logInfo: typeof log.info,                          // 'function'
  parameters: Parameters,
  globalKeys: Object.keys(globalThis).sort(),
  ownNames: Object.getOwnPropertyNames(globalThis).length,
  ownSymbols: Object.getOwnPropertySymbols(globalThis).length,
  definedGlobal: typeof definedGlobal,                // 'undefined'
  evalVar: typeof evalVar,                            // 'undefined'
  evalFunction: typeof evalFunction,                  // 'undefined'
  promiseThen: Promise.prototype.then.name,           // 'then'
  callExtra: ExternalSystem.Call.extra,               // undefined
  logExtra: log.info.extra,                           // undefined
  functionCall: Function.prototype.call.name,         // 'call'
};`;

const POLLUTE = `${OBSERVE}
globalThis.leakedGlobal = 'left behind';
var leakedVar = 'left behind too';
Object.defineProperty(globalThis, 'definedGlobal', { value: 1, configurable: true });
globalThis[Symbol('leaked')] = 'symbol-keyed';
globalThis[Symbol.for('leaked')] = 'registered symbol-keyed';
(0, eval)('var evalVar = 1; function evalFunction() { return 2; }');
Function.prototype.call = function () { return 'patched call'; };
Array.prototype.evil = 'evil';
Array.prototype.map = function () { return 'patched map'; };
Object.prototype.polluted = true;
JSON.stringify = () => '"hijacked"';
JSON.parse = () => 'hijacked';
Promise.hijacked = true;
Promise.resolve = () => 'hijacked';
Promise.prototype.finally = () => 'hijacked';
// The API objects are frozen and non-writable: each attempt fails, silently or with a TypeError.
const attempts = [
  () => { ExternalSystem.Call = async () => 'hijacked'; },
  () => { Instance.extra = 'hijacked'; },
  () => { log.info = () => 'hijacked'; },
  () => { globalThis.ExternalSystem = { Call: async () => 'hijacked' }; },
  () => { Object.defineProperty(globalThis, 'Notify', { value: 'hijacked' }); },
  () => { delete globalThis.Database; },
  () => { Object.setPrototypeOf(Instance, { extra: 'hijacked' }); },
  () => { ExternalSystem.Call.extra = 'hijacked'; },
  () => { log.info.extra = 'hijacked'; },
  () => { Promise.prototype.then = function () { return 'hijacked'; }; },
  () => { Object.defineProperty(Promise.prototype, 'then', { value: () => 'hijacked' }); },
  () => { Parameters.n = 99; },
  () => { Object.defineProperty(globalThis, 'Parameters', { value: { n: 99 } }); },
];
for (const attempt of attempts) { try { attempt(); } catch (e) { /* refused */ } }
return seen;`;

const PRISTINE = {
  leakedGlobal: 'undefined',
  leakedVar: 'undefined',
  arrayMap: [10, 20],
  json: '{"a":1}',
  jsonParse: [1],
  promiseAll: false,
  promiseResolve: true,
  promiseThenNative: true,
  externalCall: true,
  logInfo: 'function',
  parameters: { n: 1 },
  definedGlobal: 'undefined',
  evalVar: 'undefined',
  evalFunction: 'undefined',
  promiseThen: 'then',
  functionCall: 'call',
};

function run(source: string, parameters: JsonObject = { n: 1 }, host = new TestHost()) {
  return rt.run({ source, timeoutMs: 2_000, parameters, host: host.host });
}

describe('isolation between runs on one warm isolate', () => {
  it('a run that writes globals and patches Array, Object, JSON, Promise and the API leaves the next runs of another script and of itself pristine', async () => {
    const first = (await run(POLLUTE)) as Record<string, unknown>;
    expect(first).toMatchObject(PRISTINE);
    const created = rt.isolateStats.created;
    expect(created).toBe(1);

    const other = (await run(`${OBSERVE}\nreturn seen;`)) as Record<string, unknown>;
    expect(other).toMatchObject(PRISTINE);
    expect(other).not.toHaveProperty('arrayExtra');
    expect(other).not.toHaveProperty('objectExtra');
    expect(other).not.toHaveProperty('instanceExtra');
    expect(other).not.toHaveProperty('callExtra');
    expect(other).not.toHaveProperty('logExtra');
    expect(other['globalKeys']).toEqual(first['globalKeys']);
    expect([other['ownNames'], other['ownSymbols']]).toEqual([first['ownNames'], first['ownSymbols']]);

    const again = (await run(POLLUTE)) as Record<string, unknown>;
    expect(again).toEqual(first);

    // The same isolate served all three runs: none was created or disposed in between.
    expect(rt.isolateStats).toEqual({ created: 1, disposed: 0 });
    expect(rt.isolates).toBe(1);
  });

  it('the polluted run itself ends normally with its own result (the protocol does not depend on what it patched)', async () => {
    const result = await run(`JSON.stringify = () => 'x'; JSON.parse = () => 'y'; Promise.prototype.then = () => 'z'; return { fine: [1, 2] };`);
    expect(result).toEqual({ fine: [1, 2] });
    expect(await run(`return JSON.stringify([Promise.prototype.then === Promise.prototype.then, 1]);`)).toBe('[true,1]');
    expect(rt.isolateStats).toEqual({ created: 1, disposed: 0 });
  });

  it('a custom Error subclass that sets this.name, and code that reassigns e.message, work on the hardened built-ins', async () => {
    const result = await run(`class MyError extends Error {
        constructor(message) { super(message); this.name = 'MyError'; this.code = 'E_MINE'; }
      }
      function Legacy(message) { this.message = message; }
      Legacy.prototype = Object.create(Error.prototype);
      Legacy.prototype.name = 'Legacy';
      Legacy.prototype.constructor = Legacy;
      const e = new MyError('first');
      e.message = 'second';
      const plain = new TypeError('x');
      plain.name = 'Renamed';
      const l = new Legacy('old style');
      return [String(e), e instanceof MyError, e instanceof Error, e.code, String(plain), String(l), l instanceof Error,
              Error.prototype.name, TypeError.prototype.name];`);
    expect(result).toEqual(['MyError: second', true, true, 'E_MINE', 'Renamed: x', 'Legacy: old style', true, 'Error', 'TypeError']);
    const err = await run(`class MyError extends Error { constructor(m) { super(m); this.name = 'MyError'; } }\nthrow new MyError('bad');`).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SCRIPT_ERROR', message: 'bad', details: { errorName: 'MyError', line: 2 } });
    expect(rt.isolateStats).toEqual({ created: 1, disposed: 0 });
  });

  it("RegExp's legacy statics ($1, lastMatch, input) do not exist, so the last match of a run does not leak", async () => {
    const first = await run(`/(s[a-z]+t)/.exec('my secret'); 'other secret'.replace(/(secret)/, '$1');
      return [typeof RegExp.$1, typeof RegExp.lastMatch, typeof RegExp.input, typeof RegExp['$&'], /(s[a-z]+t)/.exec('a secret')[1]];`);
    expect(first).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'secret']);
    expect(await run(`return [RegExp.$1, RegExp.lastMatch, RegExp.leftContext, Object.getOwnPropertyNames(RegExp).filter((k) => k.startsWith('$'))];`))
      .toEqual([null, null, null, []]);
    expect(rt.isolateStats).toEqual({ created: 1, disposed: 0 });
  });

  it('an un-awaited host call or promise chain of an ended run never executes during a later run', async () => {
    const ended = new TestHost();
    // The chain outlives its run (200 microtask turns after the body returned),
    // then tries the host and writes a global and Object.prototype.
    await run(`(async () => {
        for (let i = 0; i < 200; i++) await null;
        globalThis.lateGlobal = 'late';
        Object.prototype.lateProto = 'late';
        try { await ExternalSystem.Call('erp', 'late', {}); globalThis.lateCall = 'served'; }
        catch (e) { globalThis.lateCall = e.code; }
      })();
      return 1;`, { n: 1 }, ended);
    const later = new TestHost();
    const seen = await run(`const r = await ExternalSystem.Call('erp', 'mine', {});
      return [typeof lateGlobal, typeof lateCall, ({}).lateProto, r.method];`, { n: 2 }, later);
    expect(seen).toEqual(['undefined', 'undefined', null, 'mine']);
    expect(ended.calls).toEqual([]);
    expect(later.calls.map((c) => c.op === 'ExternalSystem.Call' && c.args[1])).toEqual(['mine']);
    expect(rt.isolateStats).toEqual({ created: 1, disposed: 0 });
  });

  it('no method a run patched on the writable built-ins is called while they are put back', async () => {
    // Any call of these after the run would leave a global that cannot be
    // deleted, and the isolate would be discarded.
    const trap = `function () { Object.defineProperty(globalThis, 'calledAfterTheRun', { value: true }); return false; }`;
    await run(`Object.prototype.added = 1; Array.prototype.added = 1; Function.prototype.added = 1; JSON.added = 1;
      Array.prototype.includes = ${trap}; Array.prototype.map = ${trap}; Array.prototype.forEach = ${trap};
      Function.prototype.call = ${trap}; Function.prototype.apply = ${trap}; JSON.parse = ${trap}; JSON.stringify = ${trap};
      Object.prototype.hasOwnProperty = ${trap};
      return 1;`);
    expect(await run(`return [typeof calledAfterTheRun, [].includes.name, ({}).added, [].added, JSON.added, Parameters.n];`, { n: 3 }))
      .toEqual(['undefined', 'includes', null, null, null, 3]);
    expect(rt.isolateStats).toEqual({ created: 1, disposed: 0 });
  });

  it("Parameters differ per run: each run sees its own, deep-frozen", async () => {
    const source = `return [Parameters.n, Object.isFrozen(Parameters), Object.getOwnPropertyDescriptor(globalThis, 'Parameters').configurable];`;
    expect(await run(source, { n: 1 })).toEqual([1, true, false]);
    expect(await run(source, { n: 2 })).toEqual([2, true, false]);
    expect(await run(`return Parameters;`, {})).toEqual({});
    expect(rt.isolateStats).toEqual({ created: 1, disposed: 0 });
  });
});

describe('a run that leaves something that cannot be put back', () => {
  it('a non-deletable global gets the isolate discarded after that run, and the next run a clean one', async () => {
    const own = new ScriptRuntime({ memoryMb: 32, maxIsolates: 1, warmIsolates: 1 });
    try {
      const host = new TestHost().host;
      expect(await own.run({ source: `Object.defineProperty(globalThis, 'stuck', { value: 1 }); return typeof stuck;`, timeoutMs: 2_000, host }))
        .toBe('number');
      expect(await own.run({ source: `return typeof stuck;`, timeoutMs: 2_000, host })).toBe('undefined');
      expect(own.isolateStats).toEqual({ created: 2, disposed: 1 });
    } finally {
      own.dispose();
    }
  });

  it('a built-in made impossible to restore (Array.prototype sealed) is found before the next run, which runs on a fresh isolate', async () => {
    const own = new ScriptRuntime({ memoryMb: 32, maxIsolates: 1, warmIsolates: 1 });
    try {
      const host = new TestHost().host;
      expect(await own.run({ source: `Array.prototype.push = () => 0; Object.seal(Array.prototype); return 1;`, timeoutMs: 2_000, host })).toBe(1);
      const next = await own.run({ source: `const a = []; a.push(1); return [a.length, Object.isExtensible(Array.prototype)];`, timeoutMs: 2_000, host });
      expect(next).toEqual([1, true]);
      expect(own.isolateStats).toEqual({ created: 2, disposed: 1 });
    } finally {
      own.dispose();
    }
  });
});
