// Issue 9, points 4 and 5, with real processes on SQLite: central's admin
// commands (`token`, `site`, `deployment`, `audit`) run as CLI processes
// against the database of a running `scadalink central`, with a
// `scadalink site` connected to it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScriptedServer } from '../support/http.js';
import { PG, createPgDatabase, tempDir } from '../support/index.js';
import { SiteProcess, runCli } from '../support/process.js';
import { writeProject } from '../support/project.js';
import { ingest } from '../transport/raw-site.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 50 ms until it returns true (the test's own timeout bounds it). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await sleep(50);
}

describe('issue 9 point 4: central admin commands refuse a database central never used', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  const commands: readonly (readonly string[])[] = [
    ['central', 'token', 'create', '--role', 'Admin', '--name', 'alice'],
    ['token', 'create', '--role', 'Admin', '--name', 'alice'],
    ['central', 'token', 'list'],
    ['central', 'token', 'revoke', 'alice'],
    ['central', 'site', 'add', 'plant1'],
    ['central', 'site', 'list'],
    ['central', 'site', 'disable', 'plant1'],
    ['central', 'site', 'enable', 'plant1'],
    ['central', 'site', 'remove', 'plant1'],
    ['central', 'deployment', 'list'],
    ['central', 'deployment', 'show', '1'],
    ['central', 'deployment', 'rollback', '1'],
    ['central', 'audit', 'list'],
  ];

  it('NO_CENTRAL_STORE for every admin command given a --data without central.db, and nothing is created', () => {
    const typo = join(tmp.dir, 'centrl-data');
    for (const args of commands) {
      const r = runCli([...args, '--data', typo]);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toContain('NO_CENTRAL_STORE');
      expect(r.stderr).toContain(join(typo, 'central.db'));
      expect(r.stdout, args.join(' ')).toBe('');
    }
    expect(existsSync(typo)).toBe(false);
  }, 120_000);

  it('--create makes the database for token create and site add; the next commands find it', () => {
    const data = join(tmp.dir, 'central');
    const created = runCli(['central', 'token', 'create', '--create', '--role', 'Admin', '--name', 'alice', '--data', data]);
    expect(created.status).toBe(0);
    expect(created.stdout).toMatch(/^slk_/);
    expect(runCli(['central', 'site', 'add', 'plant1', '--data', data]).status).toBe(0);
    expect(runCli(['central', 'token', 'list', '--data', data]).stdout).toContain('alice');
  }, 60_000);

  it('NO_CENTRAL_STORE for a PostgreSQL database without central schema (--database-url); --create migrates it', async () => {
    const db = await createPgDatabase('sl_nostore');
    try {
      const url = `postgres://${PG.user}@${PG.host}:${PG.port}/${db.database}`;
      for (const args of [commands[2]!, commands[4]!, commands[9]!]) {
        const r = runCli([...args, '--data', tmp.dir, '--database-url', url]);
        expect(r.status, args.join(' ')).not.toBe(0);
        expect(r.stderr).toContain('NO_CENTRAL_STORE');
        expect(r.stderr).not.toContain('postgres://');
      }
      expect(runCli(['central', 'site', 'add', 'plant1', '--create', '--data', tmp.dir, '--database-url', url]).status).toBe(0);
      expect(runCli(['central', 'site', 'list', '--data', tmp.dir, '--database-url', url]).stdout).toContain('plant1');
    } finally {
      await db.drop();
    }
  }, 60_000);

  it('usage errors name the argument: INVALID_ARGUMENT for a revision that is not a number, a bad site name, a bad --limit', () => {
    const data = join(tmp.dir, 'central');
    expect(runCli(['central', 'site', 'add', 'plant1', '--create', '--data', data]).status).toBe(0);
    for (const [args, text] of [
      [['central', 'deployment', 'show', 'abc'], 'revision'],
      [['central', 'deployment', 'rollback', '-1'], ''],
      [['central', 'site', 'disable', '../etc'], 'site name'],
      [['central', 'audit', 'list', '--limit', '0'], '--limit'],
    ] as const) {
      const r = runCli([...args, '--data', data]);
      expect(r.status, args.join(' ')).not.toBe(0);
      if (text !== '') expect(r.stderr, args.join(' ')).toMatch(new RegExp(`INVALID_ARGUMENT.*${text}`));
    }
    const unknown = runCli(['central', 'site', 'disable', 'plant9', '--data', data]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('SITE_NOT_FOUND');
  }, 60_000);
});

describe('issue 9 point 5: lifecycle commands as CLI processes against a running central on SQLite', () => {
  let tmp: ReturnType<typeof tempDir>;
  let erp: ScriptedServer;
  let central: SiteProcess | undefined;
  let site: SiteProcess | undefined;
  let centralData: string;
  let projectDir: string;
  let secret: string;
  let admin: string;

  const cli = (...args: string[]): { status: number | null; stdout: string; stderr: string } =>
    runCli([...args, '--data', centralData, ...(args.includes('list') || args.includes('show') ? [] : ['--operator', 'carol'])]);
  const api = async <T>(token: string, path: string, method = 'GET'): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${central!.url}/admin/api${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as T };
  };
  const siteRow = async (): Promise<{ connected: boolean; enabled: boolean; lastSeenAtUtc: string | null } | undefined> =>
    (await api<{ sites: { name: string; connected: boolean; enabled: boolean; lastSeenAtUtc: string | null }[] }>(admin, '/sites')).body.sites.find(
      (s) => s.name === 'plant1',
    );
  const project = (greeting: string): void => {
    writeProject(
      projectDir,
      {
        sites: { plant1: {} },
        instances: { Pump1: { site: 'plant1', scripts: { hello: { file: 'hello.js', triggers: ['call'] }, submit: { file: 'submit.js', triggers: ['call'] } } } },
        externalSystems: { ERP: { baseUrl: erpUrl, methods: { post: { verb: 'POST', path: '/orders' } } } },
      },
      { 'hello.js': `return ${JSON.stringify(greeting)};`, 'submit.js': `return await ExternalSystem.CachedCall('ERP', 'post', {});` },
    );
  };
  let erpUrl: string;
  const startSite = async (): Promise<SiteProcess> =>
    (site = await SiteProcess.start(['--site', 'plant1', '--data', join(tmp.dir, 'site'), '--port', '0', '--central', `127.0.0.1:${central!.grpcPort}`], {
      SCADALINK_SITE_SECRET: secret,
    }));
  const callScript = async (name: string): Promise<unknown> => {
    const res = await fetch(`${site!.url}/admin/api/instances/Pump1/scripts/${name}/call`, { method: 'POST' });
    expect(res.status).toBe(200);
    return ((await res.json()) as { result: unknown }).result;
  };

  beforeEach(async () => {
    tmp = tempDir();
    erp = new ScriptedServer();
    erpUrl = await erp.listen();
    centralData = join(tmp.dir, 'central');
    projectDir = join(tmp.dir, 'project');
    project('v1');
    const added = runCli(['central', 'site', 'add', 'plant1', '--create', '--data', centralData]);
    expect(added.status).toBe(0);
    secret = added.stdout.trim();
    admin = runCli(['central', 'token', 'create', '--role', 'Admin', '--name', 'root', '--data', centralData]).stdout.trim();
    central = await SiteProcess.central(['--data', centralData, '--project', projectDir, '--port', '0', '--grpc-port', '0']);
    await startSite();
    await site!.line('"configuration deployed"');
  });
  afterEach(async () => {
    await site?.terminate();
    await central?.terminate();
    site = undefined;
    central = undefined;
    await erp.close();
    tmp.cleanup();
  });

  it('token list shows id, name, role, created and last use and never a secret; token revoke (by name) is answered 401 from the next request; both audited', async () => {
    const ops = runCli(['central', 'token', 'create', '--role', 'Viewer', '--name', 'ops', '--data', centralData]).stdout.trim();
    expect((await api(ops, '/kpis')).status).toBe(200);
    const listed = cli('central', 'token', 'list', '--json');
    expect(listed.status).toBe(0);
    const rows = listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => [r.name, r.role])).toEqual([['root', 'Admin'], ['ops', 'Viewer']]);
    expect(Object.keys(rows[1]!).sort()).toEqual(['createdAtUtc', 'id', 'lastUsedAtUtc', 'name', 'revokedAtUtc', 'role']);
    expect(rows[1]).toMatchObject({ id: ops.slice(4, 16), lastUsedAtUtc: expect.any(String), revokedAtUtc: null });
    const table = cli('central', 'token', 'list').stdout;
    for (const token of [ops, admin]) expect(table + listed.stdout).not.toContain(token.slice(17));
    expect(table + listed.stdout).not.toContain('scrypt');

    const revoked = cli('central', 'token', 'revoke', 'ops');
    expect(revoked.status).toBe(0);
    expect(revoked.stdout).toContain(`token ${ops.slice(4, 16)} (ops, Viewer) revoked`);
    const refused = await api<{ error: { code: string } }>(ops, '/kpis');
    expect(refused).toEqual({ status: 401, body: { error: expect.objectContaining({ code: 'ADMIN_UNAUTHORIZED' }) } });
    expect(cli('central', 'token', 'revoke', ops.slice(4, 16)).stdout).toContain('was already revoked');
    expect(JSON.parse(cli('central', 'token', 'list', '--json').stdout.trim().split('\n')[1]!)).toMatchObject({ revokedAtUtc: expect.any(String) });

    const audit = cli('central', 'audit', 'list', '--json').stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit[0]).toMatchObject({ operator: 'carol', action: 'token.revoke', target: ops.slice(4, 16), detail: 'Viewer token for ops' });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['token.create', 'site.add']));
  }, 60_000);

  it('site disable closes the connected site\'s stream and refuses it with SITE_DISABLED; site enable lets it connect again; site list shows enabled and last seen', async () => {
    expect((await siteRow())?.connected).toBe(true);
    const disabled = cli('central', 'site', 'disable', 'plant1');
    expect(disabled.status).toBe(0);
    await central!.line('site disabled; its stream is closed');
    await site!.line('SITE_DISABLED');
    await until(async () => (await siteRow())?.connected === false);
    // It stays out: its reconnects are refused.
    await sleep(1_500);
    expect(await siteRow()).toMatchObject({ connected: false, enabled: false });
    const listed = cli('central', 'site', 'list', '--json');
    const row = JSON.parse(listed.stdout.trim()) as Record<string, unknown>;
    expect(row).toMatchObject({ name: 'plant1', enabled: false, configRevision: 1, lastSeenAtUtc: expect.any(String) });
    expect(listed.stdout).not.toContain('secretHash');
    expect(cli('central', 'site', 'list').stdout).toMatch(/plant1\s+false/);

    expect(cli('central', 'site', 'enable', 'plant1').status).toBe(0);
    await until(async () => (await siteRow())?.connected === true);
    expect((await siteRow())?.enabled).toBe(true);
    const actions = cli('central', 'audit', 'list', '--target', 'plant1', '--json').stdout.trim().split('\n').map((l) => JSON.parse(l) as { action: string; operator: string });
    expect(actions.map((a) => `${a.operator}:${a.action}`)).toEqual(['carol:site.enable', 'carol:site.disable', `${actions[2]!.operator}:site.add`]);
  }, 90_000);

  it('site remove closes the stream and the site can no longer connect; its SiteCalls and AuditLog rows stay queryable; site add registers it again', async () => {
    const id = (await callScript('submit')) as string;
    await until(async () => {
      const r = await api<{ status: string; audit: unknown[] }>(admin, `/site-calls/${id}`);
      return r.status === 200 && r.body.status === 'Delivered';
    });
    const before = (await api<{ audit: unknown[] }>(admin, `/site-calls/${id}`)).body.audit.length;

    const removed = cli('central', 'site', 'remove', 'plant1');
    expect(removed.status).toBe(0);
    await central!.line('site removed; its stream is closed');
    await until(async () => (await siteRow()) === undefined);
    expect(await ingest(`127.0.0.1:${central!.grpcPort}`, 'plant1', secret)).toMatchObject({ details: 'unknown site or wrong secret' });
    expect(cli('central', 'site', 'list').stdout).toBe('(none)\n');
    const history = await api<{ sourceSite: string; status: string; audit: unknown[] }>(admin, `/site-calls/${id}`);
    expect(history).toMatchObject({ status: 200, body: { sourceSite: 'plant1', status: 'Delivered' } });
    expect(history.body.audit).toHaveLength(before);
    expect((await api<{ items: unknown[] }>(admin, '/site-calls?site=plant1')).body.items).toHaveLength(1);

    const again = cli('central', 'site', 'add', 'plant1');
    expect(again.status).toBe(0);
    await site!.terminate();
    secret = again.stdout.trim();
    await startSite();
    await until(async () => (await siteRow())?.connected === true);
  }, 90_000);

  it('deployment list and show; deployment rollback N records a new revision equal to N, noted "rollback of N", which the connected site then runs', async () => {
    project('v2');
    const deployer = runCli(['token', 'create', '--role', 'Deployment', '--name', 'dana', '--data', centralData]).stdout.trim();
    expect((await api(deployer, '/deployments', 'POST')).status).toBe(201);
    expect(await callScript('hello')).toBe('v2');

    const rolled = cli('central', 'deployment', 'rollback', '1');
    expect(rolled.status).toBe(0);
    expect(rolled.stdout).toContain('revision 3 recorded (rollback of 1)');
    // Central notices the revision the CLI recorded and sends it to the site.
    await until(async () => (await callScript('hello')) === 'v1');
    await until(async () => JSON.parse(cli('central', 'deployment', 'list', '--json').stdout.split('\n')[0]!).sites.length === 1);

    const list = cli('central', 'deployment', 'list', '--json').stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(list).toEqual([
      { revision: 3, sha256: list[2]!.sha256, createdAtUtc: expect.any(String), createdBy: 'carol', note: 'rollback of 1', sites: ['plant1'] },
      { revision: 2, sha256: expect.any(String), createdAtUtc: expect.any(String), createdBy: 'dana', note: null, sites: [] },
      { revision: 1, sha256: expect.any(String), createdAtUtc: expect.any(String), createdBy: 'central start', note: null, sites: [] },
    ]);
    const table = cli('central', 'deployment', 'list').stdout;
    expect(table).toMatch(/^revision\s+sha256\s+createdAtUtc\s+createdBy\s+note\s+sites/);
    expect(table).toMatch(/3\s+[0-9a-f]{12}\s+\S+\s+carol\s+rollback of 1\s+plant1/);

    const shown = cli('central', 'deployment', 'show', '3');
    expect(shown.stdout).toContain('note: rollback of 1');
    expect(shown.stdout).toMatch(/scripts\/hello\.js\s+12\n/);
    expect(cli('central', 'deployment', 'show', '3', '--file', 'scripts/hello.js').stdout).toBe('return "v1";');
    expect(cli('central', 'deployment', 'show', '9').stderr).toContain('REVISION_NOT_FOUND');
    // The newest revision already has revision 1's files: nothing new.
    expect(cli('central', 'deployment', 'rollback', '1').stdout).toContain('nothing recorded');

    const audit = cli('central', 'audit', 'list', '--json').stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit.slice(0, 2)).toMatchObject([
      { operator: 'carol', action: 'deployment.rollback', target: '3', detail: 'rollback of 1' },
      { operator: 'dana', action: 'deployment.record', target: '2' },
    ]);
  }, 90_000);
});
