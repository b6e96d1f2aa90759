// Exact isolation between runs on one warm isolate: whatever a run changes
// (globals, built-in prototypes, JSON, Promise, the API objects) is gone for
// the next run, of another script or of the same one. Each run gets a fresh
// context on the reused isolate; these tests pin that down whatever the
// reuse design.
import { afterAll, describe, expect, it } from 'vitest';
import { ScriptRuntime } from '../../src/scripts/index.js';
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
};`;

const POLLUTE = `${OBSERVE}
globalThis.leakedGlobal = 'left behind';
var leakedVar = 'left behind too';
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
};

function run(source: string) {
  return rt.run({ source, timeoutMs: 2_000, parameters: { n: 1 }, host: new TestHost().host });
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
    expect(other['globalKeys']).toEqual(first['globalKeys']);

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
});
