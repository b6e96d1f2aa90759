// Issue 8, point 8: no silent crash paths. Real `scadalink` processes: a site
// whose event-log writes fail keeps running; a promise rejected with nobody
// listening is logged and counted, not fatal; an uncaught exception is logged
// as fatal JSON and ends the process with 1. The rejection and the exception
// come from a module the test preloads (--import) into the real process, on a
// signal the test sends, so no production code carries a trigger for them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/index.js';
import { SiteProcess } from '../support/process.js';
import { writeProject } from '../support/project.js';

const PRELOAD = `
process.on('SIGUSR2', () => { Promise.reject(new Error('rejection provoked by the test')); });
process.on('SIGHUP', () => { setImmediate(() => { throw new Error('exception thrown by the test'); }); });
`;

describe('issue 8: a node survives unexpected rejections and says so', () => {
  let tmp: ReturnType<typeof tempDir>;
  let projectDir: string;
  let preload: string;
  let node: SiteProcess | undefined;

  beforeAll(() => {
    tmp = tempDir();
    projectDir = writeProject(
      join(tmp.dir, 'project'),
      { sites: { plant1: {} }, instances: { Pump1: { site: 'plant1', scripts: { hello: { file: 'hello.js', triggers: ['call'] } } } } },
      { 'hello.js': `return 'hi ' + Parameters.name;` },
    );
    preload = join(tmp.dir, 'fault.mjs');
    writeFileSync(preload, PRELOAD);
  });
  afterEach(async () => {
    await node?.kill();
    node = undefined;
  });
  afterAll(() => tmp.cleanup());

  const withFaults = (): NodeJS.ProcessEnv => ({ NODE_OPTIONS: `--import=${preload}` });
  const json = (line: string): Record<string, unknown> => JSON.parse(line) as Record<string, unknown>;
  const hello = async (url: string): Promise<unknown> => {
    const res = await fetch(`${url}/admin/api/instances/Pump1/scripts/hello/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x' }),
    });
    return ((await res.json()) as { result?: unknown }).result;
  };

  it('issue 8 a site whose event-log writes fail starts, serves and logs each lost entry at warn level, without feeding on itself', async () => {
    const dataDir = join(tmp.dir, 'site-events');
    node = await SiteProcess.start(['--project', projectDir, '--data', dataDir, '--port', '0']);
    await node.terminate();
    // A real fault at the event log: every insert into it fails from now on.
    const db = new Database(join(dataDir, 'site.db'));
    db.exec(`CREATE TRIGGER no_events BEFORE INSERT ON event_log BEGIN SELECT RAISE(ABORT, 'event log disk says no'); END`);
    db.close();
    // Before the fix, the AuditFailure entry for a lost entry was itself lost,
    // reported, lost again…: the site spun and never listened.
    node = await SiteProcess.start(['--project', projectDir, '--data', dataDir, '--port', '0']);
    const lost = json(await node.line('"audit event not recorded"'));
    expect(lost).toMatchObject({ level: 40, err: { message: expect.stringContaining('event log disk says no') as unknown } });
    for (let i = 0; i < 3; i++) expect(await hello(node.url)).toBe('hi x');
    expect((await fetch(`${node.url}/health`)).status).toBe(200);
    expect(node.alive).toBe(true);
    // The start-up entry and the AuditFailure entry about it: two lines, not a stream.
    expect(node.lines.filter((l) => l.includes('"audit event not recorded"')).length).toBeLessThanOrEqual(2);
  });

  it('issue 8 an unhandled rejection in a running site is logged at error level, counted in scadalink_unhandled_rejections_total, and the site keeps serving', async () => {
    node = await SiteProcess.start(['--project', projectDir, '--data', join(tmp.dir, 'site-rejects'), '--port', '0'], withFaults());
    expect(await (await fetch(`${node.url}/metrics`)).text()).toMatch(/^scadalink_unhandled_rejections_total\{site="plant1"\} 0$/m);
    node.child.kill('SIGUSR2');
    const logged = json(await node.line('"unhandled promise rejection'));
    expect(logged).toMatchObject({ level: 50, role: 'site', err: { type: 'Error', message: 'rejection provoked by the test' } });
    node.child.kill('SIGUSR2');
    await node.line('"unhandledRejections":2');
    expect(await (await fetch(`${node.url}/metrics`)).text()).toMatch(/^scadalink_unhandled_rejections_total\{site="plant1"\} 2$/m);
    expect(await hello(node.url)).toBe('hi x');
    expect(node.alive).toBe(true);
  });

  it('issue 8 an unhandled rejection in a running central is logged and counted on its /metrics, and central keeps answering', async () => {
    node = await SiteProcess.central(['--data', join(tmp.dir, 'central'), '--port', '0', '--grpc-port', '0'], withFaults());
    node.child.kill('SIGUSR2');
    expect(json(await node.line('"unhandled promise rejection'))).toMatchObject({ level: 50, role: 'central' });
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    expect(metrics).toMatch(/^scadalink_unhandled_rejections_total 1$/m);
    expect((await fetch(`${node.url}/health`)).status).toBe(200);
    expect(node.alive).toBe(true);
  });

  it('issue 8 an uncaught exception is logged as fatal JSON and the node exits with 1', async () => {
    node = await SiteProcess.start(['--project', projectDir, '--data', join(tmp.dir, 'site-throws'), '--port', '0'], withFaults());
    node.child.kill('SIGHUP');
    const exit = await node.exited;
    expect(exit).toEqual({ code: 1, signal: null });
    const fatal = json(node.lines.find((l) => l.includes('"uncaught exception'))!);
    expect(fatal).toMatchObject({ level: 60, role: 'site', origin: 'uncaughtException', err: { message: 'exception thrown by the test' } });
  });
});
