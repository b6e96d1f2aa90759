// Issue 9, point 5, through the admin API of two `scadalink central` replicas
// on one PostgreSQL database, with a `scadalink site` connected to replica B:
// what an operator does on replica A holds on B at once (a revoked token), or
// within about a second (a disabled site's session is closed by B), and a
// rollback recorded on A reaches the site B holds.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PG, createPgDatabase, tempDir } from '../support/index.js';
import { SiteProcess, runCli } from '../support/process.js';
import { writeProject } from '../support/project.js';
import { ingest } from '../transport/raw-site.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await sleep(50);
}

interface SiteView {
  name: string;
  connected: boolean;
  enabled: boolean;
  lastSeenAtUtc: string | null;
  configRevision: number | null;
}

describe('issue 9 point 5: lifecycle through the admin API of two central replicas on PostgreSQL', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  let url: string;
  let procs: SiteProcess[] = [];
  let a: SiteProcess;
  let b: SiteProcess;
  let site: SiteProcess;
  let admin: string;
  let secret: string;
  let projectDir: string;

  const cli = (...args: string[]): { status: number | null; stdout: string; stderr: string } =>
    runCli([...args, '--data', join(tmp.dir, 'cli'), '--database-url', url]);
  const api = async <T>(node: SiteProcess, token: string, path: string, method = 'GET'): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${node.url}/admin/api${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as T };
  };
  const siteOn = async (node: SiteProcess): Promise<SiteView | undefined> =>
    (await api<{ sites: SiteView[] }>(node, admin, '/sites')).body.sites.find((s) => s.name === 'plant1');
  const project = (greeting: string): void => {
    writeProject(
      projectDir,
      { sites: { plant1: {} }, instances: { Pump1: { site: 'plant1', scripts: { hello: { file: 'hello.js', triggers: ['call'] } } } } },
      { 'hello.js': `return ${JSON.stringify(greeting)};` },
    );
  };
  const hello = async (): Promise<unknown> => {
    const res = await fetch(`${site.url}/admin/api/instances/Pump1/scripts/hello/call`, { method: 'POST' });
    return ((await res.json()) as { result?: unknown }).result;
  };

  beforeEach(async () => {
    tmp = tempDir();
    db = await createPgDatabase('sl_lifecycle');
    url = `postgres://${PG.user}@${PG.host}:${PG.port}/${db.database}`;
    projectDir = join(tmp.dir, 'project');
    project('v1');
    const added = runCli(['central', 'site', 'add', 'plant1', '--create', '--data', join(tmp.dir, 'cli'), '--database-url', url]);
    expect(added.status).toBe(0);
    secret = added.stdout.trim();
    admin = cli('central', 'token', 'create', '--role', 'Admin', '--name', 'root').stdout.trim();
    const args = (n: string): string[] => ['--data', join(tmp.dir, n), '--database-url', url, '--project', projectDir, '--port', '0', '--grpc-port', '0'];
    [a, b] = (await Promise.all([SiteProcess.central(args('a')), SiteProcess.central(args('b'))])) as [SiteProcess, SiteProcess];
    procs.push(a, b);
    site = await SiteProcess.start(['--site', 'plant1', '--data', join(tmp.dir, 'site'), '--port', '0', '--central', `127.0.0.1:${b.grpcPort}`], {
      SCADALINK_SITE_SECRET: secret,
    });
    procs.push(site);
    await site.line('"configuration deployed"');
    await until(async () => (await siteOn(b))?.connected === true);
  });
  afterEach(async () => {
    await Promise.all(procs.map((p) => p.terminate()));
    procs = [];
    await db.drop();
    tmp.cleanup();
  });

  it('a token revoked through replica A is refused (401) by replica B from the very next request, though B had just verified it', async () => {
    const ops = cli('central', 'token', 'create', '--role', 'Viewer', '--name', 'ops').stdout.trim();
    expect((await api(b, ops, '/kpis')).status).toBe(200);
    expect((await api(b, ops, '/tokens')).status).toBe(403);
    const revoked = await api<{ token: Record<string, unknown>; revoked: boolean }>(a, admin, '/tokens/ops/revoke', 'POST');
    expect(revoked).toMatchObject({ status: 200, body: { revoked: true, token: { tokenId: ops.slice(4, 16), name: 'ops', role: 'Viewer', revokedAtUtc: expect.any(String) } } });
    expect(JSON.stringify(revoked.body)).not.toMatch(/secretHash|scrypt/);
    expect(await api(b, ops, '/kpis')).toMatchObject({ status: 401, body: { error: { code: 'ADMIN_UNAUTHORIZED' } } });
    expect(await api(a, ops, '/kpis')).toMatchObject({ status: 401 });

    const listed = await api<{ tokens: Record<string, unknown>[] }>(b, admin, '/tokens');
    expect(listed.body.tokens.map((t) => [t.name, t.revokedAtUtc === null])).toEqual([['root', true], ['ops', false]]);
    expect(JSON.stringify(listed.body)).not.toMatch(/secretHash|scrypt|slk_/);
    expect((await api(b, admin, '/tokens/nobody/revoke', 'POST')).body).toMatchObject({ error: { code: 'TOKEN_NOT_FOUND' } });
    expect((await api(b, admin, '/audit?limit=abc')).body).toMatchObject({ error: { code: 'INVALID_QUERY', details: { parameter: 'limit' } } });
    expect((await api(b, admin, '/audit?who=root')).body).toMatchObject({ error: { code: 'INVALID_QUERY', details: { parameter: 'who' } } });
    const audit = await api<{ actions: Record<string, unknown>[] }>(b, admin, '/audit?action=token.revoke');
    expect(audit.body.actions).toEqual([expect.objectContaining({ operator: 'root', action: 'token.revoke', target: ops.slice(4, 16) })]);
  }, 120_000);

  it("a site disabled through replica A has its session closed by replica B within about a second and is refused with SITE_DISABLED; enabled through A it connects again", async () => {
    const disabled = await api<SiteView>(a, admin, '/sites/plant1/disable', 'POST');
    const disabledBy = Date.now();
    expect(disabled).toMatchObject({ status: 200, body: { name: 'plant1', enabled: false } });
    const closed = JSON.parse(await b.line('site disabled; its stream is closed')) as { time: number };
    // A 500 ms poll plus one query, with headroom for a loaded 2-core machine.
    expect(closed.time - disabledBy).toBeLessThan(1_500);
    await site.line('SITE_DISABLED');
    await until(async () => (await siteOn(b))?.connected === false);
    // Both replicas refuse it; the reason goes only to a caller with the site's secret.
    for (const node of [a, b]) {
      expect(await ingest(`127.0.0.1:${node.grpcPort}`, 'plant1', secret)).toMatchObject({
        code: grpc.status.PERMISSION_DENIED,
        details: expect.stringContaining('SITE_DISABLED'),
      });
      const stranger = await ingest(`127.0.0.1:${node.grpcPort}`, 'plant1', 'not-the-secret-0123456789');
      expect(stranger).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: 'unknown site or wrong secret' });
    }
    expect(await siteOn(a)).toMatchObject({ enabled: false, connected: false, lastSeenAtUtc: expect.any(String) });

    const viewer = cli('central', 'token', 'create', '--role', 'Deployment', '--name', 'dana').stdout.trim();
    expect((await api(a, viewer, '/sites/plant1/enable', 'POST')).status).toBe(403);
    expect((await api(a, admin, '/sites/plant9/enable', 'POST')).body).toMatchObject({ error: { code: 'SITE_NOT_FOUND' } });
    expect((await api(a, admin, '/sites/plant1/enable', 'POST')).body).toMatchObject({ enabled: true });
    await until(async () => (await siteOn(b))?.connected === true);
    const audit = await api<{ actions: { operator: string; action: string }[] }>(b, admin, '/audit?target=plant1');
    expect(audit.body.actions.slice(0, 2).map((x) => `${x.operator}:${x.action}`)).toEqual(['root:site.enable', 'root:site.disable']);
  }, 120_000);

  it('a site removed through replica A is closed by replica B and refused by both replicas as an unknown site', async () => {
    expect(await api(a, admin, '/sites/plant1', 'DELETE')).toMatchObject({ status: 200, body: { removed: 'plant1' } });
    await b.line('site removed; its stream is closed');
    await until(async () => (await siteOn(b)) === undefined);
    for (const node of [a, b]) {
      expect(await ingest(`127.0.0.1:${node.grpcPort}`, 'plant1', secret)).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: 'unknown site or wrong secret' });
    }
    expect((await api(b, admin, '/sites/plant1', 'DELETE')).status).toBe(404);
  }, 120_000);

  it('rollback through replica A records a new revision equal to N, noted "rollback of N", and the site connected to replica B runs it', async () => {
    project('v2');
    const deployed = await api<{ revision: number }>(a, admin, '/deployments', 'POST');
    expect(deployed).toMatchObject({ status: 201, body: { revision: 2 } });
    // The site is on B: B notices the revision A recorded.
    await until(async () => (await hello()) === 'v2');

    const rolled = await api<{ revision: number; note: string; created: boolean; sites: unknown[] }>(a, admin, '/deployments/1/rollback', 'POST');
    expect(rolled).toMatchObject({ status: 201, body: { revision: 3, note: 'rollback of 1', created: true, sites: [] } });
    await until(async () => (await hello()) === 'v1');
    await until(async () => (await siteOn(b))?.configRevision === 3);

    const list = await api<{ revisions: Record<string, unknown>[] }>(b, admin, '/deployments');
    expect(list.body.revisions.map((r) => [r.revision, r.note, r.createdBy, r.sites])).toEqual([
      [3, 'rollback of 1', 'root', ['plant1']],
      [2, null, 'root', []],
      [1, null, 'central start', []],
    ]);
    const shown = await api<{ revision: number; files: Record<string, string>; sha256: string; sites: string[] }>(b, admin, '/deployments/3');
    expect(shown.body).toMatchObject({ revision: 3, files: { 'scripts/hello.js': 'return "v1";' }, sites: ['plant1'] });
    expect(shown.body.sha256).toBe(list.body.revisions[2]!.sha256);
    expect((await api(b, admin, '/deployments/9')).body).toMatchObject({ error: { code: 'REVISION_NOT_FOUND' } });
    expect((await api(b, admin, '/deployments/x1')).body).toMatchObject({ error: { code: 'INVALID_QUERY', details: { parameter: 'revision' } } });
    const viewer = cli('central', 'token', 'create', '--role', 'Viewer', '--name', 'vic').stdout.trim();
    expect((await api(a, viewer, '/deployments')).status).toBe(200);
    expect((await api(a, viewer, '/deployments/1/rollback', 'POST')).status).toBe(403);
    expect((await api(a, viewer, '/audit')).status).toBe(403);
    // The newest is the CLI's creation of vic's token (operator: the OS user).
    const audit = await api<{ actions: Record<string, unknown>[]; next: number }>(a, admin, '/audit?limit=3');
    expect(audit.body.actions[0]).toMatchObject({ action: 'token.create', target: viewer.slice(4, 16), detail: 'Viewer token for vic' });
    expect(audit.body.next).toBe(audit.body.actions[2]!.id);
    expect(audit.body.actions.slice(1)).toMatchObject([
      { operator: 'root', action: 'deployment.rollback', target: '3', detail: 'rollback of 1' },
      { operator: 'root', action: 'deployment.record', target: '2' },
    ]);
  }, 120_000);
});
