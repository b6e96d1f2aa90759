// Issue 9, point 1: a relative SQLite file in a project resolves against the
// site's data directory, whether the site runs a project directory
// (standalone) or a revision central deployed, and its folder is created. The
// demo project's scripts run without an error on a fresh data directory.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadProject, parseProjectBundle, readProjectBundle } from '../../src/config/index.js';
import { packageRoot } from '../../src/commons/index.js';
import { SiteRuntime, startSiteNode, type SiteNode } from '../../src/site/index.js';
import { tempDir } from '../support/index.js';
import { writeProject } from '../support/project.js';

const silent = pino({ level: 'silent' });
const WRITE = `
  const db = await Database.Connection('Local');
  await db.Execute('CREATE TABLE IF NOT EXISTS t (v TEXT)', []);
  await db.Execute('INSERT INTO t (v) VALUES (?)', ['x']);
  return 'ok';`;

function project(dir: string): string {
  return writeProject(
    dir,
    {
      sites: { plant1: {} },
      instances: { Pump1: { site: 'plant1', scripts: { write: { file: 'write.js', triggers: ['call'] } } } },
      databases: { Local: { driver: 'sqlite', file: 'hist/deep/local.db' } },
    },
    { 'write.js': WRITE },
  );
}

function rows(file: string, sql: string): unknown {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).get();
  } finally {
    db.close();
  }
}

describe('issue 9: a relative SQLite file lives in the site data directory', () => {
  const tmp = tempDir();
  let node: SiteNode | undefined;
  let runtime: SiteRuntime | undefined;

  afterEach(async () => {
    await node?.stop();
    await runtime?.stop(2000);
    node = undefined;
    runtime = undefined;
  });

  it('standalone (--project): the file is under --data, its folder created, nothing in the project directory', async () => {
    const dir = project(join(tmp.dir, 'standalone-project'));
    const dataDir = join(tmp.dir, 'standalone-data');
    node = await startSiteNode({ projectDir: dir, dataDir, port: 0, logger: silent });
    expect(await node.runtime!.callScript('Pump1', 'write')).toBe('ok');
    expect(rows(join(dataDir, 'hist', 'deep', 'local.db'), 'SELECT COUNT(*) AS n FROM t')).toEqual({ n: 1 });
    expect(existsSync(join(dir, 'hist'))).toBe(false);
  });

  it('deployed by central: the same file under the same data directory', async () => {
    const dataDir = join(tmp.dir, 'deployed-data');
    const bundle = readProjectBundle(project(join(tmp.dir, 'deployed-project')));
    // What the site does with a deployed revision (site-node.ts): its data directory stands in for the project's.
    runtime = new SiteRuntime({ project: parseProjectBundle(bundle, dataDir), dataDir, logger: silent });
    runtime.start();
    expect(await runtime.callScript('Pump1', 'write')).toBe('ok');
    expect(rows(join(dataDir, 'hist', 'deep', 'local.db'), 'SELECT COUNT(*) AS n FROM t')).toEqual({ n: 1 });
  });

  it('the demo project on a fresh data directory: its scripts run, the alarm raises and clears, the historian records it, no error logged', async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
    const dataDir = join(tmp.dir, 'demo-data');
    const demo = loadProject(join(packageRoot(), 'examples', 'demo'), { DEMO_ERP_URL: 'http://127.0.0.1:9/api' }, dataDir);
    runtime = new SiteRuntime({ project: demo, dataDir, logger, pollIntervalMs: 50 });
    runtime.start();
    // The simulation runs too (every 2 s): from 0, 95 raises the alarm unless the simulation raised it just before.
    await runtime.setAttribute('Pump1', 'Flow', 0);
    await runtime.setAttribute('Pump1', 'Flow', 95);
    await vi.waitFor(() => expect(lines.some((l) => l.msg.startsWith('high flow'))).toBe(true), { timeout: 10_000 });
    await runtime.setAttribute('Pump1', 'Flow', 80);
    expect(typeof (await runtime.callScript('Pump1', 'report'))).toBe('string');
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['alarm raised', 'alarm cleared']));
    expect((rows(join(dataDir, 'historian.db'), 'SELECT COUNT(*) AS n FROM excursions') as { n: number }).n).toBeGreaterThanOrEqual(1);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  });
});
