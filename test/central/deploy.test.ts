// Configuration deployment across central nodes (central issue, point 10;
// docs/central.md "Several central nodes"): a revision recorded by one node
// reaches a site connected to another node by that node's periodic sweep.
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/commons/index.js';
import { type CentralNode, createToken, openCentralRepository, startCentralNode } from '../../src/central/index.js';
import { type SiteNode, startSiteNode } from '../../src/site/index.js';
import { PG, createPgDatabase, tempDir } from '../support/index.js';
import { closedPort } from '../support/net.js';
import { writeProject } from '../support/project.js';

const logger = pino({ level: 'silent' });

describe('deployment with two central nodes on one PostgreSQL database', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  let nodes: CentralNode[] = [];
  let site: SiteNode | undefined;

  const project = (dir: string, greeting: string): string =>
    writeProject(
      dir,
      { sites: { plant1: {} }, instances: { Pump1: { site: 'plant1', scripts: { hello: { file: 'hello.js', triggers: ['call'] } } } } },
      { 'hello.js': `return ${JSON.stringify(greeting)};` },
    );

  /** A SQLite central on `grpcPort` with plant1 registered (secret `s3cret`) before it listens. */
  const central = async (dir: string, grpcPort: number, projectDir: string): Promise<CentralNode> => {
    const repo = await openCentralRepository({ dataDir: dir });
    await repo.putSite('plant1', await hashSecret('s3cret'));
    await repo.close();
    return startCentralNode({ dataDir: dir, port: 0, grpcPort, logger, projectDir, maintenanceOnStart: false });
  };

  beforeEach(async () => {
    tmp = tempDir();
    db = await createPgDatabase('sl_central_deploy');
  });
  afterEach(async () => {
    await site?.stop();
    site = undefined;
    for (const n of nodes) await n.stop();
    nodes = [];
    await db.drop();
    tmp.cleanup();
  });

  it("a revision recorded on node B reaches a site connected to node A by A's sweep", async () => {
    const url = `postgres://${PG.user}@${PG.host}:${PG.port}/${db.database}`;
    const projectA = project(join(tmp.dir, 'project-a'), 'v1');
    const projectB = project(join(tmp.dir, 'project-b'), 'v2');
    const common = { dataDir: tmp.dir, databaseUrl: url, port: 0, grpcPort: 0, logger, maintenanceOnStart: false };
    nodes.push(await startCentralNode({ ...common, projectDir: projectA, reconcileIntervalMs: 100 }));
    await nodes[0]!.repo.putSite('plant1', await hashSecret('s3cret'));

    site = await startSiteNode({
      site: 'plant1',
      dataDir: join(tmp.dir, 'site'),
      port: 0,
      logger,
      central: { address: `127.0.0.1:${nodes[0]!.grpcPort}`, secret: 's3cret' },
    });
    await new Promise((resolve) => site!.events.once('deployed', resolve));
    expect(site.configRevision).toBe(1);

    // Node B starts on a changed project (revision 2); the site is not connected to it.
    const deployed = new Promise((resolve) => site!.events.once('deployed', resolve));
    nodes.push(await startCentralNode({ ...common, projectDir: projectB }));
    expect(nodes[1]!.link.sites()).toEqual([]);
    expect(await deployed).toBe(2);
    const answer = await fetch(`${site.url}/admin/api/instances/Pump1/scripts/hello/call`, { method: 'POST' });
    expect(await answer.json()).toEqual({ result: 'v2' });

    const token = await createToken(nodes[1]!.repo, 'viewer', 'Viewer');
    const sites = (await (await fetch(`${nodes[1]!.url}/admin/api/sites`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      latestRevision: { revision: number };
      sites: { name: string; connected: boolean; configRevision: number }[];
    };
    // Node B does not hold the site's link, but the database says what it runs.
    expect(sites).toMatchObject({ latestRevision: { revision: 2 }, sites: [{ name: 'plant1', connected: false, configRevision: 2 }] });
  });

  it('a central rebuilt from scratch (its revision 1 holds other files) still deploys its project to a site that ran the old revision 1', async () => {
    const grpcPort = await closedPort();
    const secret = 's3cret';
    nodes.push(await central(join(tmp.dir, 'central-old'), grpcPort, project(join(tmp.dir, 'p1'), 'old')));
    site = await startSiteNode({ site: 'plant1', dataDir: join(tmp.dir, 'site'), port: 0, logger, central: { address: `127.0.0.1:${grpcPort}`, secret } });
    await new Promise((resolve) => site!.events.once('deployed', resolve));
    await nodes.pop()!.stop();

    const deployed = new Promise((resolve) => site!.events.once('deployed', resolve));
    nodes.push(await central(join(tmp.dir, 'central-new'), grpcPort, project(join(tmp.dir, 'p2'), 'new')));
    expect((await nodes[0]!.repo.latestConfig())?.revision).toBe(1);
    expect(await deployed).toBe(1);
    const answer = await fetch(`${site.url}/admin/api/instances/Pump1/scripts/hello/call`, { method: 'POST' });
    expect(await answer.json()).toEqual({ result: 'new' });
  });

  it('a site refuses a revision whose files do not match its digest (CONFIG_DIGEST_MISMATCH) and keeps running what it ran', async () => {
    const grpcPort = await closedPort();
    nodes.push(await central(join(tmp.dir, 'central'), grpcPort, project(join(tmp.dir, 'p'), 'v1')));
    site = await startSiteNode({ site: 'plant1', dataDir: join(tmp.dir, 'site'), port: 0, logger, central: { address: `127.0.0.1:${grpcPort}`, secret: 's3cret' } });
    await new Promise((resolve) => site!.events.once('deployed', resolve));

    const latest = (await nodes[0]!.repo.latestConfig())!;
    const tampered = { ...latest.files, 'scripts/hello.js': `return 'tampered';` };
    const reply = await nodes[0]!.link.command('plant1', { deployConfiguration: { revision: 2, sha256: latest.sha256, files: tampered } });
    expect(reply).toMatchObject({ ok: false, errorCode: 'CONFIG_DIGEST_MISMATCH' });
    expect(site.configRevision).toBe(1);
    const answer = await fetch(`${site.url}/admin/api/instances/Pump1/scripts/hello/call`, { method: 'POST' });
    expect(await answer.json()).toEqual({ result: 'v1' });
  });
});
