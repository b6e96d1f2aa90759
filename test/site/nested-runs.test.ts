// Issue 10 point 6: runs started by a run (Scripts.Call) end with it and count
// against its time, and per-run limits bound nested calls, operations
// submitted and the size of what a run hands over. Real SiteRuntime, real
// isolates, a real loopback HTTP sink, a real SQLite file and a real (closed)
// SMTP port.
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/index.js';
import { type RunLimits, SiteRuntime } from '../../src/site/index.js';
import { ScriptedServer } from '../support/http.js';
import { tempDir } from '../support/index.js';
import { closedPort } from '../support/net.js';
import { writeProject } from '../support/project.js';

const call = (file: string, extra: object = {}) => ({ file, triggers: ['call'], ...extra });

function project(sinkUrl: string, smtpPort: number): object {
  return {
    sites: { plant1: {} },
    instances: {
      Pump1: {
        site: 'plant1',
        attributes: { Mode: { type: 'string', initial: 'auto' } },
        scripts: {
          fan: call('fan.js', { timeout: '1s' }),
          fanThrows: call('fan-throws.js'),
          fanKilled: call('fan-killed.js', { memoryMb: 16 }),
          waitThenHold: call('wait-then-hold.js', { timeout: '3s' }),
          warm: call('warm.js'),
          abandonThrows: call('abandon-throws.js'),
          abandonTimesOut: call('abandon-times-out.js', { timeout: '3s' }),
          abandonKilled: call('abandon-killed.js', { memoryMb: 16 }),
          burst: call('burst.js'),
          chain: call('chain.js'),
          ops: call('ops.js'),
          bigLog: call('big-log.js'),
          bigNested: call('big-nested.js'),
        },
      },
    },
    sharedScripts: {
      tree: { file: 'shared/tree.js' },
      hang: { file: 'shared/hang.js' },
      held: { file: 'shared/held.js' },
      double: { file: 'shared/double.js' },
      moreOps: { file: 'shared/more-ops.js' },
      big: { file: 'shared/big.js' },
    },
    externalSystems: {
      Slow: {
        baseUrl: sinkUrl,
        timeout: '30s',
        methods: {
          hold: { verb: 'POST', path: '/hold' },
          release: { verb: 'POST', path: '/release' },
          seen: { verb: 'POST', path: '/seen' },
          delay: { verb: 'POST', path: '/delay' },
          post: { verb: 'POST', path: '/post', parameters: { n: { type: 'number' } } },
        },
      },
    },
    databases: { Local: { driver: 'sqlite', file: 'local.db' } },
    notificationLists: { Operators: ['ops@plant.example'] },
    smtp: { host: '127.0.0.1', port: smtpPort, tls: 'None', fromAddress: 'plant1@plant.example', connectionTimeout: '1s', retryInterval: '1h' },
  };
}

// A run that ends while it still awaits a child: the child holds a request at the sink (`hold`) that is
// answered only when the test releases it; the parent goes on once the sink holds it (`seen`).
const abandon = (end: string) => `
  Scripts.Call('hang', {}).catch(() => undefined);
  await ExternalSystem.Call('Slow', 'seen', {});
  ${end}`;

const scripts = {
  'fan.js': `await Scripts.Call('tree', { level: 1 }); return 'finished';`,
  // The fan-out grows while the root waits 600 ms at the sink, then the root fails.
  'fan-throws.js': `Scripts.Call('tree', { level: 1 }).catch(() => undefined); await ExternalSystem.Call('Slow', 'delay', {}); throw new Error('root fails');`,
  'fan-killed.js': `
    Scripts.Call('tree', { level: 1 }).catch(() => undefined);
    await ExternalSystem.Call('Slow', 'delay', {});
    const heap = []; while (true) heap.push(new Array(100000).fill(Math.random()));`,
  // 3 wide, 6 deep below the root: 1,092 runs if nothing stops them.
  'shared/tree.js': `
    if (Parameters.level >= 6) { await ExternalSystem.Call('Slow', 'hold', {}); return 1; }
    const parts = await Promise.all([0, 1, 2].map(() => Scripts.Call('tree', { level: Parameters.level + 1 })));
    return parts.reduce((a, b) => a + b, 0);`,
  'wait-then-hold.js': `await ExternalSystem.Call('Slow', 'delay', {}); await Scripts.Call('held', {}); return 'held';`,
  // Starts the site's HTTP client thread, so that no test's timing includes it.
  'warm.js': `await ExternalSystem.Call('Slow', 'post', { n: 0 });`,
  'abandon-throws.js': abandon(`throw new Error('parent fails');`),
  'abandon-times-out.js': abandon(`await ExternalSystem.Call('Slow', 'hold', {});`),
  'abandon-killed.js': abandon(`const heap = []; while (true) heap.push(new Array(100000).fill(Math.random()));`),
  'shared/hang.js': `await ExternalSystem.Call('Slow', 'hold', {}); await Instance.SetAttribute('Mode', 'hang finished');`,
  'burst.js': `
    const outcomes = Array.from({ length: 20 }, () => Scripts.Call('held', {}).then(() => 'ok', (e) => e.code + ': ' + e.message));
    // Refusals come back at once; the calls let in wait at the sink until it is released.
    await Promise.race(outcomes);
    await ExternalSystem.Call('Slow', 'release', {});
    const first = await Promise.all(outcomes);
    // Calls that ended gave their places back.
    const again = await Promise.all(Array.from({ length: 8 }, () => Scripts.Call('held', {})));
    return { first, again: again.length };`,
  'shared/held.js': `await ExternalSystem.Call('Slow', 'hold', {}); return 1;`,
  'chain.js': `
    for (let i = 0; i < 150; i++) {
      try { await Scripts.Call('double', { x: i }); }
      catch (e) { return { made: i, code: e.code, message: e.message }; }
    }
    return { made: 150 };`,
  'shared/double.js': `return Parameters.x * 2;`,
  'ops.js': `
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await ExternalSystem.CachedCall('Slow', 'post', { n: i }));
    return { root: ids.length, nested: await Scripts.Call('moreOps', {}) };`,
  'shared/more-ops.js': `
    const tries = [
      () => Database.CachedWrite('Local', 'CREATE TABLE IF NOT EXISTS t (x)', {}),
      () => Notify.To('Operators').Send('level', 'high'),
      () => ExternalSystem.CachedCall('Slow', 'post', { n: 9 }),
      () => Database.CachedWrite('Local', 'CREATE TABLE IF NOT EXISTS t (x)', {}),
      () => Notify.To('Operators').Send('level', 'high'),
    ];
    const out = [];
    for (const t of tries) { try { await t(); out.push('ok'); } catch (e) { out.push(e.code); } }
    return out;`,
  'big-log.js': `await log.info('x'.repeat(Parameters.n)); return 'logged';`,
  'big-nested.js': `
    const codes = {};
    try { await Scripts.Call('double', { x: 'x'.repeat(Parameters.n) }); } catch (e) { codes.params = [e.code, e.what]; }
    try { await Scripts.Call('big', { n: Parameters.n }); } catch (e) { codes.result = [e.code, e.what]; }
    codes.small = await Scripts.Call('big', { n: 10 });
    return codes;`,
  'shared/big.js': `return 'x'.repeat(Parameters.n);`,
};

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly script?: string;
  readonly code?: string;
  readonly timeoutMs?: number;
}

describe('issue 10 point 6: nested runs end with their root and count against per-run limits', () => {
  let tmp: ReturnType<typeof tempDir>;
  let sink: ScriptedServer;
  let dir: string;
  let site: SiteRuntime | undefined;
  let lines: LogLine[] = [];
  let held: ServerResponse[] = [];
  const seen: ServerResponse[] = [];
  let released = false;

  const answer = (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  };
  const releaseAll = () => {
    released = true;
    for (const res of held.splice(0)) answer(res);
  };

  async function open(limits: Partial<RunLimits> = {}, payloadLimit?: number): Promise<SiteRuntime> {
    lines = [];
    const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
    site = new SiteRuntime({
      project: loadProject(dir),
      dataDir: join(tmp.dir, `data-${Math.random().toString(36).slice(2)}`),
      logger,
      pollIntervalMs: 20,
      scriptRunLimits: limits,
      ...(payloadLimit === undefined ? {} : { scriptPayloadLimitBytes: payloadLimit }),
    });
    site.start();
    await site.callScript('Pump1', 'warm');
    return site;
  }
  const nestedFailures = (script: string) => lines.filter((l) => l.msg === 'nested script run failed' && l.script === script);

  beforeAll(async () => {
    tmp = tempDir();
    sink = new ScriptedServer();
    sink.fallback = (req, res) => {
      if (req.url === '/hold') {
        if (released) return answer(res);
        held.push(res);
        for (const s of seen.splice(0)) answer(s);
      } else if (req.url === '/seen') {
        if (held.length > 0) answer(res);
        else seen.push(res);
      } else if (req.url === '/release') {
        releaseAll();
        answer(res);
      } else if (req.url === '/delay') {
        setTimeout(() => answer(res), 600);
      } else {
        answer(res);
      }
    };
    dir = writeProject(join(tmp.dir, 'project'), project(await sink.listen(), await closedPort()), scripts);
  });
  afterEach(async () => {
    releaseAll();
    for (const s of seen.splice(0)) answer(s);
    await site?.stop(2000);
    site = undefined;
    held = [];
    released = false;
  });
  afterAll(async () => {
    await sink.close();
    tmp.cleanup();
  });

  it.each([
    ['times out', 'fan', 'SCRIPT_TIMEOUT'],
    ['throws', 'fanThrows', 'SCRIPT_ERROR'],
    ['is killed for its memory', 'fanKilled', 'SCRIPT_MEMORY'],
  ])('a Scripts.Call fan-out (3 wide, 6 deep) stops when its root %s: no run starts after the root settles and every nested run ends at once', async (_how, script, code) => {
    const s = await open({ maxNestedCalls: 100_000, maxConcurrentNested: 100_000 });
    const started = Date.now();
    await expect(s.callScript('Pump1', script)).rejects.toMatchObject({ code });
    const atRootEnd = s.scriptStats.executions;
    await s.idle();
    const idleAfterMs = Date.now() - started;
    // Runs counted when the root settled are all there ever were: the cancelled ones started none.
    expect(s.scriptStats.executions).toBe(atRootEnd);
    expect(atRootEnd).toBeGreaterThan(1);
    expect(atRootEnd).toBeLessThan(1 + 1092);
    // Nested runs have a 30 s timeout of their own; they ended with the root instead.
    expect(idleAfterMs).toBeLessThan(10_000);
    // Cancelled, or cut off by the root's deadline a moment before the cancellation reached them.
    const codes = new Set(nestedFailures('tree').map((l) => l.code));
    expect(codes.size).toBeGreaterThan(0);
    expect([...codes].filter((c) => c !== 'SCRIPT_CANCELLED' && c !== 'SCRIPT_TIMEOUT')).toEqual([]);
  }, 45_000);

  it("a nested run's timeout is cut to what is left of the root run's: a nested run (own timeout 30 s) called with at most 2.4 s left gets at most 2.4 s and ends within the root's timeout", async () => {
    const s = await open();
    const started = Date.now();
    await expect(s.callScript('Pump1', 'waitThenHold')).rejects.toMatchObject({ code: 'SCRIPT_TIMEOUT' });
    await s.idle();
    expect(Date.now() - started).toBeLessThan(6000);
    const [nested] = nestedFailures('held');
    // Called after the root waited 600 ms of its 3 s: the nested run got at most the 2.4 s left, not its own 30 s.
    expect(nested!.timeoutMs).toBeGreaterThan(0);
    expect(nested!.timeoutMs).toBeLessThanOrEqual(2400);
    expect(['SCRIPT_TIMEOUT', 'SCRIPT_CANCELLED']).toContain(nested!.code);
  });

  it.each([
    ['throws', 'abandonThrows', 'SCRIPT_ERROR', ['SCRIPT_CANCELLED']],
    ['is killed for its memory', 'abandonKilled', 'SCRIPT_MEMORY', ['SCRIPT_CANCELLED']],
    // Cut to the root's deadline, the nested run may time out a moment before the root's end cancels it.
    ['times out', 'abandonTimesOut', 'SCRIPT_TIMEOUT', ['SCRIPT_CANCELLED', 'SCRIPT_TIMEOUT']],
  ])('a run that %s ends the nested run it started and did not await, still running (it never goes on)', async (_how, script, code, ended) => {
    const s = await open();
    await expect(s.callScript('Pump1', script)).rejects.toMatchObject({ code });
    // The nested run still waits at the sink: idle() resolves only because it was stopped.
    await s.idle();
    const [hang] = nestedFailures('hang');
    expect(ended).toContain(hang!.code);
    // Answering its request now wakes nothing: the run is gone and sets no attribute.
    expect(held.length).toBeGreaterThanOrEqual(1);
    releaseAll();
    expect(s.getAttribute('Pump1', 'Mode')).toBe('auto');
  });

  it('at most 8 Scripts.Call of one run are in flight at once by default: of 20 parallel calls 8 run and 12 fail with SCRIPT_CALL_LIMIT naming --script-max-concurrent-nested; places are given back as calls end', async () => {
    const s = await open();
    const out = (await s.callScript('Pump1', 'burst')) as { first: string[]; again: number };
    expect(out.first.filter((o) => o === 'ok')).toHaveLength(8);
    const refused = out.first.filter((o) => o !== 'ok');
    expect(refused).toHaveLength(12);
    for (const r of refused) expect(r).toMatch(/^SCRIPT_CALL_LIMIT: .*8 Scripts\.Call in flight.*--script-max-concurrent-nested/);
    expect(out.again).toBe(8);
  });

  it('at most 100 Scripts.Call per root run by default: the 101st fails with SCRIPT_CALL_LIMIT naming --script-max-nested-calls', async () => {
    const s = await open();
    const out = (await s.callScript('Pump1', 'chain')) as { made: number; code: string; message: string };
    expect(out).toMatchObject({ made: 100, code: 'SCRIPT_CALL_LIMIT' });
    expect(out.message).toContain('--script-max-nested-calls');
    // The limit is per root run: the next call starts with a fresh budget.
    expect(await s.callScript('Pump1', 'chain')).toMatchObject({ made: 100 });
  });

  it('operations submitted (CachedCall, CachedWrite, Notify.Send) count across the root run and its nested runs: beyond the limit SCRIPT_OPERATION_LIMIT and nothing recorded', async () => {
    const s = await open({ maxOperations: 5 });
    const out = await s.callScript('Pump1', 'ops');
    expect(out).toEqual({ root: 3, nested: ['ok', 'ok', 'SCRIPT_OPERATION_LIMIT', 'SCRIPT_OPERATION_LIMIT', 'SCRIPT_OPERATION_LIMIT'] });
    const submits = s.store.outbox.page(0, 1000).filter((e) => e.event.kind === 'CachedSubmit');
    expect(submits).toHaveLength(5);
    expect(submits.map((e) => e.event.channel).sort()).toEqual(['ApiOutbound', 'ApiOutbound', 'ApiOutbound', 'DbOutbound', 'Notification']);
  });

  it('a log line over the script payload limit is written cut to the limit, with a note of its size', async () => {
    const s = await open({}, 4096);
    expect(await s.callScript('Pump1', 'bigLog', { n: 10_000 })).toBe('logged');
    const line = lines.find((l) => l.script === 'bigLog' && l.level === 30);
    expect(line!.msg).toBe(`${'x'.repeat(4096)}… [log line cut: 10000 bytes; the limit is 4096]`);
  });

  it("a Scripts.Call's params and its result over the script payload limit fail with SCRIPT_PAYLOAD_TOO_LARGE", async () => {
    const s = await open({}, 4096);
    expect(await s.callScript('Pump1', 'bigNested', { n: 5000 })).toEqual({
      params: ['SCRIPT_PAYLOAD_TOO_LARGE', 'arguments'],
      result: ['SCRIPT_PAYLOAD_TOO_LARGE', 'result'],
      small: 'xxxxxxxxxx',
    });
  });
});
