// Issue 11, point 6, with real processes: two `scadalink central` nodes (A and
// B) on one PostgreSQL database and a `scadalink site --central A,B`. The site
// is on A; a Retry and a Discard of parked operations sent to B's admin API
// are forwarded to A and applied at the site, and a deployment recorded
// through B reaches it. A is killed (SIGKILL): the site reconnects to B, and
// a Retry through B works again.
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScriptedServer } from '../support/http.js';
import { PG, createPgDatabase, tempDir } from '../support/index.js';
import { SiteProcess, runCli } from '../support/process.js';
import { writeProject } from '../support/project.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Bounded poll for a property no process announces (a row's status over HTTP). */
async function until(check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${ms} ms: ${check.toString()}`);
    await sleep(50);
  }
}

interface LinkView {
  central: string;
  state: string;
}

describe('issue 11 point 6: every site command from any central node, and failover, with real processes', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  let erp: ScriptedServer;
  let procs: SiteProcess[] = [];
  let a: SiteProcess;
  let b: SiteProcess;
  let site: SiteProcess;
  let operator: string;
  let projectDir: string;
  let url: string;
  let erpUrl: string;

  const project = (greeting: string): void => {
    writeProject(
      projectDir,
      {
        sites: { plant1: {} },
        instances: {
          Pump1: { site: 'plant1', scripts: { submit: { file: 'submit.js', triggers: ['call'] }, hello: { file: 'hello.js', triggers: ['call'] } } },
        },
        externalSystems: {
          ERP: { baseUrl: erpUrl, maxRetries: 1, retryInterval: '20ms', methods: { post: { verb: 'POST', path: '/orders', parameters: { orderId: { type: 'string' } } } } },
        },
      },
      {
        'submit.js': `return await ExternalSystem.CachedCall('ERP', 'post', { orderId: Parameters.orderId });`,
        'hello.js': `return ${JSON.stringify(greeting)};`,
      },
    );
  };
  const admin = async <T>(node: SiteProcess, path: string, method = 'GET'): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${node.url}/admin/api${path}`, { method, headers: { authorization: `Bearer ${operator}` } });
    return { status: res.status, body: (await res.json()) as T };
  };
  const call = async (script: string, body: object = {}): Promise<unknown> => {
    const res = await fetch(`${site.url}/admin/api/instances/Pump1/scripts/${script}/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return ((await res.json()) as { result?: unknown }).result;
  };
  const atSite = async (id: string): Promise<string | undefined> => {
    const res = await fetch(`${site.url}/admin/api/operations/${id}`);
    return res.status === 200 ? ((await res.json()) as { status: string }).status : undefined;
  };
  const link = async (): Promise<LinkView> => ((await (await fetch(`${site.url}/info`)).json()) as { link: LinkView }).link;
  /** A cached call that parks (the ERP answers 503 to its two attempts), known to central as Parked. */
  const parked = async (orderId: string): Promise<string> => {
    erp.fallback = 503;
    const id = (await call('submit', { orderId })) as string;
    await until(async () => (await atSite(id)) === 'Parked');
    await until(async () => (await admin<{ status: string }>(b, `/site-calls/${id}`)).body.status === 'Parked');
    return id;
  };

  beforeEach(async () => {
    tmp = tempDir();
    erp = new ScriptedServer();
    erpUrl = await erp.listen();
    db = await createPgDatabase('sl_cluster_e2e');
    url = `postgres://${PG.user}@${PG.host}:${PG.port}/${db.database}`;
    projectDir = join(tmp.dir, 'project');
    project('v1');
    const added = runCli(['central', 'site', 'add', 'plant1', '--create', '--data', join(tmp.dir, 'cli'), '--database-url', url]);
    expect(added.status).toBe(0);
    operator = runCli(['central', 'token', 'create', '--role', 'Deployment', '--name', 'dana', '--data', join(tmp.dir, 'cli'), '--database-url', url]).stdout.trim();
    const args = (n: string): string[] => ['--data', join(tmp.dir, n), '--database-url', url, '--project', projectDir, '--port', '0', '--grpc-port', '0'];
    a = await SiteProcess.central(args('a'));
    b = await SiteProcess.central(args('b'));
    procs.push(a, b);
    site = await SiteProcess.start(
      ['--site', 'plant1', '--data', join(tmp.dir, 'site'), '--port', '0', '--central', `127.0.0.1:${a.grpcPort},127.0.0.1:${b.grpcPort}`],
      { SCADALINK_SITE_SECRET: added.stdout.trim() },
    );
    procs.push(site);
    await site.line('"configuration deployed"');
    // Three processes start one after the other: more than the default hook time on a loaded 2-core machine.
  }, 120_000);
  afterEach(async () => {
    await Promise.all(procs.map((p) => p.terminate()));
    procs = [];
    await erp.close();
    await db.drop();
    tmp.cleanup();
  }, 60_000);

  it('issue 11 point 6: Retry, Discard and a deployment through replica B reach the site on replica A; A killed, the site moves to B and a Retry through B works again', async () => {
    expect(await link()).toMatchObject({ central: `127.0.0.1:${a.grpcPort}`, state: 'connected' });
    // B's view of the site: not connected to B, held by A.
    const replicaOf = async (node: SiteProcess): Promise<string> => ((await (await fetch(`${node.url}/info`)).json()) as { replicaId: string }).replicaId;
    const heldBy = async (): Promise<unknown> =>
      (await admin<{ sites: { name: string; connected: boolean; heldBy: { replicaId: string } | null }[] }>(b, '/sites')).body.sites.find((s) => s.name === 'plant1');
    expect(await heldBy()).toMatchObject({ connected: false, heldBy: { replicaId: await replicaOf(a), url: a.url } });
    const retried = await parked('PO-1');
    const discarded = await parked('PO-2');

    // Retry and Discard sent to B: B does not hold the site's stream, A does.
    erp.fallback = 200;
    expect(await admin(b, `/site-calls/${retried}/retry`, 'POST')).toEqual({ status: 202, body: { status: 'sent', site: 'plant1' } });
    await until(async () => (await atSite(retried)) === 'Delivered');
    expect(await admin(b, `/site-calls/${discarded}/discard`, 'POST')).toEqual({ status: 202, body: { status: 'sent', site: 'plant1' } });
    await until(async () => (await atSite(discarded)) === 'Discarded');
    // Central hears of it from the site's telemetry, as of any operation.
    await until(async () => (await admin<{ status: string }>(b, `/site-calls/${discarded}`)).body.status === 'Discarded');

    // A deployment recorded through B reaches the site on A.
    project('v2');
    expect((await admin<{ revision: number }>(b, '/deployments', 'POST')).body).toMatchObject({ revision: 2 });
    await until(async () => (await call('hello')) === 'v2');

    // A dies without a word; the site's next address is B.
    await a.kill();
    await until(async () => {
      const l = await link();
      return l.central === `127.0.0.1:${b.grpcPort}` && l.state === 'connected';
    });
    expect(await heldBy()).toMatchObject({ connected: true, heldBy: { replicaId: await replicaOf(b), url: b.url } });
    const again = await parked('PO-3');
    erp.fallback = 200;
    expect(await admin(b, `/site-calls/${again}/retry`, 'POST')).toEqual({ status: 202, body: { status: 'sent', site: 'plant1' } });
    await until(async () => (await atSite(again)) === 'Delivered');

    // B forwarded the first two (the site was on A) and ran the last on its own stream.
    const metrics = await (await fetch(`${b.url}/metrics`)).text();
    expect(metrics).toMatch(/^scadalink_central_forwarded_commands_total\{outcome="replied"\} 2$/m);

    // The cluster secret that authenticated the hop is in no log line of any process.
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const secret = (await c.query<{ value: string }>(`SELECT value FROM cluster_settings WHERE name = 'cluster_secret'`)).rows[0]!.value;
    await c.end();
    expect(secret).toHaveLength(43);
    for (const p of procs) expect(p.output).not.toContain(secret);
  }, 180_000);
});
