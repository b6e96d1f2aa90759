// Issue 8 point 1, the scenario as reported, with real processes: a token
// from the site's environment in an external system's base URL, a remote
// that echoes the URL in its error, and a central receiving the telemetry.
// The token must reach neither the admin API's answer, the site's log, its
// store, central's AuditLog / SiteCalls nor central's log.
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/index.js';
import { SiteProcess, runCli } from '../support/process.js';
import { writeProject } from '../support/project.js';

const TOKEN = `TkN-${randomBytes(10).toString('hex')}`;

function bytesOf(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'latin1'))
    .join('\n');
}

describe('issue 8: a base URL secret echoed by the remote, with real central and site processes', () => {
  let tmp: ReturnType<typeof tempDir>;
  let remote: Server;
  let central: SiteProcess | undefined;
  let site: SiteProcess | undefined;
  let viewer: string;

  beforeAll(async () => {
    tmp = tempDir();
    remote = createServer((req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`no such resource: ${req.url}`);
    });
    await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
    const port = (remote.address() as AddressInfo).port;
    const projectDir = writeProject(
      join(tmp.dir, 'project'),
      {
        sites: { plant1: {} },
        instances: {
          Pump1: { site: 'plant1', scripts: { cached: { file: 'cached.js', triggers: ['call'] }, sync: { file: 'sync.js', triggers: ['call'] } } },
        },
        externalSystems: { ERP: { baseUrl: `http://127.0.0.1:${port}/api?token=\${ERP_TOKEN}`, methods: { get: { verb: 'GET', path: '/orders' } } } },
      },
      {
        'cached.js': `try { return await ExternalSystem.CachedCall('ERP', 'get', {}); } catch (e) { return e.trackedOperationId; }`,
        'sync.js': `return await ExternalSystem.Call('ERP', 'get', {});`,
      },
    );
    const centralData = join(tmp.dir, 'central');
    const added = runCli(['central', 'site', 'add', '--create', 'plant1', '--data', centralData]);
    expect(added.status).toBe(0);
    const created = runCli(['central', 'token', 'create', '--create', '--role', 'Viewer', '--name', 'e2e', '--data', centralData]);
    expect(created.status).toBe(0);
    viewer = created.stdout.trim();
    central = await SiteProcess.central(['--data', centralData, '--port', '0', '--grpc-port', '0']);
    site = await SiteProcess.start(
      ['--project', projectDir, '--data', join(tmp.dir, 'site'), '--port', '0', '--central', `127.0.0.1:${central.grpcPort}`],
      { SCADALINK_SITE_SECRET: added.stdout.trim(), ERP_TOKEN: TOKEN },
    );
  });

  afterAll(async () => {
    await site?.terminate();
    await central?.terminate();
    await new Promise((resolve) => remote?.close(resolve));
    tmp?.cleanup();
  });

  it('issue 8: the token is in no admin API answer, site or central log, site store, nor central AuditLog / SiteCalls', async () => {
    const sync = await fetch(`${site!.url}/admin/api/instances/Pump1/scripts/sync/call`, { method: 'POST' });
    const syncText = await sync.text();
    expect(sync.status).toBeGreaterThanOrEqual(400);
    expect(syncText).toContain('token=***');
    expect(syncText).not.toContain(TOKEN);

    const call = await fetch(`${site!.url}/admin/api/instances/Pump1/scripts/cached/call`, { method: 'POST' });
    const id = ((await call.json()) as { result: string }).result;
    // Central has the operation, Failed, with its three audit rows.
    let row: { status: string; lastError: string | null; audit: unknown[] } | undefined;
    for (;;) {
      const res = await fetch(`${central!.url}/admin/api/site-calls/${id}`, { headers: { authorization: `Bearer ${viewer}` } });
      if (res.status === 200) {
        row = (await res.json()) as typeof row;
        if (row!.status === 'Failed' && row!.audit.length === 3) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const answer = JSON.stringify(row);
    expect(answer).toContain('token=***');
    expect(answer).not.toContain(TOKEN);

    // Stopped (the site flushes its telemetry first), then every byte each one wrote is read.
    await site!.terminate();
    await central!.terminate();
    expect(bytesOf(join(tmp.dir, 'central'))).toContain('token=***');
    expect(bytesOf(join(tmp.dir, 'central'))).not.toContain(TOKEN);
    expect(bytesOf(join(tmp.dir, 'site'))).not.toContain(TOKEN);
    expect(site!.output).toContain('token=***');
    expect(site!.output).not.toContain(TOKEN);
    expect(central!.output).not.toContain(TOKEN);
  });
});
