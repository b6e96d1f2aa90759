import { afterAll, describe, expect, it } from 'vitest';
import { isTrackedOperationId } from '../../src/commons/index.js';
import {
  HOST_OP_SIGNATURES,
  ScriptRuntime,
  checkHostArgs,
  type HostOp,
  type JsonObject,
} from '../../src/scripts/index.js';
import { TestHost, rejection } from './fixtures.js';

const rt = new ScriptRuntime({ memoryMb: 32 });
afterAll(() => rt.dispose());

function run(source: string, opts: { host?: TestHost; parameters?: JsonObject; language?: 'js' | 'ts' } = {}) {
  const host = opts.host ?? new TestHost();
  return rt.run({
    source,
    timeoutMs: 2_000,
    host: host.host,
    ...(opts.parameters === undefined ? {} : { parameters: opts.parameters }),
    ...(opts.language === undefined ? {} : { language: opts.language }),
  });
}

describe('script API round trips', () => {
  it('ExternalSystem.Call sends typed arguments and returns the host result', async () => {
    const host = new TestHost();
    const result = await run(
      `const r = await ExternalSystem.Call('erp', 'getOrder', { id: Parameters.id, tags: ['a'] });
       return { method: r.method, echo: r.echo, proto: Object.getPrototypeOf(r) === Object.prototype };`,
      { host, parameters: { id: 7 } },
    );
    expect(result).toEqual({ method: 'getOrder', echo: { id: 7, tags: ['a'] }, proto: true });
    expect(host.calls).toEqual([{ op: 'ExternalSystem.Call', args: ['erp', 'getOrder', { id: 7, tags: ['a'] }] }]);
  });

  it('CachedCall, CachedWrite and Notify return TrackedOperationIds that Tracking.Status and Notify.Status answer', async () => {
    const host = new TestHost();
    const result = (await run(
      `const api = await ExternalSystem.CachedCall('erp', 'postOrder', { qty: 3 });
       const db = await Database.CachedWrite('mes', 'INSERT INTO t VALUES (?)', [1]);
       const mail = await Notify.To('operators').Send('Tank high', 'Level is ' + 99);
       const s1 = await Tracking.Status(api);
       const s2 = await Notify.Status(mail);
       const unknown = await Tracking.Status('0190a1b2-0000-7000-8000-000000000000');
       return { ids: [api, db, mail], s1: s1.Status, s2: s2.TrackedOperationId === mail, unknown };`,
      { host },
    )) as { ids: string[]; s1: string; s2: boolean; unknown: null };
    expect(result.ids.every(isTrackedOperationId)).toBe(true);
    expect(result).toMatchObject({ s1: 'Delivered', s2: true, unknown: null });
    expect(host.calls.map((c) => c.op)).toEqual([
      'ExternalSystem.CachedCall',
      'Database.CachedWrite',
      'Notify.Send',
      'Tracking.Status',
      'Tracking.Status',
      'Tracking.Status',
    ]);
    expect(host.calls[2]).toEqual({ op: 'Notify.Send', args: ['operators', 'Tank high', 'Level is 99'] });
  });

  it('Database.Connection gives Query/Execute/CallProcedure and transactions over handles', async () => {
    const host = new TestHost();
    const result = await run(
      `const db = await Database.Connection('mes');
       const rows = await db.Query('SELECT * FROM t WHERE id = @id', { id: 1 });
       const n = await db.Execute('UPDATE t SET x = 1');
       const proc = await db.CallProcedure('sp_report', { day: '2024-01-01' });
       const tx = await db.BeginTransaction();
       await tx.Execute('INSERT INTO a VALUES (?)', [1]);
       const inTx = await tx.Query('SELECT 1');
       await tx.Commit();
       const tx2 = await db.BeginTransaction();
       await tx2.Rollback();
       return { rows, n, proc, inTxHandle: inTx[0].handle, keys: Object.keys(tx).sort() };`,
      { host },
    );
    expect(result).toEqual({
      rows: [{ handle: 'db:mes:1', sql: 'SELECT * FROM t WHERE id = @id', params: { id: 1 } }],
      n: 1,
      proc: { procedure: 'sp_report', out: 7 },
      inTxHandle: 'tx:db:mes:1:2',
      keys: ['Commit', 'Execute', 'Query', 'Rollback'],
    });
    expect(host.executed).toEqual(['db:mes:1 UPDATE t SET x = 1', 'tx:db:mes:1:2 INSERT INTO a VALUES (?)']);
    expect(host.calls.find((c) => c.op === 'Database.Execute')?.args[2]).toEqual([]);
    expect(host.openTransactions.size).toBe(0);
  });

  it('Instance attributes, Scripts.Call and log reach the host', async () => {
    const host = new TestHost();
    const result = await run(
      `const before = await Instance.GetAttribute('Level');
       await Instance.SetAttribute('Setpoint', { value: before + 1, unit: 'm' });
       const shared = await Scripts.Call('Common.Scale', { x: 2 });
       log.info('level ' + before);
       log.warn({ high: true });
       await log.error('done');
       return { before, shared };`,
      { host },
    );
    expect(result).toEqual({ before: 42, shared: { called: 'Common.Scale', params: { x: 2 } } });
    expect(host.attributes.get('Setpoint')).toEqual({ value: 43, unit: 'm' });
    // The two un-awaited log calls finished before the run settled.
    expect(host.logs).toEqual([
      ['info', 'level 42'],
      ['warn', '{"high":true}'],
      ['error', 'done'],
    ]);
  });

  it('issue 11 point 4: Route.To(instance) gives Call, GetAttribute(s) and SetAttribute(s) over three host ops; bad arguments are TypeErrors', async () => {
    const host = new TestHost();
    const result = await run(
      `const pump = Route.To('Pump1');
       const called = await pump.Call('hello', { n: 1 });
       const one = await pump.GetAttribute('Speed');
       const many = await pump.GetAttributes(['Speed', 'Mode']);
       await pump.SetAttribute('Speed', 5);
       await pump.SetAttributes({ Mode: 'auto', Running: true });
       const errors = [];
       for (const f of [() => Route.To(''), () => Route.To(7)]) { try { f(); } catch (e) { errors.push(e.constructor.name); } }
       for (const f of [() => pump.GetAttributes('Speed'), () => pump.GetAttributes(['ok', 3]), () => pump.SetAttributes([1])]) {
         try { await f(); } catch (e) { errors.push(e.constructor.name); }
       }
       return { called, one, many, errors };`,
      { host },
    );
    expect(result).toEqual({
      called: { routed: 'Pump1', script: 'hello' },
      one: 'Pump1.Speed',
      many: { Speed: 'Pump1.Speed', Mode: 'Pump1.Mode' },
      errors: ['TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError'],
    });
    expect(host.calls).toEqual([
      { op: 'Route.Call', args: ['Pump1', 'hello', { n: 1 }] },
      { op: 'Route.GetAttributes', args: ['Pump1', ['Speed']] },
      { op: 'Route.GetAttributes', args: ['Pump1', ['Speed', 'Mode']] },
      { op: 'Route.SetAttributes', args: ['Pump1', { Speed: 5 }] },
      { op: 'Route.SetAttributes', args: ['Pump1', { Mode: 'auto', Running: true }] },
    ]);
  });

  it('a run settles only after host calls it did not await have completed', async () => {
    const host = new TestHost();
    await run(`ExternalSystem.Call('slow', 'fireAndForget', {}); return 1;`, { host });
    expect(host.calls).toHaveLength(1);
    expect(host.completed).toBe(1);
  });

  it('exposes PascalCase names only', async () => {
    const result = await run(
      `return [typeof ExternalSystem.call, typeof Database.connection, typeof Notify.to, typeof Instance.getAttribute,
               typeof Tracking.status, typeof Scripts.call, Object.keys(log).sort().join(','),
               typeof ExternalSystem.Call, typeof Notify.To('x').Send];`,
    );
    expect(result).toEqual([
      'undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'undefined',
      'error,info,warn', 'function', 'function',
    ]);
  });
});

describe('host errors', () => {
  it('a script can catch a host error and read its code and details', async () => {
    const result = await run(
      `try {
         await ExternalSystem.CachedCall('fail', 'postOrder', {});
         return 'not thrown';
       } catch (e) {
         return { isError: e instanceof Error, name: e.name, code: e.code, message: e.message,
                  id: e.trackedOperationId, classification: e.classification, httpStatus: e.httpStatus,
                  details: e.details, frozen: Object.isFrozen(e.details),
                  stackNamesLine: /script\\.js:2:/.test(e.stack) };
       }`,
    );
    expect(result).toMatchObject({
      isError: true,
      name: 'ScadaLinkError',
      code: 'HTTP_PERMANENT',
      message: 'order rejected',
      classification: 'permanent',
      httpStatus: 409,
      frozen: true,
      stackNamesLine: true,
    });
    const r = result as { id: string; details: Record<string, unknown> };
    expect(isTrackedOperationId(r.id)).toBe(true);
    expect(r.details).toEqual({ trackedOperationId: r.id, classification: 'permanent', httpStatus: 409 });
  });

  it('an uncaught host error fails the run with the host code, details and script line', async () => {
    const err = await rejection(run(`const x = 1;\nawait ExternalSystem.Call('fail', 'post', { x });\nreturn x;`));
    expect(err.code).toBe('HTTP_PERMANENT');
    expect(err.message).toBe('post rejected: 422 Unprocessable Entity');
    expect(err.details).toMatchObject({
      trackedOperationId: 'not-cached',
      system: 'fail',
      classification: 'permanent',
      httpStatus: 422,
      line: 2,
    });
  });

  it('a host failure that is not a ScadaLinkError arrives as HOST_ERROR', async () => {
    const err = await rejection(run(`await ExternalSystem.Call('crash', 'x', {});`));
    expect(err.code).toBe('HOST_ERROR');
    expect(err.message).toBe('socket hang up');
  });

  it('bad arguments are a TypeError in the script and never reach the host', async () => {
    const host = new TestHost();
    const result = await run(
      `const out = [];
       for (const f of [() => ExternalSystem.Call(42, 'm'), () => Database.Connection(''),
                        () => ExternalSystem.Call('erp', 'm', [1]), () => Instance.SetAttribute('a', 10n)]) {
         try { await f(); out.push('ok'); } catch (e) { out.push(e.constructor.name); }
       }
       try { Notify.To(null); } catch (e) { out.push(e.constructor.name); }
       return out;`,
      { host },
    );
    expect(result).toEqual(['TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError']);
    expect(host.calls).toEqual([]);
  });

  it('the host re-checks op names and argument shapes (the isolate is untrusted)', () => {
    expect(checkHostArgs('ExternalSystem.Call', ['erp', 'get', {}])).toBeUndefined();
    expect(checkHostArgs('ExternalSystem.Call', ['erp', 'get'])).toMatch(/takes 3 argument/);
    expect(checkHostArgs('Database.Query', ['h', 'SELECT 1', 'x'])).toMatch(/argument 3 must be params/);
    expect(checkHostArgs('Log', ['debug', 'x'])).toMatch(/argument 1 must be level/);
    expect(checkHostArgs('Route.GetAttributes', ['Pump1', ['a', 2]])).toMatch(/argument 2 must be names/);
    expect(checkHostArgs('Route.Call', ['', 'hello', {}])).toMatch(/argument 1 must be handle/);
    const ops: HostOp[] = [
      'ExternalSystem.Call', 'ExternalSystem.CachedCall', 'Database.Open', 'Database.Query', 'Database.Execute',
      'Database.Begin', 'Database.Commit', 'Database.Rollback', 'Database.CallProcedure', 'Database.CachedWrite',
      'Tracking.Status', 'Notify.Send', 'Instance.GetAttribute', 'Instance.SetAttribute', 'Scripts.Call', 'Log',
      'Route.Call', 'Route.GetAttributes', 'Route.SetAttributes',
    ];
    expect(Object.keys(HOST_OP_SIGNATURES).sort()).toEqual([...ops].sort());
  });
});

describe('script forms', () => {
  it('runs TypeScript with types, enums, top-level await and return', async () => {
    const result = await run(
      `interface Order { id: number; qty: number }
enum Priority { Low = 1, High = 2 }
type Reply = { echo: Order };
const order: Order = { id: Parameters.id as number, qty: 3 };
const reply = (await ExternalSystem.Call('erp', 'post', { ...order })) as Reply;
function total<T extends Order>(o: T): number { return o.qty * Priority.High; }
return { id: reply.echo.id, total: total(order) };`,
      { language: 'ts', parameters: { id: 9 } },
    );
    expect(result).toEqual({ id: 9, total: 6 });
  });

  it('maps a TypeScript error to the line the author wrote', async () => {
    const err = await rejection(
      run(
        `interface A {\n  a: number;\n}\n\ntype B = string;\nconst a: A = { a: 1 };\nif (a.a === 1) throw new RangeError('bad a');\nreturn a;`,
        { language: 'ts' },
      ),
    );
    expect(err.code).toBe('SCRIPT_ERROR');
    expect(err.message).toBe('bad a');
    expect(err.details).toMatchObject({ errorName: 'RangeError', line: 7 });
    expect(err.details['scriptStack']).toMatch(/script\.ts:7:/);
  });

  it('gives Parameters as a deep-frozen copy', async () => {
    const parameters = { limit: 5, nested: { tags: ['a'] } };
    const result = await run(
      `const tries = [];
       for (const f of [() => { 'use strict'; Parameters.limit = 6; }, () => { 'use strict'; Parameters.nested.tags.push('b'); },
                        () => { 'use strict'; Parameters = {}; }]) {
         try { f(); tries.push('changed'); } catch (e) { tries.push(e.constructor.name); }
       }
       return { tries, frozen: Object.isFrozen(Parameters) && Object.isFrozen(Parameters.nested.tags), p: Parameters };`,
      { parameters },
    );
    expect(result).toEqual({ tries: ['TypeError', 'TypeError', 'TypeError'], frozen: true, p: parameters });
    expect(parameters).toEqual({ limit: 5, nested: { tags: ['a'] } });
    expect(Object.isFrozen(parameters)).toBe(false);
  });
});
