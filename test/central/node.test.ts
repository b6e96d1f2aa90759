// The central node's HTTP API in-process, on a real SQLite database and a
// real site link (central issue, point 7: unreachable site and unknown or
// non-parked operations answer with stable codes).
import { once } from 'node:events';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret, newTrackedOperationId } from '../../src/commons/index.js';
import { type CentralNode, createToken, startCentralNode } from '../../src/central/index.js';
import { SiteLinkClient } from '../../src/transport/index.js';
import { tempDir } from '../support/index.js';
import { step } from './db/events.js';

const logger = pino({ level: 'silent' });

describe('central node HTTP API', () => {
  let tmp: ReturnType<typeof tempDir>;
  let node: CentralNode;
  let client: SiteLinkClient | undefined;
  let admin: string;
  let viewer: string;
  /** fetch with an operator token (Admin unless told). */
  const get = (path: string, token = admin) => fetch(`${node.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

  beforeEach(async () => {
    tmp = tempDir();
    node = await startCentralNode({ dataDir: tmp.dir, port: 0, grpcPort: 0, logger });
    admin = await createToken(node.repo, 'alice', 'Admin');
    viewer = await createToken(node.repo, 'victor', 'Viewer');
  });
  afterEach(async () => {
    await client?.stop();
    client = undefined;
    await node.stop();
    tmp.cleanup();
  });

  const post = async (path: string, token = admin) => {
    const res = await fetch(`${node.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as { error?: { code: string }; status?: string } };
  };

  it('lists SiteCalls with filters and keyset pages, and refuses a bad filter with 400 INVALID_QUERY naming it', async () => {
    const ids = [newTrackedOperationId(), newTrackedOperationId(), newTrackedOperationId()];
    await node.repo.ingest('plant-a', ids.map((id) => step(id, 'CachedResolve', 'Parked', 4)));
    const page1 = (await (await get('/admin/api/site-calls?site=plant-a&limit=2')).json()) as { items: { trackedOperationId: string }[]; next: string };
    expect(page1.items.map((r) => r.trackedOperationId)).toEqual([ids[2], ids[1]]);
    const page2 = (await (await get(`/admin/api/site-calls?site=plant-a&limit=2&after=${page1.next}`)).json()) as { items: { trackedOperationId: string }[]; next: null };
    expect(page2).toEqual({ items: [expect.objectContaining({ trackedOperationId: ids[0] })], next: null });
    for (const [query, parameter] of [['status=Pending', 'status'], ['limit=0', 'limit'], ['from=yesterday', 'from'], ['colour=red', 'colour']]) {
      const res = await get(`/admin/api/site-calls?${query}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'INVALID_QUERY', details: { parameter } } });
    }
  });

  it('serves the KPIs as JSON and as Prometheus gauges, globally and per site', async () => {
    await node.repo.ingest('plant-a', [step(newTrackedOperationId(), 'CachedResolve', 'Parked', 4), step(newTrackedOperationId(), 'ApiCallCached', 'Forwarded', 2)]);
    await node.repo.ingest('plant-b', [step(newTrackedOperationId(), 'CachedResolve', 'Parked', 4)]);
    const kpis = (await (await get('/admin/api/kpis')).json()) as { global: { parked: number; buffered: number }; sites: Record<string, { parked: number }> };
    expect(kpis.global).toMatchObject({ parked: 2, buffered: 1 });
    expect(kpis.sites['plant-b']).toMatchObject({ parked: 1 });
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    expect(metrics).toMatch(/^scadalink_central_site_calls_parked\{site="\*"\} 2$/m);
    expect(metrics).toMatch(/^scadalink_central_site_calls_parked\{site="plant-a"\} 1$/m);
    expect(metrics).toMatch(/^scadalink_central_site_calls_buffered\{site="plant-a"\} 1$/m);
  });

  it('requires an operator token (401) and the Deployment role to act on operations (403); a Viewer reads', async () => {
    const id = newTrackedOperationId();
    await node.repo.ingest('plant-a', [step(id, 'CachedResolve', 'Parked', 4)]);
    expect((await fetch(`${node.url}/admin/api/site-calls/${id}`)).status).toBe(401);
    expect((await get(`/admin/api/site-calls/${id}`, `${admin.slice(0, -3)}xyz`)).status).toBe(401);
    expect((await get(`/admin/api/site-calls/${id}`, 'slk_not-a-token')).status).toBe(401);
    expect((await get(`/admin/api/site-calls/${id}`, viewer)).status).toBe(200);
    expect(await post(`/admin/api/site-calls/${id}/retry`, viewer)).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN_ROLE' } } });
    // /health and /metrics stay open for probes and scrapers.
    expect((await fetch(`${node.url}/health`)).status).toBe(200);
    expect((await fetch(`${node.url}/metrics`)).status).toBe(200);
  });

  it('answers an unknown operation with 404 UNKNOWN_OPERATION', async () => {
    const id = newTrackedOperationId();
    expect((await get(`/admin/api/site-calls/${id}`)).status).toBe(404);
    expect(await post(`/admin/api/site-calls/${id}/retry`)).toMatchObject({ status: 404, body: { error: { code: 'UNKNOWN_OPERATION' } } });
  });

  it('answers Retry for a site that is not connected at once with 503 SITE_UNREACHABLE', async () => {
    const id = newTrackedOperationId();
    await node.repo.ingest('plant-a', [step(id, 'CachedResolve', 'Parked', 4)]);
    const started = Date.now();
    expect(await post(`/admin/api/site-calls/${id}/retry`)).toMatchObject({ status: 503, body: { error: { code: 'SITE_UNREACHABLE' } } });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("relays to the owning site and passes on the site's refusal as 409 OPERATION_NOT_PARKED", async () => {
    const id = newTrackedOperationId();
    await node.repo.putSite('plant-a', await hashSecret('s3cret'));
    await node.repo.ingest('plant-a', [step(id, 'CachedResolve', 'Delivered', 4)]);
    const asked: string[] = [];
    client = new SiteLinkClient({
      address: `127.0.0.1:${node.grpcPort}`,
      site: 'plant-a',
      secret: 's3cret',
      node: 'plant-a@test',
      version: '0.1.0',
      logger,
      onCommand: (cmd) => {
        if (cmd.pullTracking) return Promise.resolve({ ok: true, trackingPage: { rows: [], more: false } });
        asked.push(`${cmd.body}:${cmd.retryParked?.operator ?? ''}`);
        return Promise.resolve({ ok: false, errorCode: 'OPERATION_NOT_PARKED', errorMessage: `operation ${id} is Delivered, not Parked` });
      },
    });
    client.start();
    if (node.link.session('plant-a') === undefined) await once(node.link.events, 'session');
    expect(await post(`/admin/api/site-calls/${id}/retry`)).toMatchObject({ status: 409, body: { error: { code: 'OPERATION_NOT_PARKED' } } });
    expect(asked).toEqual(['retryParked:alice']);
  });
});
