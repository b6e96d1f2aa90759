// The telemetry forwarder between a real site store and a real central
// database (SQLite), the site's operations made by the engine against a real
// HTTP server. Central "down" is a closed database: a real failure.
import { once } from 'node:events';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/commons/index.js';
import type { ExternalSystemConfig } from '../../src/config/index.js';
import { HttpGateway } from '../../src/integrations/index.js';
import { SqliteCentralRepository, directSink } from '../../src/central/index.js';
import { type SiteStore, type StoreAndForwardEngine, TelemetryForwarder, type TelemetrySink } from '../../src/site/index.js';
import { ScriptedServer } from '../support/http.js';
import { tempDir } from '../support/index.js';
import { erpSystem, openEngine, orderRequest } from '../support/erp.js';

const logger = pino({ level: 'silent' });
const SITE = 'plant-a';

describe('telemetry forwarder', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: ScriptedServer;
  let store: SiteStore;
  let engine: StoreAndForwardEngine;
  let gateway: HttpGateway;
  let central: SqliteCentralRepository;
  let system: ExternalSystemConfig;
  let forwarder: TelemetryForwarder | undefined;
  /** Batches as central received them. */
  let batches: AuditEvent[][];

  /** The real central, reached through whatever repository is current (it is replaced to simulate a restart). */
  const sink: TelemetrySink = {
    ingestCachedTelemetry: (events) => {
      batches.push([...events]);
      return directSink(central, SITE).ingestCachedTelemetry(events);
    },
    ingestAuditEvents: (events) => {
      batches.push([...events]);
      return directSink(central, SITE).ingestAuditEvents(events);
    },
  };

  const submit = (orderId: string) => engine.submit(orderRequest(system, orderId));

  beforeEach(async () => {
    tmp = tempDir();
    batches = [];
    server = new ScriptedServer();
    system = erpSystem(await server.listen());
    gateway = new HttpGateway();
    ({ store, engine } = openEngine(tmp.dir, `${SITE}@test`, gateway, () => system));
    central = new SqliteCentralRepository(join(tmp.dir, 'central.db'));
  });

  afterEach(async () => {
    await forwarder?.stop();
    forwarder = undefined;
    await engine.stop(1000);
    store.close();
    await central.close().catch(() => undefined);
    await gateway.close();
    await server.close();
    tmp.cleanup();
  });

  it('G2 through the forwarder: fail twice then succeed gives 5 AuditLog rows and 1 SiteCalls row Delivered, and empties the outbox', async () => {
    server.script.push(503, 'reset');
    const { trackedOperationId: id } = await submit('PO-1');
    await store.waitFor(id, ['Delivered']);
    forwarder = new TelemetryForwarder({ store, sink, logger });
    expect(await forwarder.drainOnce()).toBe(5);
    expect((await central.auditOf(id)).map((a) => `${a.kind}/${a.status}`)).toEqual([
      'CachedSubmit/Submitted',
      'ApiCallCached/Forwarded',
      'ApiCallCached/Attempted',
      'ApiCallCached/Attempted',
      'CachedResolve/Delivered',
    ]);
    expect(await central.siteCall(id)).toMatchObject({ status: 'Delivered', sourceSite: SITE, version: store.status(id)?.version });
    expect(store.status(id)?.status).toBe('Delivered');
    expect(store.outbox.depth().count).toBe(0);
  });

  it('sends in batches no larger than batchSize', async () => {
    for (let i = 0; i < 4; i++) await submit(`PO-${i}`);
    forwarder = new TelemetryForwarder({ store, sink, logger, batchSize: 5 });
    expect(await forwarder.drainOnce()).toBe(12);
    expect(batches.map((b) => b.length)).toEqual([5, 5, 2]);
  });

  it('keeps everything while central is down, backs off, and delivers it all once central is back', async () => {
    await central.close();
    forwarder = new TelemetryForwarder({ store, sink, logger, minBackoffMs: 20, maxBackoffMs: 40, pollMs: 20 });
    forwarder.start();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await submit(`PO-${i}`)).trackedOperationId);
    while (forwarder.stats.failures < 3) await once(forwarder.events, 'failure');
    expect(store.outbox.depth().count).toBe(9);
    central = new SqliteCentralRepository(join(tmp.dir, 'central.db'));
    while (store.outbox.depth().count > 0) await once(forwarder.events, 'settled');
    for (const id of ids) expect(await central.siteCall(id)).toMatchObject({ status: 'Delivered' });
    expect(forwarder.stats.lastError).toMatch(/not open/);
  });

  it('moves an event central rejects to audit_rejected with the reason and never sends it again', async () => {
    const { trackedOperationId: id } = await submit('PO-1');
    const good = store.outbox.forOperation(id)[0]!;
    const bad = { ...good, eventId: '0190f000-0000-7000-8000-000000000001', status: 'Pending' } as unknown as AuditEvent;
    store.outbox.append(bad);
    forwarder = new TelemetryForwarder({ store, sink, logger });
    expect(await forwarder.drainOnce()).toBe(4);
    expect(forwarder.stats.rejected).toBe(1);
    expect(store.outbox.rejectedCount()).toBe(1);
    const row = store.db.prepare('SELECT Reason FROM audit_rejected WHERE EventId = ?').get(bad.eventId) as { Reason: string };
    expect(row.Reason).toBe('status: unknown status "Pending"');
    batches = [];
    expect(await forwarder.drainOnce()).toBe(0);
    expect(batches).toEqual([]);
  });
});
