// Configuration deployment with real processes (central issue, point 10):
// `scadalink central --project DIR` deploys the project over the site link; a
// site started with no project of its own stores it, runs it, reports the
// revision, and runs the stored revision while central is unreachable.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/index.js';
import { closedPort } from '../support/net.js';
import { SiteProcess, runCli } from '../support/process.js';
import { writeProject } from '../support/project.js';

interface SitesAnswer {
  latestRevision: { revision: number; sha256: string; createdBy: string } | null;
  sites: { name: string; connected: boolean; configRevision: number | null; configError: string | null }[];
}

describe('configuration deployment (central issue, point 10)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let central: SiteProcess | undefined;
  let site: SiteProcess | undefined;
  let centralData: string;
  let siteData: string;
  let projectDir: string;
  let secret: string;
  let token: string;
  let grpcPort: number;

  /** The demo project: one instance whose `hello` script answers `greeting`; ERP's URL comes from `baseUrl`. */
  const project = (greeting: string, baseUrl = 'http://127.0.0.1:9/api'): void => {
    writeProject(
      projectDir,
      {
        sites: { plant1: {} },
        instances: { Pump1: { site: 'plant1', scripts: { hello: { file: 'hello.js', triggers: ['call'] } } } },
        externalSystems: { ERP: { baseUrl, methods: { post: { verb: 'POST', path: '/orders' } } } },
      },
      { 'hello.js': `return ${JSON.stringify(greeting)};` },
    );
  };
  const startCentral = async (): Promise<SiteProcess> =>
    (central = await SiteProcess.central(['--data', centralData, '--project', projectDir, '--port', '0', '--grpc-port', String(grpcPort)]));
  const startSite = async (): Promise<SiteProcess> =>
    (site = await SiteProcess.start(
      ['--site', 'plant1', '--data', siteData, '--port', '0', '--central', `127.0.0.1:${grpcPort}`],
      { SCADALINK_SITE_SECRET: secret },
    ));
  const callHello = async (): Promise<unknown> => {
    const res = await fetch(`${site!.url}/admin/api/instances/Pump1/scripts/hello/call`, { method: 'POST' });
    expect(res.status).toBe(200);
    return ((await res.json()) as { result: unknown }).result;
  };
  const centralApi = async <T>(path: string, method = 'GET'): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${central!.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as T };
  };
  const siteInfo = async (): Promise<{ configRevision: number | null; projectDir?: string }> =>
    (await (await fetch(`${site!.url}/info`)).json()) as { configRevision: number | null };

  beforeEach(async () => {
    tmp = tempDir();
    centralData = join(tmp.dir, 'central');
    siteData = join(tmp.dir, 'site');
    projectDir = join(tmp.dir, 'project');
    grpcPort = await closedPort();
    const added = runCli(['central', 'site', 'add', '--create', 'plant1', '--data', centralData]);
    expect(added.status).toBe(0);
    secret = added.stdout.trim();
    const created = runCli(['token', 'create', '--create', '--role', 'Deployment', '--name', 'deployer', '--data', centralData]);
    expect(created.status).toBe(0);
    token = created.stdout.trim();
  });
  afterEach(async () => {
    await site?.terminate();
    await central?.terminate();
    site = undefined;
    central = undefined;
    tmp.cleanup();
  });

  it('point 10: central deploys the project; the site stores and runs it, reports its revision, runs it while central is down, and takes the next revision', async () => {
    project('v1');
    await startCentral();
    await startSite();
    await site!.line('"configuration deployed"');
    expect(await callHello()).toBe('v1');
    expect(await siteInfo()).toMatchObject({ configRevision: 1 });
    const sites = await centralApi<SitesAnswer>('/admin/api/sites');
    expect(sites.body.latestRevision).toMatchObject({ revision: 1, createdBy: 'central start' });
    expect(sites.body.sites).toEqual([expect.objectContaining({ name: 'plant1', connected: true, configRevision: 1, configError: null })]);

    // Central goes away; the site restarts and runs the revision it stored.
    await central!.terminate();
    await site!.terminate();
    await startSite();
    expect(await callHello()).toBe('v1');
    expect(await siteInfo()).toMatchObject({ configRevision: 1 });

    // A changed project becomes revision 2 when central starts; the reconnecting site takes it.
    project('v2');
    await startCentral();
    await site!.line('"revision":2');
    expect(await callHello()).toBe('v2');
    const after = await centralApi<SitesAnswer>('/admin/api/sites');
    expect(after.body.latestRevision?.revision).toBe(2);
    expect(after.body.sites[0]).toMatchObject({ connected: true, configRevision: 2, configError: null });
  }, 60_000); // central checks the scripts at each start, the site at each deployment: each process loads the TypeScript compiler once

  it('a deployment the site cannot load is refused: the site keeps running its revision and central records why', async () => {
    project('v1');
    await startCentral();
    await startSite();
    await site!.line('"configuration deployed"');

    // Central lacks the site's variables too and accepts the reference; the site cannot resolve it.
    project('v2', '${ERP_URL_ONLY_AT_ANOTHER_SITE}');
    const deployed = await centralApi<{ revision: number; created: boolean; sites: { site: string; status: string; error?: string }[] }>(
      '/admin/api/deployments',
      'POST',
    );
    expect(deployed.status).toBe(201);
    expect(deployed.body).toMatchObject({ revision: 2, created: true });
    expect(deployed.body.sites).toEqual([
      { site: 'plant1', status: 'refused', error: expect.stringContaining('externalSystems.ERP.baseUrl: environment variable ERP_URL_ONLY_AT_ANOTHER_SITE is not set') },
    ]);
    expect(await callHello()).toBe('v1');
    const sites = await centralApi<SitesAnswer>('/admin/api/sites');
    expect(sites.body.sites[0]).toMatchObject({ configRevision: 1, configError: expect.stringContaining('revision 2: CONFIG_INVALID') });
  });

  it('an invalid project is refused by central with 400 CONFIG_INVALID naming the path, and no revision is recorded', async () => {
    project('v1');
    await startCentral();
    writeFileSync(join(projectDir, 'scadalink.yaml'), 'sites:\n  plant1: {}\ninstances:\n  Pump1: { site: nowhere }\n');
    const res = await centralApi<{ error: { code: string; message: string; details: { issues: { path: string }[] } } }>('/admin/api/deployments', 'POST');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('CONFIG_INVALID');
    expect(res.body.error.details.issues.map((i) => i.path)).toContain('instances.Pump1.site');
    expect((await centralApi<SitesAnswer>('/admin/api/sites')).body.latestRevision?.revision).toBe(1);
  });

  it('the same project deployed again is the same revision (201 only when it changed)', async () => {
    project('v1');
    await startCentral();
    await startSite();
    await site!.line('"configuration deployed"');
    const again = await centralApi<{ revision: number; created: boolean; sites: { status: string }[] }>('/admin/api/deployments', 'POST');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ revision: 1, created: false, sites: [{ site: 'plant1', status: 'running', revision: 1 }] });
  });

  it('a site with neither --project nor --central is refused (NO_PROJECT); one waiting for central must be named (SITE_REQUIRED)', () => {
    const alone = runCli(['site', '--data', siteData]);
    expect(alone.status).not.toBe(0);
    expect(alone.stderr).toContain('NO_PROJECT');
    const unnamed = runCli(['site', '--data', siteData, '--central', `127.0.0.1:${grpcPort}`], { SCADALINK_SITE_SECRET: secret });
    expect(unnamed.status).not.toBe(0);
    expect(unnamed.stderr).toContain('SITE_REQUIRED');
  });

  it('a site waiting for its first deployment answers /ready 503, its admin API 503 NOT_DEPLOYED, and still serves /health and /metrics', async () => {
    await startSite(); // central is not running: the site waits
    expect((await fetch(`${site!.url}/health`)).status).toBe(200);
    expect((await fetch(`${site!.url}/ready`)).status).toBe(503);
    const metrics = await fetch(`${site!.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('scadalink_process_cpu_seconds_total');
    const call = await fetch(`${site!.url}/admin/api/instances/Pump1/scripts/hello/call`, { method: 'POST' });
    expect(call.status).toBe(503);
    expect(((await call.json()) as { error: { code: string } }).error.code).toBe('NOT_DEPLOYED');
    expect(await siteInfo()).toMatchObject({ configRevision: null, instances: [] });

    // Central arrives; the site takes the project and turns ready.
    project('v1');
    await startCentral();
    await site!.line('"configuration deployed"');
    expect((await fetch(`${site!.url}/ready`)).status).toBe(200);
    expect(await callHello()).toBe('v1');
  });
});
