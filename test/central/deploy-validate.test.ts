// Central and the site run `scadalink validate`'s checks on a revision (issue 9,
// point 2): central refuses to record a project with a broken script
// (CONFIG_INVALID with file:line:col), and a site refuses a revision that got
// past central's check and keeps running what it ran.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, hashSecret } from '../../src/commons/index.js';
import { type CentralNode, createToken, openCentralRepository, rollbackTo, startCentralNode } from '../../src/central/index.js';
import { bundleOf } from '../../src/config/index.js';
import { type SiteNode, startSiteNode } from '../../src/site/index.js';
import { tempDir } from '../support/index.js';
import { closedPort } from '../support/net.js';
import { writeProject } from '../support/project.js';

const logger = pino({ level: 'silent' });
const BROKEN = 'const a = 1;\nreturn a +* 2;\n';

describe('central and the site refuse a revision with a broken script', () => {
  let tmp: ReturnType<typeof tempDir>;
  let central: CentralNode | undefined;
  let site: SiteNode | undefined;

  const project = (dir: string, hello: string): string =>
    writeProject(
      dir,
      { sites: { plant1: {} }, instances: { Pump1: { site: 'plant1', scripts: { hello: { file: 'hello.js', triggers: ['call'] } } } } },
      { 'hello.js': hello },
    );

  const startCentral = async (projectDir: string, grpcPort = 0): Promise<CentralNode> => {
    const dataDir = join(tmp.dir, 'central');
    const repo = await openCentralRepository({ dataDir });
    await repo.putSite('plant1', await hashSecret('s3cret'));
    await repo.close();
    return startCentralNode({ dataDir, port: 0, grpcPort, logger, projectDir, maintenanceOnStart: false });
  };

  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await site?.stop();
    site = undefined;
    await central?.stop();
    central = undefined;
    tmp.cleanup();
  });

  it('central --project with a syntax error in a script does not start: CONFIG_INVALID naming scripts/hello.js:2:col', async () => {
    const err = await startCentral(project(join(tmp.dir, 'p'), BROKEN)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CONFIG_INVALID');
    expect((err as ConfigError).issues).toEqual([{ path: 'scripts/hello.js:2:11', message: 'SCRIPT_COMPILE Expression expected.', code: 'SCRIPT_COMPILE' }]);
    const repo = await openCentralRepository({ dataDir: join(tmp.dir, 'central') });
    expect(await repo.latestConfig()).toBeUndefined();
    await repo.close();
  });

  it('a deployment of a project whose script now has a syntax error is 400 CONFIG_INVALID with the position, and no revision is recorded', async () => {
    const dir = project(join(tmp.dir, 'p'), "return 'v1';\n");
    central = await startCentral(dir);
    writeFileSync(join(dir, 'scripts', 'hello.js'), BROKEN);
    const token = await createToken(central.repo, 'deployer', 'Deployment');
    const res = await fetch(`${central.url}/admin/api/deployments`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string; details: { issues: { path: string }[] } } };
    expect(body.error.code).toBe('CONFIG_INVALID');
    expect(body.error.details.issues.map((i) => i.path)).toEqual(['scripts/hello.js:2:11']);
    expect(body.error.message).toContain('scripts/hello.js:2:11: SCRIPT_COMPILE');
    expect((await central.repo.latestConfig())?.revision).toBe(1);
  });

  it('a script naming an external system the project does not define is refused by central (UNKNOWN_SYSTEM at its position)', async () => {
    const err = await startCentral(project(join(tmp.dir, 'p'), "\nreturn await ExternalSystem.Call('ERP', 'get');\n")).catch((e: unknown) => e);
    expect((err as ConfigError).issues.map((i) => `${i.path} ${i.message}`)).toEqual([
      'scripts/hello.js:2:34 UNKNOWN_SYSTEM external system ERP is not defined in externalSystems',
    ]);
  });

  it('a rollback to a revision recorded before central checked scripts, holding a broken one, is refused (CONFIG_INVALID) and records nothing', async () => {
    const repo = await openCentralRepository({ dataDir: join(tmp.dir, 'central') });
    try {
      const broken = bundleOf({ 'scadalink.yaml': 'sites: { plant1: {} }\ninstances:\n  Pump1: { site: plant1, scripts: { hello: { file: hello.js } } }\n', 'scripts/hello.js': BROKEN });
      await repo.putConfig(broken.files, broken.sha256, 'an older central');
      const good = bundleOf({ ...broken.files, 'scripts/hello.js': "return 'v2';\n" });
      await repo.putConfig(good.files, good.sha256, 'central start');
      const err = await rollbackTo(repo, 'operator', 1).catch((e: unknown) => e);
      expect((err as ConfigError).code).toBe('CONFIG_INVALID');
      expect((err as ConfigError).issues.map((i) => i.path)).toEqual(['scripts/hello.js:2:11']);
      expect((await repo.latestConfig())?.revision).toBe(2);
    } finally {
      await repo.close();
    }
  });

  it('a site refuses a revision with a broken script injected past central (CONFIG_INVALID) and keeps running what it ran', async () => {
    const grpcPort = await closedPort();
    central = await startCentral(project(join(tmp.dir, 'p'), "return 'v1';\n"), grpcPort);
    site = await startSiteNode({ site: 'plant1', dataDir: join(tmp.dir, 'site'), port: 0, logger, central: { address: `127.0.0.1:${grpcPort}`, secret: 's3cret' } });
    await new Promise((resolve) => site!.events.once('deployed', resolve));

    const latest = (await central.repo.latestConfig())!;
    // Sent straight over the link: central's own check never saw these files.
    const broken = bundleOf({ ...latest.files, 'scripts/hello.js': BROKEN });
    const reply = await central.link.command('plant1', { deployConfiguration: { revision: 2, sha256: broken.sha256, files: broken.files } });
    expect(reply).toMatchObject({ ok: false, errorCode: 'CONFIG_INVALID' });
    expect(reply.errorMessage).toContain('scripts/hello.js:2:11: SCRIPT_COMPILE Expression expected.');
    expect(site.configRevision).toBe(1);
    const answer = await fetch(`${site.url}/admin/api/instances/Pump1/scripts/hello/call`, { method: 'POST' });
    expect(await answer.json()).toEqual({ result: 'v1' });
  });
});
