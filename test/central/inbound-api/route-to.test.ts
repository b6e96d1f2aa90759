// The script side of Route.To (issue 11 point 4) on a real central node. The
// router is the SiteRouter seam of contracts.ts given as a plain object: the
// routed calls over the sites' streams are tested with the router built on
// them; here, what a method script's Route.To(...) hands the router, with
// which deadline, and how the router's answers and errors reach the caller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScadaLinkError } from '../../../src/commons/index.js';
import type { CentralNode, RouteDeadline, SiteRouter } from '../../../src/central/index.js';
import type { JsonObject, JsonValue } from '../../../src/scripts/index.js';
import { tempDir } from '../../support/index.js';
import { callApi, recordedFailures, startApiCentral } from './endpoint-fixture.js';

const SITES: Readonly<Record<string, string>> = { Pump1: 'plant1', Pump2: 'plant2' };

/** The seam as a plain object: records each call and answers from a table of attributes. */
class TableRouter implements SiteRouter {
  readonly calls: { op: string; instance: string; args: unknown; deadline: RouteDeadline; abortedAtEnd?: boolean }[] = [];
  readonly attributes = new Map<string, JsonValue>([['Pump1.Speed', 1200], ['Pump1.Mode', 'auto'], ['Pump1.Running', true]]);
  failWith: ScadaLinkError | undefined;

  async siteOf(instance: string): Promise<string> {
    const site = SITES[instance];
    if (site === undefined) throw new ScadaLinkError('UNKNOWN_INSTANCE', `no instance ${instance} is deployed`);
    return site;
  }
  async #enter(op: string, instance: string, args: unknown, deadline: RouteDeadline): Promise<void> {
    const entry: TableRouter['calls'][number] = { op, instance, args, deadline };
    this.calls.push(entry);
    deadline.signal?.addEventListener('abort', () => (entry.abortedAtEnd = true));
    await this.siteOf(instance);
    if (this.failWith !== undefined) throw this.failWith;
  }
  async call(instance: string, script: string, params: JsonObject, deadline: RouteDeadline): Promise<JsonValue> {
    await this.#enter('call', instance, { script, params }, deadline);
    return { ran: `${instance}.${script}`, params };
  }
  async getAttributes(instance: string, names: readonly string[], deadline: RouteDeadline): Promise<Record<string, JsonValue>> {
    await this.#enter('get', instance, names, deadline);
    return Object.fromEntries(names.map((n) => [n, this.attributes.get(`${instance}.${n}`) ?? null]));
  }
  async setAttributes(instance: string, values: Readonly<Record<string, JsonValue>>, deadline: RouteDeadline): Promise<void> {
    await this.#enter('set', instance, values, deadline);
    for (const [n, v] of Object.entries(values)) this.attributes.set(`${instance}.${n}`, v);
  }
}

const BATCH = `
const pump = Route.To(Parameters.instance);
const speed = await pump.GetAttribute('Speed');
const both = await pump.GetAttributes(['Mode', 'Running']);
await pump.SetAttribute('Speed', speed + 10);
await pump.SetAttributes({ Mode: 'manual', Running: false });
const after = await pump.GetAttributes(['Speed', 'Mode', 'Running']);
return { speed, both, after };`;

describe('Route.To from a central script (issue 11 point 4)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let node: CentralNode;
  let keys: { mes: string; erp: string };
  const router = new TableRouter();

  beforeAll(async () => {
    tmp = tempDir();
    const OBJ = { type: 'Object', fields: { ran: { type: 'String' }, params: { type: 'Object', fields: { n: { type: 'Integer' } } } } };
    const api = {
      methods: {
        Routed: { parameters: { instance: { type: 'String' } }, returns: OBJ, apiKeys: ['mes'], timeout: '2s', script: 'routed.js' },
        Batch: {
          parameters: { instance: { type: 'String' } },
          returns: {
            type: 'Object',
            fields: {
              speed: { type: 'Integer' },
              both: { type: 'Object', fields: { Mode: { type: 'String' }, Running: { type: 'Boolean' } } },
              after: { type: 'Object', fields: { Speed: { type: 'Integer' }, Mode: { type: 'String' }, Running: { type: 'Boolean' } } },
            },
          },
          apiKeys: ['mes'],
          script: 'batch.js',
        },
      },
    };
    ({ node, keys } = await startApiCentral(tmp.dir, { siteRouter: router, api, scripts: { 'batch.js': BATCH } }));
  });
  afterAll(async () => {
    await node.stop();
    tmp.cleanup();
  });

  it('issue 11 point 4: Route.To(instance).Call(script, params) hands the router the call with the method deadline, and its answer is returned', async () => {
    router.calls.length = 0;
    const sent = Date.now();
    const a = await callApi(node, 'Routed', { key: keys.mes, body: { instance: 'Pump1' } });
    expect({ status: a.status, body: a.body }).toEqual({ status: 200, body: { ran: 'Pump1.hello', params: { n: 1 } } });
    const [call] = router.calls;
    expect(call).toMatchObject({ op: 'call', instance: 'Pump1', args: { script: 'hello', params: { n: 1 } } });
    // The deadline is the method's timeout (2 s) from the request's arrival, and its signal aborts when the run ends.
    expect(call!.deadline.atMs).toBeGreaterThanOrEqual(sent + 1900);
    expect(call!.deadline.atMs).toBeLessThanOrEqual(Date.now() + 2000);
    expect(call!.deadline.signal?.aborted).toBe(true);
  });

  it('issue 11 point 4: GetAttribute, GetAttributes, SetAttribute and SetAttributes reach the router as batches', async () => {
    router.calls.length = 0;
    const a = await callApi(node, 'Batch', { key: keys.mes, body: { instance: 'Pump1' } });
    expect({ status: a.status, body: a.body }).toEqual({
      status: 200,
      body: { speed: 1200, both: { Mode: 'auto', Running: true }, after: { Speed: 1210, Mode: 'manual', Running: false } },
    });
    expect(router.calls.map((c) => [c.op, c.args])).toEqual([
      ['get', ['Speed']],
      ['get', ['Mode', 'Running']],
      ['set', { Speed: 1210 }],
      ['set', { Mode: 'manual', Running: false }],
      ['get', ['Speed', 'Mode', 'Running']],
    ]);
  });

  it('issue 11 point 4: the router\'s errors reach the caller with their code, and the failure names the site', async () => {
    const unknown = await callApi(node, 'Routed', { key: keys.mes, body: { instance: 'Ghost' } });
    expect({ status: unknown.status, body: unknown.body }).toEqual({ status: 404, body: { error: 'no instance Ghost is deployed', code: 'UNKNOWN_INSTANCE' } });
    expect((await recordedFailures(node)).at(-1)).toMatchObject({ method: 'Routed', code: 'UNKNOWN_INSTANCE', site: null });
    for (const [code, status] of [['SITE_UNREACHABLE', 503], ['SITE_TIMEOUT', 504], ['SCRIPT_ERROR', 500]] as const) {
      router.failWith = new ScadaLinkError(code, `routed: ${code}`);
      try {
        const a = await callApi(node, 'Routed', { key: keys.mes, body: { instance: 'Pump2' } });
        expect({ status: a.status, body: a.body }).toEqual({ status, body: { error: `routed: ${code}`, code } });
        expect((await recordedFailures(node)).at(-1)).toMatchObject({ method: 'Routed', code, status, site: 'plant2' });
      } finally {
        router.failWith = undefined;
      }
    }
  });
});
