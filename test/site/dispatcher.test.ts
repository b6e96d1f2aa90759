import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Channel } from '../../src/commons/index.js';
import type { ExternalSystemConfig } from '../../src/config/index.js';
import { HttpGateway } from '../../src/integrations/index.js';
import { SiteStore, StoreAndForwardEngine } from '../../src/site/index.js';
import { apiOutboundHandler } from '../../src/site/runtime/api-handler.js';
import { ScriptedServer } from '../support/http.js';
import { tempDir } from '../support/index.js';

const logger = pino({ level: 'silent' });

// The dispatcher claims due rows through the due index with a cursor that
// remembers where it stopped (DESIGN §12); these tests use tiny pages so a
// small backlog spans many of them.
describe('dispatcher: paged claiming of due rows', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: ScriptedServer;
  let store: SiteStore;
  let engine: StoreAndForwardEngine;
  let gateway: HttpGateway;
  let system: ExternalSystemConfig;

  beforeEach(async () => {
    tmp = tempDir();
    server = new ScriptedServer();
    const baseUrl = await server.listen();
    system = {
      name: 'ERP',
      baseUrl,
      auth: { type: 'none' },
      timeoutMs: 2000,
      retry: { maxRetries: 50, retryIntervalMs: 5 },
      maxConcurrency: 2,
      methods: { post: { name: 'post', verb: 'POST', path: '/x', parameters: [{ name: 'n', type: 'integer', required: true }] } },
    };
    gateway = new HttpGateway();
    store = new SiteStore(join(tmp.dir, 'site.db'), 'site-a');
    engine = new StoreAndForwardEngine({
      store,
      logger,
      handlers: { ApiOutbound: apiOutboundHandler(gateway, () => ({ ERP: system })) },
      concurrencyOf: () => system.maxConcurrency,
      pageSize: 4,
      maxInFlight: 3,
      pollIntervalMs: 50,
    });
    engine.start();
  });

  afterEach(async () => {
    await engine.stop(1000);
    store.close();
    await gateway.close();
    await server.close();
    tmp.cleanup();
  });

  const submit = (n: number) =>
    engine.submit({
      channel: Channel.ApiOutbound,
      target: 'ERP',
      targetSummary: 'ERP.post',
      request: { system: 'ERP', method: 'post', params: { n } },
      maxRetries: system.retry.maxRetries,
      retryIntervalMs: system.retry.retryIntervalMs,
      sourceInstanceId: 'Pump1',
      sourceScript: 'report',
    });

  it('drains a backlog many pages long within the target limit, each operation delivered once', async () => {
    server.fallback = 503;
    const outs = await Promise.all(Array.from({ length: 40 }, (_, i) => submit(i)));
    expect(outs.every((o) => o.status === 'Forwarded')).toBe(true);
    server.fallback = 200;
    await Promise.all(outs.map((o) => store.waitFor(o.trackedOperationId, ['Delivered'])));
    expect(server.maxActive).toBeLessThanOrEqual(system.maxConcurrency);
    expect(store.buffer.counts().total).toBe(0);
    for (const o of outs) {
      const events = store.outbox.forOperation(o.trackedOperationId);
      expect(events.at(-1)).toMatchObject({ kind: 'CachedResolve', status: 'Delivered' });
      expect(events.filter((e) => e.status === 'Delivered')).toHaveLength(1);
    }
  });

  it('attempts again an operation whose outcome could not be recorded, with the same idempotency key', async () => {
    // The first attempt succeeds downstream but its commit fails (a real SQLite error from a trigger).
    store.db.exec(`CREATE TRIGGER keep_buffer BEFORE DELETE ON sf_buffer BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
    const failed = await submit(1).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    const id = store.buffer.due(Date.now(), undefined, 10)[0]!.id;
    expect(store.status(id)?.status).toBe('Submitted');
    store.db.exec('DROP TRIGGER keep_buffer');
    await store.waitFor(id, ['Delivered']);
    const keys = server.requests.map((r) => r.headers['idempotency-key']);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(new Set(keys)).toEqual(new Set([id]));
  });

  it('picks up a row made due behind the cursor (operator Retry of a parked operation)', async () => {
    system = { ...system, retry: { maxRetries: 1, retryIntervalMs: 1 } };
    server.fallback = 503;
    const parked = await submit(1);
    await store.waitFor(parked.trackedOperationId, ['Parked']);
    // Keep the cursor busy further down the index with later operations.
    const later = await Promise.all(Array.from({ length: 10 }, (_, i) => submit(100 + i)));
    server.fallback = 200;
    await engine.retryParked(parked.trackedOperationId, 'alice');
    await store.waitFor(parked.trackedOperationId, ['Delivered']);
    await Promise.all(later.map((o) => store.waitFor(o.trackedOperationId, ['Delivered', 'Parked'])));
  });
});
