// Issue 8, point 5, with real processes: one live session per site. A
// genuine `scadalink site` and an impostor holding the same credentials (a
// raw gRPC client built from proto/), then two genuine site processes started
// in overlap. Central's registry (GET /admin/api/sites) must name a stream
// that is really open, an operator's Retry goes to the registered session
// only, and a replaced site comes back after a growing backoff, not in a
// tight loop.
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { newTrackedOperationId } from '../../src/commons/index.js';
import { auditEventMsg } from '../../src/transport/index.js';
import { step } from '../central/db/events.js';
import { tempDir } from '../support/index.js';
import { SiteProcess, runCli } from '../support/process.js';
import { writeProject } from '../support/project.js';
import { RawSite, ingest } from '../transport/raw-site.js';

interface SitesAnswer {
  sites: { name: string; connected: boolean; node: string | null }[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('issue 8: one live session per site, with real processes', () => {
  let tmp: ReturnType<typeof tempDir>;
  let centralData: string;
  let projectDir: string;
  let secret: string;
  let token: string;
  let central: SiteProcess;
  let procs: SiteProcess[] = [];
  let raws: RawSite[] = [];

  beforeAll(() => {
    tmp = tempDir();
    centralData = join(tmp.dir, 'central');
    projectDir = writeProject(join(tmp.dir, 'project'), { sites: { plant1: {} }, instances: { Pump1: { site: 'plant1', scripts: { noop: { file: 'noop.js', triggers: ['call'] } } } } }, { 'noop.js': 'return 1;' });
    const added = runCli(['central', 'site', 'add', '--create', 'plant1', '--data', centralData]);
    expect(added.status).toBe(0);
    secret = added.stdout.trim();
    const created = runCli(['central', 'token', 'create', '--create', '--role', 'Deployment', '--name', 'ops', '--data', centralData]);
    expect(created.status).toBe(0);
    token = created.stdout.trim();
  });
  afterEach(async () => {
    for (const r of raws) r.close();
    raws = [];
    await Promise.all(procs.map((p) => p.terminate()));
    procs = [];
  });
  afterAll(() => tmp.cleanup());

  const address = (): string => `127.0.0.1:${central.grpcPort}`;
  const startCentral = async (): Promise<void> => {
    central = await SiteProcess.central(['--data', centralData, '--port', '0', '--grpc-port', '0']);
    procs.push(central);
  };
  const startSite = async (name: string): Promise<SiteProcess> => {
    const p = await SiteProcess.start(['--project', projectDir, '--data', join(tmp.dir, name), '--port', '0', '--central', address()], {
      SCADALINK_SITE_SECRET: secret,
    });
    procs.push(p);
    return p;
  };
  const nodeOf = (p: SiteProcess): string => `plant1@${hostname()}/${p.child.pid}`;
  const registered = async (): Promise<{ connected: boolean; node: string | null }> => {
    const res = await fetch(`${central.url}/admin/api/sites`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as SitesAnswer;
    return body.sites.find((s) => s.name === 'plant1')!;
  };
  const until = async (node: string, withinMs: number): Promise<void> => {
    const deadline = Date.now() + withinMs;
    while ((await registered()).node !== node) {
      if (Date.now() > deadline) throw new Error(`central did not register ${node} within ${withinMs} ms; it has ${JSON.stringify(await registered())}`);
      await sleep(50);
    }
  };
  const connects = (): number => central.lines.filter((l) => l.includes('"msg":"site connected"')).length;
  const retry = async (id: string): Promise<{ status: number; code: string | undefined }> => {
    const res = await fetch(`${central.url}/admin/api/site-calls/${id}/retry`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { error?: { code: string } };
    return { status: res.status, code: body.error?.code };
  };

  it('issue 8 point 5: an impostor with the site\'s credentials takes the session only until the genuine site reclaims it; Retry goes to the registered one only; the site backs off', async () => {
    await startCentral();
    const site = await startSite('site');
    await until(nodeOf(site), 10_000);
    const id = newTrackedOperationId();
    const parked = [step(id, 'CachedSubmit', 'Submitted', 1), step(id, 'ApiCallCached', 'Parked', 2)].map(auditEventMsg);
    expect(await ingest(address(), 'plant1', secret, { site: 'plant1', events: parked }, 'IngestCachedTelemetry')).toBeNull();

    const impostor = new RawSite(address(), 'plant1', secret, 'impostor');
    raws.push(impostor);
    await until('impostor', 5_000);
    const warned = JSON.parse(await site.line('another connection of this site replaced it')) as { level: number; reason: string; retryInMs: number };
    expect(warned.level).toBe(40);
    expect(warned.reason).toBe('replaced by a newer connection of site plant1 from node impostor');
    // While the impostor is registered, the operator's Retry reaches it, and it alone.
    expect(await retry(id)).toMatchObject({ code: 'IMPOSTOR' });
    expect(impostor.commands.filter((c) => c.retryParked?.trackedOperationId === id)).toHaveLength(1);

    // The genuine site comes back after its backoff and the impostor's stream is ended.
    await until(nodeOf(site), 5_000);
    expect(await impostor.ended).toEqual({ code: grpc.status.ABORTED, details: `replaced by a newer connection of site plant1 from node ${nodeOf(site)}` });
    const answer = await retry(id);
    expect(answer.code).not.toBe('IMPOSTOR');
    expect(impostor.commands.filter((c) => c.retryParked !== undefined && c.retryParked !== null)).toHaveLength(1);

    // Nothing replaces it any more: the registry stays on the genuine site and it does not reconnect.
    const before = connects();
    for (let i = 0; i < 20; i++) {
      expect(await registered()).toEqual(expect.objectContaining({ connected: true, node: nodeOf(site) }));
      await sleep(150);
    }
    expect(connects()).toBe(before);
    expect(connects()).toBeLessThanOrEqual(3);
  }, 120_000);

  it('issue 8 point 5: two genuine nodes started in overlap take turns with a growing backoff; the registry always names one of them, and the survivor keeps the site', async () => {
    await startCentral();
    const a = await startSite('node-a');
    await until(nodeOf(a), 10_000);
    const b = await startSite('node-b');
    await until(nodeOf(b), 10_000);
    await a.line('another connection of this site replaced it');
    const start = connects();
    const windowMs = 8_000;
    for (const end = Date.now() + windowMs; Date.now() < end; ) {
      const r = await registered();
      expect(r.connected).toBe(true);
      expect([nodeOf(a), nodeOf(b)]).toContain(r.node);
      await sleep(100);
    }
    // A tight loop would be hundreds of connects; backoffs of 1, 2, 4 s allow a handful.
    const during = connects() - start;
    expect(during).toBeLessThanOrEqual(8);
    const waitsOf = (p: SiteProcess): number[] =>
      p.lines.filter((l) => l.includes('another connection of this site replaced it')).map((l) => (JSON.parse(l) as { retryInMs: number }).retryInMs);
    for (const waits of [waitsOf(a), waitsOf(b)]) {
      expect(waits.every((w) => w >= 500)).toBe(true);
      // The backoff doubles per replacement and its jitter spans [backoff/2, backoff], so the waits never shrink.
      expect(waits).toEqual([...waits].sort((x, y) => x - y));
    }
    expect(waitsOf(a).length).toBeGreaterThanOrEqual(1);

    await b.terminate();
    await until(nodeOf(a), 35_000);
    for (let i = 0; i < 10; i++) {
      expect(await registered()).toEqual(expect.objectContaining({ connected: true, node: nodeOf(a) }));
      await sleep(100);
    }
  }, 150_000);
});
