import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/index.js';
import { SiteRuntime } from '../../src/site/index.js';
import { ScriptedServer } from '../support/http.js';
import { tempDir } from '../support/index.js';
import { writeProject } from '../support/project.js';
import { closedPort } from '../support/net.js';

const logger = pino({ level: 'silent' });

function project(erpUrl: string, deadUrl: string, clockUrl = erpUrl): object {
  return {
    sites: { plant1: {} },
    instances: {
      Pump1: {
        site: 'plant1',
        attributes: { Flow: { type: 'number', initial: 10 }, Mode: { type: 'string', initial: 'auto' } },
        alarms: { HighFlow: { attribute: 'Flow', kind: 'high', limit: 100, deadband: 5 } },
        scripts: {
          sync: { file: 'sync.js', triggers: ['call'] },
          cached: { file: 'cached.ts', triggers: ['call'] },
          dead: { file: 'dead.js', triggers: ['call'] },
          status: { file: 'status.js', triggers: ['call'] },
          set: { file: 'set.js', triggers: ['call'] },
          boom: { file: 'boom.js', triggers: ['call'] },
          notCallable: { file: 'sync.js', triggers: [{ interval: '1h' }] },
          onFlow: { file: 'on-flow.js', triggers: [{ attributeChange: 'Flow' }] },
          onAlarm: { file: 'on-alarm.js', triggers: [{ alarm: 'HighFlow' }] },
          shared: { file: 'use-shared.js', triggers: ['call'] },
          bigSet: { file: 'big-set.js', triggers: ['call'] },
          bigLog: { file: 'big-log.js', triggers: ['call'] },
          route: { file: 'route.js', triggers: ['call'] },
        },
      },
    },
    sharedScripts: { double: { file: 'shared/double.js' } },
    externalSystems: {
      ERP: {
        baseUrl: erpUrl,
        auth: { type: 'basic', username: 'site', password: 'pw' },
        timeout: '2s',
        maxRetries: 3,
        retryInterval: '20ms',
        methods: {
          getOrder: { verb: 'GET', path: '/orders/{id}', parameters: { id: { type: 'string' } } },
          postOrder: { verb: 'POST', path: '/orders', parameters: { orderId: { type: 'string' } } },
          notify: { verb: 'POST', path: '/events', parameters: { what: { type: 'string' }, value: { type: 'number', required: false } } },
        },
      },
      Clock: { baseUrl: clockUrl, methods: { tick: { verb: 'POST', path: '/ticks' } } },
      Dead: { baseUrl: deadUrl, timeout: '1s', methods: { ping: { verb: 'GET', path: '/ping' } } },
    },
  };
}

const scripts = {
  'sync.js': `return await ExternalSystem.Call('ERP', 'getOrder', { id: Parameters.id });`,
  'cached.ts': `
    const id: string = await ExternalSystem.CachedCall('ERP', 'postOrder', { orderId: Parameters.orderId as string });
    return id;`,
  'dead.js': `
    try { await ExternalSystem.Call('Dead', 'ping', {}); return 'no error'; }
    catch (e) { return { code: e.code, classification: e.classification }; }`,
  'status.js': `return await Tracking.Status(Parameters.id);`,
  'set.js': `await Instance.SetAttribute(Parameters.name, Parameters.value); return await Instance.GetAttribute(Parameters.name);`,
  'boom.js': `throw new Error('pump exploded');`,
  'on-flow.js': `await ExternalSystem.Call('ERP', 'notify', { what: 'flow:' + Parameters.previous + '->' + Parameters.value });`,
  'on-alarm.js': `await ExternalSystem.Call('ERP', 'notify', { what: 'alarm:' + Parameters.alarm, value: Parameters.value });`,
  'tick.js': `await ExternalSystem.Call('Clock', 'tick', {});`,
  'use-shared.js': `return await Scripts.Call('double', { x: Parameters.x });`,
  'shared/double.js': `return Parameters.x * 2;`,
  'big-set.js': `await Instance.SetAttribute('Mode', 'x'.repeat(Parameters.n));`,
  'big-log.js': `await log.info('x'.repeat(Parameters.n)); return 'logged';`,
  'route.js': `try { await Route.To('Pump1').GetAttribute('Flow'); return 'reached'; } catch (e) { return e.code; }`,
};

describe('site runtime: scripts, external systems, triggers (seed 003 WP-13)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: ScriptedServer;
  let clock: ScriptedServer;
  let site: SiteRuntime;
  let dir: string;

  function open(): SiteRuntime {
    site = new SiteRuntime({ project: loadProject(dir), dataDir: join(tmp.dir, 'data'), logger, pollIntervalMs: 20 });
    site.start();
    return site;
  }

  beforeAll(async () => {
    tmp = tempDir();
    server = new ScriptedServer();
    clock = new ScriptedServer();
    const url = await server.listen();
    const p = project(url, `http://127.0.0.1:${await closedPort()}`, await clock.listen()) as { instances: Record<string, unknown> };
    // The interval script talks to a server of its own, so its ticks never mix with the other requests.
    p.instances.Ticker = { site: 'plant1', scripts: { tick: { file: 'tick.js', triggers: [{ interval: '50ms' }] } } };
    dir = writeProject(join(tmp.dir, 'project'), p, scripts);
  });
  afterAll(async () => {
    await server.close();
    await clock.close();
    tmp.cleanup();
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.script.length = 0;
    server.fallback = (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url }));
    };
    open();
  });
  afterEach(async () => {
    await site.stop(2000);
  });

  const notifications = () => server.requests.filter((r) => r.url === '/events').map((r) => JSON.parse(r.body).what as string);

  it('scenario 2: ExternalSystem.Call returns the response to the script and is audited as ApiCall', async () => {
    const result = await site.callScript('Pump1', 'sync', { id: 'A 1' });
    expect(result).toEqual({ path: '/orders/A%201' });
    expect(server.requests[0]!.headers.authorization).toBe('Basic ' + Buffer.from('site:pw').toString('base64'));
    const page = site.store.outbox.page(0, 100).map((e) => e.event);
    // The Ticker's interval script makes ApiCalls of its own: look at this script's only.
    const mine = page.filter((e) => e.kind === 'ApiCall' && e.target === 'ERP.getOrder');
    expect(mine).toMatchObject([{ status: 'Delivered', httpStatus: 200, actor: { instance: 'Pump1', script: 'sync' }, operation: null }]);
  });

  it('scenario 3: CachedCall → transient failure → buffered → retried → delivered, with its source recorded', async () => {
    server.script.push(503);
    const id = (await site.callScript('Pump1', 'cached', { orderId: 'O-1' })) as string;
    const done = await site.store.waitFor(id, ['Delivered']);
    expect(site.store.outbox.forOperation(id).map((e) => `${e.kind}/${e.status}`)).toEqual([
      'CachedSubmit/Submitted',
      'ApiCallCached/Forwarded',
      'ApiCallCached/Attempted',
      'CachedResolve/Delivered',
    ]);
    expect(done).toMatchObject({ sourceInstanceId: 'Pump1', sourceScript: 'cached', sourceNode: site.nodeName, retryCount: 0 });
    expect(await site.callScript('Pump1', 'status', { id })).toMatchObject({ TrackedOperationId: id, Status: 'Delivered' });
  });

  it('scenario 8: CachedCall with a permanent 4xx throws to the script with its id and is not buffered', async () => {
    server.script.push(422);
    const err = (await site.callScript('Pump1', 'cached', { orderId: 'O-2' }).catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe('HTTP_STATUS');
    const failed = site.store.tracking.changedSince(0, 100).find((s) => s.status === 'Failed')!;
    expect(failed).toMatchObject({ httpStatus: 422, sourceScript: 'cached' });
    expect(site.store.buffer.counts().total).toBe(0);
    expect(site.store.events.query({ category: 'PermanentFailure' })).toHaveLength(1);
  });

  it('the script sees the id, classification and status of a permanent failure', async () => {
    server.script.push(404);
    const probe = writeProject(join(tmp.dir, 'probe'), project(`http://127.0.0.1:${server.port}`, 'http://127.0.0.1:1'), {
      ...scripts,
      'cached.ts': `try { await ExternalSystem.CachedCall('ERP', 'postOrder', { orderId: 'x' }); return null; }
        catch (e: any) { return { code: e.code, id: e.trackedOperationId, classification: e.classification, httpStatus: e.httpStatus }; }`,
    });
    await site.stop();
    site = new SiteRuntime({ project: loadProject(probe), dataDir: join(tmp.dir, 'probe-data'), logger });
    site.start();
    const seen = (await site.callScript('Pump1', 'cached', {})) as { code: string; id: string; classification: string; httpStatus: number };
    expect(seen).toMatchObject({ code: 'HTTP_STATUS', classification: 'permanent', httpStatus: 404 });
    expect(site.store.status(seen.id)).toMatchObject({ status: 'Failed' });
  });

  it('negative: ExternalSystem.Call to an unreachable system returns the error to the script and buffers nothing', async () => {
    expect(await site.callScript('Pump1', 'dead')).toEqual({ code: 'HTTP_CONNECTION', classification: 'transient' });
    expect(site.store.buffer.counts().total).toBe(0);
  });

  it('Tracking.Status of an unknown id is null', async () => {
    expect(await site.callScript('Pump1', 'status', { id: '0190b6e4-0000-7000-8000-000000000000' })).toBeNull();
  });

  it('attribute changes fire attribute-change scripts; an alarm fires its on-trigger script once per activation', async () => {
    await site.setAttribute('Pump1', 'Flow', 20);
    await site.setAttribute('Pump1', 'Flow', 120); // alarm becomes active
    await site.setAttribute('Pump1', 'Flow', 98); // still active inside the deadband
    await site.setAttribute('Pump1', 'Flow', 110); // still active: no second alarm run
    await server.received(5);
    await site.setAttribute('Pump1', 'Flow', 90); // clears (≤ 95)
    await site.setAttribute('Pump1', 'Flow', 101); // active again
    await server.received(8);
    const seen = notifications();
    expect(seen.filter((w) => w.startsWith('flow:'))).toEqual(['flow:10->20', 'flow:20->120', 'flow:120->98', 'flow:98->110', 'flow:110->90', 'flow:90->101']);
    expect(seen.filter((w) => w.startsWith('alarm:'))).toEqual(['alarm:HighFlow', 'alarm:HighFlow']);
  });

  it('interval triggers run the script repeatedly', async () => {
    const before = clock.requests.length;
    await clock.received(before + 3);
    expect(clock.requests.slice(before).every((r) => r.method === 'POST' && r.url === '/ticks')).toBe(true);
  });

  it('attribute values are validated and survive a restart', async () => {
    expect(await site.callScript('Pump1', 'set', { name: 'Mode', value: 'manual' })).toBe('manual');
    await expect(site.callScript('Pump1', 'set', { name: 'Flow', value: 'fast' })).rejects.toMatchObject({ code: 'INVALID_ATTRIBUTE_VALUE' });
    await expect(site.callScript('Pump1', 'set', { name: 'Nope', value: 1 })).rejects.toMatchObject({ code: 'UNKNOWN_ATTRIBUTE' });
    await site.stop();
    open();
    expect(site.getAttribute('Pump1', 'Mode')).toBe('manual');
  });

  it('issue 10: an attribute value larger than the script payload limit is refused with SCRIPT_PAYLOAD_TOO_LARGE; a log line as large does not fail the run', async () => {
    await expect(site.callScript('Pump1', 'bigSet', { n: 300_000 })).rejects.toMatchObject({ code: 'SCRIPT_PAYLOAD_TOO_LARGE' });
    expect(site.getAttribute('Pump1', 'Mode')).not.toHaveLength(300_000);
    // Logging never fails a script: a line over the limit is cut (with a note of its size) and the run goes on.
    expect(await site.callScript('Pump1', 'bigLog', { n: 300_000 })).toBe('logged');
  });

  it('a script error is logged with its instance and script and the site goes on', async () => {
    await expect(site.callScript('Pump1', 'boom')).rejects.toMatchObject({ code: 'SCRIPT_ERROR' });
    const [event] = site.store.events.query({ category: 'ScriptError', instance: 'Pump1' });
    expect(event).toMatchObject({ instance: 'Pump1', script: 'boom' });
    expect(event!.message).toContain('pump exploded');
    expect(await site.callScript('Pump1', 'shared', { x: 21 })).toBe(42);
    expect(site.scriptStats.errors).toBeGreaterThanOrEqual(1);
  });

  it('the daily purge removes terminal rows older than 7 days and events older than 30 days, nothing else', async () => {
    const day = 24 * 60 * 60 * 1000;
    const ago = (days: number) => new Date(Date.now() - days * day).toISOString();
    const make = (id: string) =>
      site.store.tracking.recordEnqueue(
        { id: id as never, kind: 'ApiOutbound', targetSummary: 'ERP.postOrder', sourceInstanceId: 'Pump1', sourceScript: 'x', sourceNode: 'n' },
        ago(9),
      );
    const oldDone = '0190b6e4-0000-7000-8000-00000000000a';
    const recentDone = '0190b6e4-0000-7000-8000-00000000000b';
    const oldParked = '0190b6e4-0000-7000-8000-00000000000c';
    [oldDone, recentDone, oldParked].forEach(make);
    site.store.tracking.recordTerminal(oldDone as never, 'Delivered', null, 200, ago(8));
    site.store.tracking.recordTerminal(recentDone as never, 'Delivered', null, 200, ago(6));
    site.store.tracking.recordAttempt(oldParked as never, 'Parked', 3, 'down', null, ago(8));
    site.store.events.append({ level: 'info', category: 'Lifecycle', message: 'ancient' }, ago(31));
    site.store.events.append({ level: 'info', category: 'Lifecycle', message: 'recent' }, ago(29));

    expect(site.purge()).toEqual({ tracking: 1, events: 1 });
    expect(site.store.status(oldDone)).toBeUndefined();
    expect(site.store.status(recentDone)).toBeDefined();
    expect(site.store.status(oldParked)).toMatchObject({ status: 'Parked' });
    expect(site.store.events.query({ search: 'ancient' })).toEqual([]);
    expect(site.store.events.query({ search: 'recent' })).toHaveLength(1);
  });

  it('issue 11 point 4: Route.To is for Inbound API scripts at central: a site script gets CENTRAL_ONLY_API', async () => {
    expect(await site.callScript('Pump1', 'route')).toBe('CENTRAL_ONLY_API');
  });

  it('only scripts with a call trigger can be called', async () => {
    expect(() => site.callScript('Pump1', 'notCallable')).toThrow(expect.objectContaining({ code: 'SCRIPT_NOT_CALLABLE' }));
    expect(() => site.callScript('Nope', 'sync')).toThrow(expect.objectContaining({ code: 'UNKNOWN_INSTANCE' }));
  });
});
