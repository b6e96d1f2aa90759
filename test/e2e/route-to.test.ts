// Route.To over the real site stream (issue 11 point 5; point 10: seed 003
// WP-13 scenarios 1, 9 and 11 at the router level): a central node started
// here, with the project it deploys, and a real `scadalink site` process that
// receives that project over the gRPC link. The router is the one the node
// builds (`node.router`), calling through its SiteCommander.
// Scenario 1 through `POST /api/{method}` is in test/e2e/inbound-api.test.ts.
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/commons/index.js';
import { type CentralNode, type RouteDeadline, openCentralRepository, startCentralNode } from '../../src/central/index.js';
import { ScriptedServer } from '../support/http.js';
import { tempDir } from '../support/index.js';
import { SiteProcess } from '../support/process.js';
import { writeProject } from '../support/project.js';

const logger = pino({ level: 'silent' });
const SECRET = 'plant1-secret-0123456789';

describe('issue 11 point 5: Route.To over the real site link', () => {
  let tmp: ReturnType<typeof tempDir>;
  let held: ScriptedServer;
  let central: CentralNode;
  let site: SiteProcess;

  const within = (ms: number): RouteDeadline => ({ atMs: Date.now() + ms });
  const caught = async (p: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> }> => {
    try {
      await p;
    } catch (err) {
      return err as { code: string; message: string; details: Record<string, unknown> };
    }
    throw new Error('expected a rejection');
  };
  const siteAttributes = async (): Promise<Record<string, unknown>> =>
    (await (await fetch(`${site.url}/admin/api/instances/Pump1/attributes`)).json()) as Record<string, unknown>;

  beforeAll(async () => {
    tmp = tempDir();
    // An ERP that takes every request and never answers: a script awaiting it is slower than any deadline here.
    held = new ScriptedServer();
    held.fallback = () => undefined;
    const call = (file: string, extra: object = {}) => ({ file, triggers: ['call'], ...extra });
    const projectDir = writeProject(
      join(tmp.dir, 'project'),
      {
        sites: { plant1: {}, plant2: {} },
        instances: {
          Pump1: {
            site: 'plant1',
            attributes: { Flow: { type: 'number', initial: 50 }, Mode: { type: 'string', initial: 'auto' }, Running: { type: 'boolean', initial: false } },
            scripts: {
              add: call('add.js'),
              fail: call('fail.js'),
              uncaught: call('uncaught.js'),
              slow: call('slow.js', { timeout: '30s' }),
              tick: { file: 'add.js', triggers: [{ interval: '1h' }] },
            },
          },
          Far1: { site: 'plant2', scripts: { add: call('far.js') } },
        },
        externalSystems: { Held: { baseUrl: await held.listen(), timeout: '60s', methods: { wait: { verb: 'GET', path: '/wait' } } } },
      },
      {
        'add.js': 'return { sum: Parameters.a + Parameters.b, flow: await Instance.GetAttribute("Flow") };',
        'fail.js': 'throw new Error("pump is in manual mode");',
        // A name the validator cannot see (it checks literals): the run fails at the site with UNKNOWN_ATTRIBUTE.
        'uncaught.js': 'const name = ["NoSuch", "Attribute"].join(""); return await Instance.GetAttribute(name);',
        'far.js': 'return Parameters;',
        'slow.js': 'return await ExternalSystem.Call("Held", "wait");',
      },
    );
    const dataDir = join(tmp.dir, 'central');
    const repo = await openCentralRepository({ dataDir });
    await repo.putSite('plant1', await hashSecret(SECRET));
    await repo.close();
    central = await startCentralNode({ dataDir, port: 0, grpcPort: 0, logger, projectDir, maintenanceOnStart: false });
    site = await SiteProcess.start(
      ['--site', 'plant1', '--data', join(tmp.dir, 'site'), '--port', '0', '--central', `127.0.0.1:${central.grpcPort}`],
      { SCADALINK_SITE_SECRET: SECRET },
    );
    // The site starts with no project: it runs what central deploys on connect.
    await site.line('"configuration deployed"');
  });

  afterAll(async () => {
    // First the held ERP: the runs still waiting on it fail at once, so the site stops without waiting for them.
    await held?.close();
    await site?.terminate();
    await central?.stop();
    tmp?.cleanup();
  });

  it('issue 11 point 10 (WP-13 scenario 1, router level): router.call runs the instance script at its site and returns its value', async () => {
    expect(await central.router.siteOf('Pump1')).toBe('plant1');
    expect(await central.router.call('Pump1', 'add', { a: 2, b: 40 }, within(10_000))).toEqual({ sum: 42, flow: 50 });
    // A deadline beyond what a timer holds (about 24.8 days) waits as long as it can, not 1 ms.
    expect(await central.router.call('Pump1', 'add', { a: 1, b: 2 }, within(3_000_000_000))).toEqual({ sum: 3, flow: 50 });
  });

  it('issue 11 point 10 (WP-13 scenario 11): GetAttributes/SetAttributes read and write several attributes in one call each', async () => {
    await central.router.setAttributes('Pump1', { Flow: 72.5, Mode: 'manual', Running: true }, within(10_000));
    expect(await central.router.getAttributes('Pump1', ['Flow', 'Mode', 'Running'], within(10_000))).toEqual({ Flow: 72.5, Mode: 'manual', Running: true });
    // The site's own view agrees: the values were written there.
    expect(await siteAttributes()).toEqual({ Flow: 72.5, Mode: 'manual', Running: true });
    expect(await central.router.call('Pump1', 'add', { a: 1, b: 1 }, within(10_000))).toEqual({ sum: 2, flow: 72.5 });
  });

  it('issue 11 point 5: a batch set with one bad value changes nothing (all-or-nothing) and answers SCRIPT_ERROR naming the site code', async () => {
    await central.router.setAttributes('Pump1', { Flow: 10, Mode: 'auto' }, within(10_000));
    const err = await caught(central.router.setAttributes('Pump1', { Flow: 99, Mode: 5 }, within(10_000)));
    expect(err).toMatchObject({ code: 'SCRIPT_ERROR', details: { site: 'plant1', siteCode: 'INVALID_ATTRIBUTE_VALUE' } });
    expect(err.message).toContain('Pump1.Mode takes a string');
    const unknown = await caught(central.router.setAttributes('Pump1', { Flow: 99, Nope: 1 }, within(10_000)));
    expect(unknown).toMatchObject({ code: 'SCRIPT_ERROR', details: { siteCode: 'UNKNOWN_ATTRIBUTE' } });
    expect(await central.router.getAttributes('Pump1', ['Flow', 'Mode'], within(10_000))).toEqual({ Flow: 10, Mode: 'auto' });
    expect(await caught(central.router.getAttributes('Pump1', ['Flow', 'Nope'], within(10_000)))).toMatchObject({
      code: 'SCRIPT_ERROR',
      details: { siteCode: 'UNKNOWN_ATTRIBUTE' },
    });
  });

  it('issue 11 point 5: an instance not in the deployed configuration is UNKNOWN_INSTANCE, and nothing is sent', async () => {
    expect(await caught(central.router.call('Pump9', 'add', {}, within(10_000)))).toMatchObject({ code: 'UNKNOWN_INSTANCE', message: 'no instance Pump9 is deployed' });
    expect(await caught(central.router.siteOf('Pump9'))).toMatchObject({ code: 'UNKNOWN_INSTANCE' });
    expect(await caught(central.router.getAttributes('Pump9', ['Flow'], within(10_000)))).toMatchObject({ code: 'UNKNOWN_INSTANCE' });
  });

  it('issue 11 point 10 (WP-13 scenario 9): an instance whose site is not connected fails at once with SITE_UNREACHABLE, never buffered', async () => {
    const t0 = performance.now();
    const err = await caught(central.router.call('Far1', 'add', { a: 1, b: 2 }, within(10_000)));
    expect(err).toMatchObject({ code: 'SITE_UNREACHABLE', message: 'site plant2 is unreachable: it is not connected to any central node' });
    // "At once": nothing waited for the 10 s the deadline allowed.
    expect(performance.now() - t0).toBeLessThan(500);
    expect(await caught(central.router.setAttributes('Far1', { Flow: 1 }, within(10_000)))).toMatchObject({ code: 'SITE_UNREACHABLE' });
  });

  it('issue 11 point 5: a site script slower than the deadline is SITE_TIMEOUT with the elapsed ms, and the site stops the run at that deadline', async () => {
    const t0 = performance.now();
    const err = await caught(central.router.call('Pump1', 'slow', {}, within(400)));
    const elapsed = performance.now() - t0;
    expect(err.code).toBe('SITE_TIMEOUT');
    expect(err.message).toMatch(/^site plant1 did not answer within the method's remaining time \(after \d+ ms\)$/);
    expect(err.details['elapsedMs']).toBeGreaterThanOrEqual(390);
    expect(err.details['elapsedMs']).toBeLessThanOrEqual(Math.ceil(elapsed));
    expect(elapsed).toBeLessThan(1_500);
    // The site bounded the run by the time central had left (not the script's own 30 s): its event log records the timeout.
    const url = `${site.url}/admin/api/events?category=ScriptError&instance=Pump1&search=${encodeURIComponent('timeout of')}`;
    for (;;) {
      // Bounded by the test's timeout; the event log has no push to await.
      const events = (await (await fetch(url)).json()) as { message: string }[];
      if (events.length > 0) {
        expect(events[0]!.message).toMatch(/call: script exceeded its timeout of \d{3} ms/);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await central.router.call('Pump1', 'add', { a: 1, b: 2 }, within(10_000))).toMatchObject({ sum: 3 });
  });

  it('issue 11 point 5: a deadline already passed is SITE_TIMEOUT at once, before anything is sent', async () => {
    const before = held.requests.length;
    const err = await caught(central.router.call('Pump1', 'slow', {}, { atMs: Date.now() - 1 }));
    expect(err).toMatchObject({ code: 'SITE_TIMEOUT', details: { site: 'plant1' } });
    expect(err.message).toMatch(/after \d+ ms/);
    expect(held.requests.length).toBe(before);
  });

  it('issue 11 point 5: a script that throws is SCRIPT_ERROR with its own message and no stack or path', async () => {
    const err = await caught(central.router.call('Pump1', 'fail', {}, within(10_000)));
    expect(err).toMatchObject({ code: 'SCRIPT_ERROR', message: 'pump is in manual mode', details: { site: 'plant1', siteCode: 'SCRIPT_ERROR' } });
    expect(err).not.toHaveProperty('stack', expect.stringContaining('fail.js'));
    // A failure the script did not raise itself names only its code: an integration's text (SQL, a URL) stays at the site.
    const uncaught = await caught(central.router.call('Pump1', 'uncaught', {}, within(10_000)));
    expect(uncaught).toMatchObject({ code: 'SCRIPT_ERROR', message: "script Pump1.uncaught failed with UNKNOWN_ATTRIBUTE (the site's event log has the details)" });
    for (const e of [err, uncaught]) expect(e.message).not.toMatch(/\n|\bat \S+:\d+|\.js|\/tmp\//);
  });

  it('issue 11 point 5: unknown and non-callable scripts are SCRIPT_ERROR naming the site code', async () => {
    expect(await caught(central.router.call('Pump1', 'nope', {}, within(10_000)))).toMatchObject({
      code: 'SCRIPT_ERROR',
      message: 'UNKNOWN_SCRIPT: instance Pump1 has no script nope',
      details: { siteCode: 'UNKNOWN_SCRIPT' },
    });
    expect(await caught(central.router.call('Pump1', 'tick', {}, within(10_000)))).toMatchObject({
      code: 'SCRIPT_ERROR',
      details: { siteCode: 'SCRIPT_NOT_CALLABLE' },
    });
  });

  it('issue 11 point 5: aborting the deadline signal stops waiting for the site at once', async () => {
    const stop = new AbortController();
    const waiting = caught(central.router.call('Pump1', 'slow', {}, { atMs: Date.now() + 20_000, signal: stop.signal }));
    const asked = held.requests.length;
    // The site's script is waiting on the held ERP: the routed call is in flight.
    await held.received(asked + 1);
    const t0 = performance.now();
    stop.abort();
    const err = await waiting;
    expect(performance.now() - t0).toBeLessThan(100);
    expect(err).toMatchObject({ code: 'SITE_TIMEOUT', details: { site: 'plant1' } });
    expect(err.message).toMatch(/^stopped waiting for site plant1 after \d+ ms: the method run ended$/);
  });
});
