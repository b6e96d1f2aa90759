// Central and a site as real processes (central issue, point 5; seed 000
// G2 and G4): `scadalink central`, `scadalink central site add` and
// `scadalink site --central`, a script's cached call against a real HTTP
// server that fails twice and then succeeds.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedServer } from '../support/http.js';
import pg from 'pg';
import { PG, createPgDatabase, tempDir } from '../support/index.js';
import { SiteProcess, runCli } from '../support/process.js';
import { writeProject } from '../support/project.js';

interface SiteCall {
  status: string;
  sourceSite: string;
  version: number;
  audit: { kind: string; status: string; eventId: string }[];
}

describe('central and a site as processes', () => {
  let tmp: ReturnType<typeof tempDir>;
  let erp: ScriptedServer;
  let central: SiteProcess | undefined;
  let site: SiteProcess | undefined;
  let secret: string;
  let token: string;
  let centralData: string;
  let projectDir: string;
  let historian: Awaited<ReturnType<typeof createPgDatabase>>;

  beforeAll(async () => {
    // The plant database: its first two inserts fail with a real serialization
    // failure (SQLSTATE 40001, transient), the third succeeds.
    historian = await createPgDatabase('sl_e2e_hist');
    const admin = new pg.Client({ ...PG, database: historian.database });
    await admin.connect();
    await admin.query(`CREATE TABLE readings (op_id TEXT PRIMARY KEY, flow DOUBLE PRECISION);
      CREATE SEQUENCE attempts;
      CREATE FUNCTION flaky() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF nextval('attempts') <= 2 THEN RAISE EXCEPTION 'busy' USING ERRCODE = '40001'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER flaky BEFORE INSERT ON readings FOR EACH ROW EXECUTE FUNCTION flaky();`);
    await admin.end();
    tmp = tempDir();
    erp = new ScriptedServer();
    const method = { verb: 'POST', path: '/orders', parameters: { orderId: { type: 'string' } } };
    projectDir = writeProject(
      join(tmp.dir, 'project'),
      {
        sites: { plant1: {} },
        instances: {
          Pump1: {
            site: 'plant1',
            scripts: { submit: { file: 'submit.js', triggers: ['call'] }, record: { file: 'record.js', triggers: ['call'] } },
          },
        },
        externalSystems: { ERP: { baseUrl: await erp.listen(), maxRetries: 5, retryInterval: '20ms', methods: { post: method } } },
        databases: {
          Historian: { driver: 'postgres', host: PG.host, port: PG.port, user: PG.user, database: historian.database, maxRetries: 5, retryInterval: '20ms' },
        },
      },
      {
        'submit.js': `return await ExternalSystem.CachedCall('ERP', 'post', { orderId: Parameters.orderId });`,
        'record.js': `return await Database.CachedWrite('Historian', 'INSERT INTO readings (op_id, flow) VALUES (@TrackedOperationId, @flow)', { flow: Parameters.flow });`,
      },
    );
    centralData = join(tmp.dir, 'central');
    const added = runCli(['central', 'site', 'add', '--create', 'plant1', '--data', centralData]);
    expect(added.status).toBe(0);
    secret = added.stdout.trim();
    expect(secret.length).toBeGreaterThan(20);
    const created = runCli(['central', 'token', 'create', '--create', '--role', 'Viewer', '--name', 'e2e', '--data', centralData]);
    expect(created.status).toBe(0);
    token = created.stdout.trim();
    expect(token).toMatch(/^slk_/);
  });
  afterEach(async () => {
    await site?.terminate();
    await central?.terminate();
    site = undefined;
    central = undefined;
  });
  afterAll(async () => {
    await historian.drop();
    await erp.close();
    tmp.cleanup();
  });

  const siteCall = async (id: string): Promise<{ status: number; body: SiteCall }> => {
    const res = await fetch(`${central!.url}/admin/api/site-calls/${id}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as SiteCall };
  };

  /** Polls central's API until the operation's row reaches `status` with `rows` audit rows. */
  const until = async (id: string, status: string, rows: number): Promise<SiteCall> => {
    for (;;) {
      const r = await siteCall(id);
      if (r.status === 200 && r.body.status === status && r.body.audit.length === rows) return r.body;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('G2 with real processes: a cached call failing twice then succeeding gives 5 AuditLog rows and 1 SiteCalls row Delivered', async () => {
    central = await SiteProcess.central(['--data', centralData, '--port', '0', '--grpc-port', '0']);
    site = await SiteProcess.start(
      ['--project', projectDir, '--data', join(tmp.dir, 'site'), '--port', '0', '--central', `127.0.0.1:${central.grpcPort}`],
      { SCADALINK_SITE_SECRET: secret },
    );
    erp.script.push(503, 503);
    const res = await fetch(`${site.url}/admin/api/instances/Pump1/scripts/submit/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId: 'PO-1' }),
    });
    const id = ((await res.json()) as { result: string }).result;
    const row = await until(id, 'Delivered', 5);
    expect(row.sourceSite).toBe('plant1');
    expect(row.audit.map((a) => `${a.kind}/${a.status}`)).toEqual([
      'CachedSubmit/Submitted',
      'ApiCallCached/Forwarded',
      'ApiCallCached/Attempted',
      'ApiCallCached/Attempted',
      'CachedResolve/Delivered',
    ]);
    const atSite = (await (await fetch(`${site.url}/admin/api/operations/${id}`)).json()) as { status: string; version: number };
    expect(atSite).toMatchObject({ status: 'Delivered', version: row.version });
  });

  it('G3 with real processes: a cached database write failing twice then succeeding gives 5 AuditLog rows and 1 SiteCalls row Delivered', async () => {
    central = await SiteProcess.central(['--data', centralData, '--port', '0', '--grpc-port', '0']);
    site = await SiteProcess.start(
      ['--project', projectDir, '--data', join(tmp.dir, 'site-db'), '--port', '0', '--central', `127.0.0.1:${central.grpcPort}`],
      { SCADALINK_SITE_SECRET: secret },
    );
    const res = await fetch(`${site.url}/admin/api/instances/Pump1/scripts/record/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ flow: 12.5 }),
    });
    const id = ((await res.json()) as { result: string }).result;
    const row = await until(id, 'Delivered', 5);
    expect(row.audit.map((a) => `${a.kind}/${a.status}`)).toEqual([
      'CachedSubmit/Submitted',
      'DbWriteCached/Forwarded',
      'DbWriteCached/Attempted',
      'DbWriteCached/Attempted',
      'CachedResolve/Delivered',
    ]);
    const c = new pg.Client({ ...PG, database: historian.database });
    await c.connect();
    const rows = (await c.query('SELECT op_id, flow FROM readings')).rows as { op_id: string; flow: number }[];
    await c.end();
    expect(rows).toEqual([{ op_id: id, flow: 12.5 }]);
  });

  it('a site with a wrong secret is refused and its telemetry stays queued at the site', async () => {
    central = await SiteProcess.central(['--data', centralData, '--port', '0', '--grpc-port', '0']);
    site = await SiteProcess.start(
      ['--project', projectDir, '--data', join(tmp.dir, 'site-wrong'), '--port', '0', '--central', `127.0.0.1:${central.grpcPort}`],
      { SCADALINK_SITE_SECRET: 'not-the-secret' },
    );
    await site.line('unknown site or wrong secret');
    const res = await fetch(`${site.url}/admin/api/instances/Pump1/scripts/submit/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId: 'PO-2' }),
    });
    const id = ((await res.json()) as { result: string }).result;
    await site.line('telemetry not sent');
    expect((await siteCall(id)).status).toBe(404);
  });

  it('refuses to start a site with --central but no SCADALINK_SITE_SECRET', () => {
    const r = runCli(['site', '--project', projectDir, '--data', join(tmp.dir, 'site-nosecret'), '--central', '127.0.0.1:1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('NO_SITE_SECRET');
  });
});
