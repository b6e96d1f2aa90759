// The Inbound API with a real `scadalink central` process (issue 11 points 1,
// 4 and 9): a key made with the CLI calls a method of the project central was
// started with; `--api-body-limit` bounds the body; a looping method is
// stopped at its timeout and the process stays healthy; the OpenAPI document
// is served without a key; and with a real `scadalink site` process, a method
// that calls a site script and reads and writes attributes through Route.To.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/index.js';
import { SiteProcess, runCli } from '../support/process.js';
import { writeProject } from '../support/project.js';

describe('the Inbound API on a scadalink central process (issue 11)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let central: SiteProcess | undefined;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await central?.kill();
    central = undefined;
    tmp.cleanup();
  });

  it('issue 11 point 1: a CLI-made key calls a method; --api-body-limit gives 413; a looping method is stopped (504) and central stays healthy; GET /api/openapi.json', async () => {
    const data = join(tmp.dir, 'central');
    const project = writeProject(
      join(tmp.dir, 'project'),
      {
        sites: { plant1: {} },
        inboundApi: {
          methods: {
            Add: { parameters: { a: { type: 'Integer' }, b: { type: 'Integer' } }, returns: { type: 'Integer' }, apiKeys: ['mes'], script: 'add.js' },
            Loop: { apiKeys: ['mes'], timeout: '500ms', script: 'loop.js' },
          },
        },
      },
      { 'add.js': 'return Parameters.a + Parameters.b;', 'loop.js': 'for (;;) {}' },
    );
    const created = runCli(['central', 'apikey', 'create', 'mes', '--create', '--data', data]);
    expect(created.status, created.stderr).toBe(0);
    const key = created.stdout.trim();
    central = await SiteProcess.central(['--data', data, '--project', project, '--port', '0', '--grpc-port', '0', '--api-body-limit', '2048']);
    const post = async (method: string, body: string) => {
      const res = await fetch(`${central!.url}/api/${method}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body });
      return { status: res.status, body: (await res.json()) as unknown };
    };

    expect(await post('Add', '{"a": 20, "b": 22}')).toEqual({ status: 200, body: 42 });
    expect(await post('Add', JSON.stringify({ a: 1, b: 2, pad: 'x'.repeat(3000) }))).toEqual({ status: 413, body: { error: expect.any(String), code: 'BODY_TOO_LARGE' } });
    expect(await post('Add', '{"a": "20", "b": 22}')).toMatchObject({ status: 400, body: { code: 'INVALID_PARAMETERS' } });
    const started = performance.now();
    expect(await post('Loop', '{}')).toMatchObject({ status: 504, body: { code: 'METHOD_TIMEOUT' } });
    expect(performance.now() - started).toBeLessThan(5000);
    expect((await fetch(`${central.url}/health`)).status).toBe(200);
    expect(await post('Add', '{"a": 1, "b": 1}')).toEqual({ status: 200, body: 2 });

    const doc = (await (await fetch(`${central.url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).sort()).toEqual(['/api/Add', '/api/Loop']);
    const metrics = await (await fetch(`${central.url}/metrics`)).text();
    expect(metrics).toMatch(/^scadalink_inbound_api_requests_total\{method="Add",outcome="ok"\} 2$/m);

    expect(await central.terminate()).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('issue 11 point 10 (seed 003 WP-13 scenarios 1, 9 and 11): API call → Route.To → a site script and batch attributes → the answer; the site stopped → 503', async () => {
    const data = join(tmp.dir, 'central');
    const project = writeProject(
      join(tmp.dir, 'project'),
      {
        sites: { plant1: {} },
        instances: {
          Pump1: {
            site: 'plant1',
            attributes: { Flow: { type: 'number', initial: 50 }, Mode: { type: 'string', initial: 'auto' } },
            scripts: { add: { file: 'add.js', triggers: ['call'] } },
          },
        },
        inboundApi: {
          methods: {
            Dose: {
              parameters: { a: { type: 'Integer' }, b: { type: 'Integer' } },
              returns: { type: 'Object', fields: { sum: { type: 'Integer' }, before: { type: 'Object', fields: { Flow: { type: 'Float' }, Mode: { type: 'String' } } }, after: { type: 'Object', fields: { Flow: { type: 'Float' }, Mode: { type: 'String' } } } } },
              apiKeys: ['mes'],
              timeout: '5s',
              script: 'dose.js',
            },
          },
        },
      },
      {
        'add.js': 'return Parameters.a + Parameters.b;',
        'dose.js': `
const pump = Route.To('Pump1');
const sum = await pump.Call('add', { a: Parameters.a, b: Parameters.b });
const before = await pump.GetAttributes(['Flow', 'Mode']);
await pump.SetAttributes({ Flow: sum, Mode: 'manual' });
const after = await pump.GetAttributes(['Flow', 'Mode']);
return { sum, before, after };`,
      },
    );
    const added = runCli(['central', 'site', 'add', '--create', 'plant1', '--data', data]);
    expect(added.status, added.stderr).toBe(0);
    const key = runCli(['central', 'apikey', 'create', 'mes', '--data', data]).stdout.trim();
    central = await SiteProcess.central(['--data', data, '--project', project, '--port', '0', '--grpc-port', '0']);
    const site = await SiteProcess.start(
      ['--site', 'plant1', '--data', join(tmp.dir, 'site'), '--port', '0', '--central', `127.0.0.1:${central.grpcPort}`],
      { SCADALINK_SITE_SECRET: added.stdout.trim() },
    );
    try {
      await site.line('"configuration deployed"');
      const post = async () => {
        const res = await fetch(`${central!.url}/api/Dose`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: '{"a": 40, "b": 2}' });
        return { status: res.status, body: (await res.json()) as unknown };
      };
      expect(await post()).toEqual({ status: 200, body: { sum: 42, before: { Flow: 50, Mode: 'auto' }, after: { Flow: 42, Mode: 'manual' } } });
      const attributes = (await (await fetch(`${site.url}/admin/api/instances/Pump1/attributes`)).json()) as Record<string, unknown>;
      expect(JSON.stringify(attributes)).toContain('manual');

      expect(await site.terminate()).toMatchObject({ code: 0 });
      const started = performance.now();
      expect(await post()).toMatchObject({ status: 503, body: { code: 'SITE_UNREACHABLE' } });
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      await site.kill();
    }
  }, 90_000);

  it('issue 11 point 1: a bad --api-body-limit is refused with INVALID_ARGUMENT', () => {
    const r = runCli(['central', '--data', join(tmp.dir, 'c'), '--api-body-limit', '0']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('--api-body-limit');
  });
});
