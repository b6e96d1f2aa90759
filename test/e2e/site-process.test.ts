import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedServer } from '../support/http.js';
import { tempDir } from '../support/index.js';
import { closedPort } from '../support/net.js';
import { SiteProcess, runCli } from '../support/process.js';
import { writeProject } from '../support/project.js';

function project(erp: string, dead: string): object {
  const method = { verb: 'POST', path: '/orders', parameters: { orderId: { type: 'string' } } };
  return {
    sites: { plant1: {} },
    instances: {
      Pump1: {
        site: 'plant1',
        scripts: {
          submit: { file: 'submit.js', triggers: ['call'] },
          submitDead: { file: 'submit-dead.js', triggers: ['call'] },
        },
      },
    },
    externalSystems: {
      ERP: { baseUrl: erp, maxRetries: 5, retryInterval: '10ms', methods: { post: method } },
      // Refuses every connection; one retry, then the operation is parked.
      Dead: { baseUrl: dead, maxRetries: 1, retryInterval: '10ms', methods: { post: method } },
    },
  };
}

const scripts = {
  'submit.js': `return await ExternalSystem.CachedCall('ERP', 'post', { orderId: Parameters.orderId });`,
  'submit-dead.js': `return await ExternalSystem.CachedCall('Dead', 'post', { orderId: Parameters.orderId });`,
};

describe('the site as a process: scadalink site, its endpoints, the CLI and SIGTERM', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: ScriptedServer;
  let projectDir: string;
  let dataDir: string;
  let site: SiteProcess | undefined;

  const call = async (script: string, body: object) => {
    const res = await fetch(`${site!.url}/admin/api/instances/Pump1/scripts/${script}/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { result?: string; error?: { code: string } } };
  };
  const status = async (id: string) => ((await (await fetch(`${site!.url}/admin/api/operations/${id}`)).json()) as { status: string }).status;

  beforeAll(async () => {
    tmp = tempDir();
    server = new ScriptedServer();
    projectDir = writeProject(join(tmp.dir, 'project'), project(await server.listen(), `http://127.0.0.1:${await closedPort()}`), scripts);
    dataDir = join(tmp.dir, 'data');
  });
  afterEach(async () => {
    await site?.kill();
    site = undefined;
  });
  afterAll(async () => {
    await server.close();
    tmp.cleanup();
  });

  it('serves /health, /ready, /info and /metrics with buffer, parked and script figures, isolates alive included', async () => {
    site = await SiteProcess.start(['--project', projectDir, '--data', dataDir, '--port', '0']);
    expect(await (await fetch(`${site.url}/health`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${site.url}/ready`)).status).toBe(200);
    expect(await (await fetch(`${site.url}/info`)).json()).toMatchObject({ role: 'site', site: 'plant1', instances: ['Pump1'] });

    const parkedId = (await call('submitDead', { orderId: 'M1' })).body.result!;
    // Parking happens after one failed retry 10 ms later; the site logs it.
    await site.line(`"trackedOperationId":"${parkedId}"`);
    expect(await status(parkedId)).toBe('Parked');
    const metrics = await (await fetch(`${site.url}/metrics`)).text();
    expect(metrics).toMatch(/^scadalink_sf_parked_operations\{site="plant1"\} 1$/m);
    expect(metrics).toMatch(/^scadalink_sf_buffer_depth\{site="plant1"\} 0$/m);
    expect(metrics).toMatch(/^scadalink_sf_attempts_total\{outcome="transient",site="plant1"\} 2$/m);
    expect(metrics).toMatch(/^scadalink_script_executions_total\{site="plant1"\} 1$/m);
    // The run created the script isolates: the one it ran on, and warm ones in the background.
    expect(metrics).toMatch(/^scadalink_script_isolates\{site="plant1"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^scadalink_sf_oldest_pending_age_seconds\{site="plant1"\} 0$/m);
  });

  it('scadalink site parked list | retry | discard and scadalink site events work on the data directory', async () => {
    const list = runCli(['site', 'parked', 'list', '--data', dataDir, '--json']);
    expect(list.status).toBe(0);
    const parked = list.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; target: string });
    expect(parked).toHaveLength(1);
    expect(parked[0]!.target).toBe('Dead.post');

    const retried = runCli(['site', 'parked', 'retry', parked[0]!.id, '--data', dataDir, '--operator', 'alice']);
    expect(retried.stdout).toContain('is now Forwarded');
    const again = runCli(['site', 'parked', 'discard', parked[0]!.id, '--data', dataDir]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('OPERATION_NOT_PARKED');

    const events = runCli(['site', 'events', '--data', dataDir, '--category', 'OperatorAction', '--json']);
    expect(events.stdout.trim().split('\n').map((l) => JSON.parse(l) as { message: string })[0]!.message).toBe('retry requested by alice');
    const lifecycle = runCli(['site', 'events', '--data', dataDir, '--category', 'Lifecycle', '--since', '1h']);
    expect(lifecycle.stdout).toContain('started');
    expect(runCli(['site', 'events', '--data', dataDir, '--since', 'yesterday-ish']).stderr).toContain('INVALID_ARGUMENT');
  });

  it('a retried operation that parks again is discarded from the CLI while the site runs', async () => {
    site = await SiteProcess.start(['--project', projectDir, '--data', dataDir, '--port', '0']);
    // The operation retried from the CLI in the previous test is picked up by this site and parked again.
    const parkedLine = JSON.parse(await site.line('"operation parked"')) as { trackedOperationId: string };
    const parkedId = parkedLine.trackedOperationId;
    expect(runCli(['site', 'parked', 'list', '--data', dataDir]).stdout).toContain(parkedId);
    const out = runCli(['site', 'parked', 'discard', parkedId, '--data', dataDir, '--operator', 'bob']);
    expect(out.stdout).toContain('is now Discarded');
    expect(await status(parkedId)).toBe('Discarded');
  });

  it('SIGTERM stops taking work, finishes the attempt in flight and exits 0', async () => {
    site = await SiteProcess.start(['--project', projectDir, '--data', dataDir, '--port', '0', '--shutdown-deadline', '5s']);
    let release!: () => void;
    server.fallback = (_req, res) => {
      release = () => res.end('{}');
    };
    const pending = call('submit', { orderId: 'T1' });
    await server.received(server.requests.length + 1);
    site.child.kill('SIGTERM');
    // The site has stopped taking work: /ready is 503 and new calls are refused while the attempt is held.
    await site.line('SIGTERM: stopping site');
    expect((await fetch(`${site.url}/ready`)).status).toBe(503);
    expect(await call('submit', { orderId: 'T2' })).toMatchObject({ status: 503, body: { error: { code: 'SITE_STOPPING' } } });
    release();
    const { body } = await pending;
    expect(await site.exited).toEqual({ code: 0, signal: null });
    server.fallback = 200;
    const statusOut = runCli(['site', 'status', body.result!, '--data', dataDir]);
    expect(JSON.parse(statusOut.stdout)).toMatchObject({ status: 'Delivered' });
    expect(site.output).toContain('site stopped');
  });

  it('one site per data directory; CLI store commands refuse a directory that holds no site store', async () => {
    site = await SiteProcess.start(['--project', projectDir, '--data', dataDir, '--port', '0']);
    const second = runCli(['site', '--project', projectDir, '--data', dataDir, '--port', '0']);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain('DATA_DIR_IN_USE');
    const wrong = runCli(['site', 'parked', 'list', '--data', join(tmp.dir, 'not-a-site')]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('NO_SITE_STORE');
    expect(runCli(['site', '--project', projectDir, '--data', dataDir, '--port', 'http']).stderr).toContain('--port takes a port number');
  });

  it('with SCADALINK_ADMIN_TOKEN set, the admin API requires it as a bearer token', async () => {
    site = await SiteProcess.start(['--project', projectDir, '--data', dataDir, '--port', '0'], { SCADALINK_ADMIN_TOKEN: 's3cret-token' });
    const url = `${site.url}/admin/api/parked`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer s3cret-token' } })).status).toBe(200);
    expect((await fetch(`${site.url}/health`)).status).toBe(200);
    expect(site.output).not.toContain('s3cret-token');
  });

  it('an invalid project is refused with the path of the bad field and exit code 2', () => {
    const bad = writeProject(join(tmp.dir, 'bad'), { externalSystems: { ERP: { baseUrl: 'http://127.0.0.1:1', methods: { post: { verb: 'POST' } } } } }, {});
    const out = runCli(['site', '--project', bad, '--data', join(tmp.dir, 'bad-data')]);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('externalSystems.ERP.methods.post.path');
  });
});
