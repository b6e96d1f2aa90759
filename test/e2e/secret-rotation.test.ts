// Issue 8, point 6, with real processes: two `scadalink central` nodes on one
// PostgreSQL database, a `scadalink site` connected to node A, and the
// secret rotated by a separate `scadalink central site add` process. The old
// secret must be refused by both nodes from the next call, and the stream
// opened with it closed within about a second on the node that holds it.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PG, createPgDatabase, tempDir } from '../support/index.js';
import { SiteProcess, runCli } from '../support/process.js';
import { writeProject } from '../support/project.js';
import { ingest } from '../transport/raw-site.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('issue 8: secret rotation on two central nodes', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  let url: string;
  let procs: SiteProcess[] = [];

  beforeEach(async () => {
    tmp = tempDir();
    db = await createPgDatabase('sl_rotation');
    url = `postgres://${PG.user}@${PG.host}:${PG.port}/${db.database}`;
  });
  afterEach(async () => {
    await Promise.all(procs.map((p) => p.terminate()));
    procs = [];
    await db.drop();
    tmp.cleanup();
  });

  it('issue 8 point 6: after `central site add` rotates the secret, both nodes refuse the old one on the next call and node A closes the site stream within about 1 s', async () => {
    const add = (): string => {
      const r = runCli(['central', 'site', 'add', '--create', 'plant1', '--data', join(tmp.dir, 'cli'), '--database-url', url]);
      expect(r.status).toBe(0);
      return r.stdout.trim();
    };
    const oldSecret = add();
    const created = runCli(['central', 'token', 'create', '--create', '--role', 'Viewer', '--name', 'ops', '--data', join(tmp.dir, 'cli'), '--database-url', url]);
    expect(created.status).toBe(0);
    const token = created.stdout.trim();
    const args = (n: string): string[] => ['--data', join(tmp.dir, n), '--database-url', url, '--port', '0', '--grpc-port', '0'];
    const [a, b] = await Promise.all([SiteProcess.central(args('a')), SiteProcess.central(args('b'))]);
    procs.push(a!, b!);
    const project = writeProject(join(tmp.dir, 'project'), { sites: { plant1: {} }, instances: { Pump1: { site: 'plant1', scripts: { noop: { file: 'noop.js', triggers: ['call'] } } } } }, { 'noop.js': 'return 1;' });
    const site = await SiteProcess.start(['--project', project, '--data', join(tmp.dir, 'site'), '--port', '0', '--central', `127.0.0.1:${a!.grpcPort}`], { SCADALINK_SITE_SECRET: oldSecret });
    procs.push(site);
    const connectedOnA = async (): Promise<boolean> => {
      const res = await fetch(`${a!.url}/admin/api/sites`, { headers: { authorization: `Bearer ${token}` } });
      return ((await res.json()) as { sites: { name: string; connected: boolean }[] }).sites.find((s) => s.name === 'plant1')!.connected;
    };
    while (!(await connectedOnA())) await sleep(50);
    // Both nodes accept (and remember) the old secret before the rotation.
    expect(await ingest(`127.0.0.1:${a!.grpcPort}`, 'plant1', oldSecret)).toBeNull();
    expect(await ingest(`127.0.0.1:${b!.grpcPort}`, 'plant1', oldSecret)).toBeNull();

    const newSecret = add();
    // Measured from the CLI's exit, which follows its write of the new hash by its own shutdown (tens of ms).
    const rotatedBy = Date.now();
    expect(await ingest(`127.0.0.1:${b!.grpcPort}`, 'plant1', oldSecret)).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    expect(await ingest(`127.0.0.1:${a!.grpcPort}`, 'plant1', oldSecret)).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    expect(await ingest(`127.0.0.1:${b!.grpcPort}`, 'plant1', newSecret)).toBeNull();

    const closed = JSON.parse(await a!.line("site's secret changed; its stream is closed")) as { time: number };
    // ~1 s: a 500 ms poll plus one query, with headroom for a loaded 2-core CI machine.
    expect(closed.time - rotatedBy).toBeLessThan(1_500);
    expect(await connectedOnA()).toBe(false);
    await site.line("the site's secret was changed");
  }, 120_000);
});
