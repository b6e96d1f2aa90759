// Central and a site over the real gRPC link, with a real site store and
// engine delivering to a real HTTP server and a real central database:
// reconciliation after lost telemetry (central issue, point 6) and the
// Retry/Discard relay (point 7).
import { once } from 'node:events';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AuditEvent, hashSecret, uuidv7 } from '../../src/commons/index.js';
import type { ExternalSystemConfig } from '../../src/config/index.js';
import { HttpGateway } from '../../src/integrations/index.js';
import { SqliteCentralRepository, reconcileSite, siteSecrets } from '../../src/central/index.js';
import { type SiteStore, type StoreAndForwardEngine, TelemetryForwarder, siteCommandHandler } from '../../src/site/index.js';
import { SiteLinkClient, SiteLinkServer, type SiteSession } from '../../src/transport/index.js';
import { ScriptedServer } from '../support/http.js';
import { tempDir } from '../support/index.js';
import { erpSystem, openEngine, orderRequest } from '../support/erp.js';

const logger = pino({ level: 'silent' });
const SITE = 'plant-a';
const SECRET = 'plant-a-secret';

describe('central <-> site over the link', () => {
  let tmp: ReturnType<typeof tempDir>;
  let http: ScriptedServer;
  let gateway: HttpGateway;
  let store: SiteStore;
  let engine: StoreAndForwardEngine;
  let central: SqliteCentralRepository;
  let server: SiteLinkServer;
  let client: SiteLinkClient;
  let sessions: SiteSession[];
  let system: ExternalSystemConfig;

  const submit = (orderId: string, maxRetries?: number) => engine.submit(orderRequest(system, orderId, maxRetries));

  /** The site's session: the one already open, or the next to open. */
  const session = async (): Promise<SiteSession> => sessions[0] ?? ((await once(server.events, 'session')) as [SiteSession])[0];

  beforeEach(async () => {
    tmp = tempDir();
    sessions = [];
    http = new ScriptedServer();
    system = erpSystem(await http.listen());
    gateway = new HttpGateway();
    ({ store, engine } = openEngine(tmp.dir, `${SITE}@test`, gateway, () => system));
    central = new SqliteCentralRepository(join(tmp.dir, 'central.db'));
    await central.putSite(SITE, await hashSecret(SECRET));
    server = new SiteLinkServer({
      logger,
      secrets: siteSecrets(central),
      ingest: (site, events) => central.ingest(site, events),
      onSession: (s) => sessions.push(s),
    });
    const port = await server.listen('127.0.0.1', 0);
    client = new SiteLinkClient({
      address: `127.0.0.1:${port}`,
      site: SITE,
      secret: SECRET,
      node: `${SITE}@test`,
      version: '0.1.0',
      logger,
      onCommand: siteCommandHandler(engine, store),
    });
  });

  afterEach(async () => {
    await client.stop();
    await server.close();
    await engine.stop(1000);
    store.close();
    await central.close();
    await gateway.close();
    await http.close();
    tmp.cleanup();
  });

  it('reconciliation makes SiteCalls equal to the site tracking table, row for row, after telemetry was lost', async () => {
    // PO-1 fails once then is delivered by a retry; PO-2 (no retries) is parked at once.
    http.script.push(503, 503);
    const delivered = await submit('PO-1');
    const parked = await submit('PO-2', 0);
    await store.waitFor(parked.trackedOperationId, ['Parked']);
    await store.waitFor(delivered.trackedOperationId, ['Delivered']);
    http.fallback = 500;
    const forwarded = await submit('PO-3', 1_000_000);
    // Central was down: the telemetry is lost for good.
    store.db.exec('DELETE FROM audit_outbox');
    // The retries of PO-3 stop, so the tracking table holds still while it is compared.
    await engine.stop(1000);

    client.start();
    const s = await session();
    const applied = await reconcileSite(central, s, { pageSize: 2 });
    expect(applied).toBeGreaterThanOrEqual(3);

    const siteRows = store.db
      .prepare('SELECT TrackedOperationId, Status, RetryCount, LastError, HttpStatus, CreatedAtUtc, UpdatedAtUtc, TerminalAtUtc, Version FROM operation_tracking ORDER BY TrackedOperationId')
      .all() as { TrackedOperationId: string; Status: string; RetryCount: number; LastError: string | null; HttpStatus: number | null; CreatedAtUtc: string; UpdatedAtUtc: string; TerminalAtUtc: string | null; Version: number }[];
    expect(siteRows.map((r) => r.TrackedOperationId)).toEqual(
      [delivered, parked, forwarded].map((o) => o.trackedOperationId).sort(),
    );
    for (const r of siteRows) {
      expect(await central.siteCall(r.TrackedOperationId)).toMatchObject({
        status: r.Status,
        retryCount: r.RetryCount,
        lastError: r.LastError,
        httpStatus: r.HttpStatus,
        createdAtUtc: r.CreatedAtUtc,
        updatedAtUtc: r.UpdatedAtUtc,
        terminalAtUtc: r.TerminalAtUtc,
        version: r.Version,
        sourceSite: SITE,
      });
    }
    const top = Math.max(...siteRows.map((r) => r.Version));
    expect((await central.site(SITE))?.reconcileVersion).toBe(top);
    // Nothing changed since: a second pass applies nothing.
    expect(await reconcileSite(central, s)).toBe(0);
  });

  it('issue 8: a site whose outbox holds one bad event keeps its telemetry flowing: the rest is delivered, the bad one lands in audit_rejected', async () => {
    const first = await submit('PO-1');
    await store.waitFor(first.trackedOperationId, ['Delivered']);
    // An event central can never accept (a channel named toString), queued between real ones.
    const template = store.outbox.forOperation(first.trackedOperationId)[0]!;
    const bad = { ...template, eventId: uuidv7(), channel: 'toString', operation: { ...template.operation!, channel: 'toString' } } as unknown as AuditEvent;
    store.outbox.append(bad);
    const second = await submit('PO-2');
    await store.waitFor(second.trackedOperationId, ['Delivered']);
    expect(store.outbox.depth().count).toBe(7);

    const forwarder = new TelemetryForwarder({ store, sink: client, logger, batchSize: 4, pollMs: 20 });
    forwarder.start();
    const deadline = Date.now() + 10_000;
    while (store.outbox.depth().count > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await forwarder.stop();

    expect(store.outbox.depth().count).toBe(0);
    expect(store.db.prepare('SELECT EventId, Reason FROM audit_rejected').all()).toEqual([
      { EventId: bad.eventId, Reason: 'channel: unknown channel "toString"' },
    ]);
    for (const op of [first, second]) {
      expect(await central.siteCall(op.trackedOperationId)).toMatchObject({ status: 'Delivered', sourceSite: SITE });
      expect(await central.auditOf(op.trackedOperationId)).toHaveLength(3);
    }
  });

  it('relays Retry of a parked operation to its site, which re-queues it; the telemetry brings SiteCalls to Delivered', async () => {
    http.script.push(503);
    const op = await submit('PO-9', 0);
    await store.waitFor(op.trackedOperationId, ['Parked']);
    client.start();
    const forwarder = new TelemetryForwarder({ store, sink: client, logger });
    await forwarder.drainOnce();
    expect(await central.siteCall(op.trackedOperationId)).toMatchObject({ status: 'Parked' });

    await session();
    expect(await server.command(SITE, { retryParked: { trackedOperationId: op.trackedOperationId, operator: 'alice' } })).toMatchObject({ ok: true });
    await store.waitFor(op.trackedOperationId, ['Delivered']);
    await forwarder.drainOnce();
    expect(await central.siteCall(op.trackedOperationId)).toMatchObject({ status: 'Delivered' });
    const audit = await central.auditOf(op.trackedOperationId);
    expect(audit.find((a) => a.kind === 'CachedRetry')).toMatchObject({ status: 'Forwarded', actor: { type: 'operator', name: 'alice' } });
  });

  it('answers Retry of an operation that is not parked with a stable error code', async () => {
    const op = await submit('PO-10');
    client.start();
    await session();
    expect(await server.command(SITE, { retryParked: { trackedOperationId: op.trackedOperationId, operator: 'alice' } })).toMatchObject({
      ok: false,
      errorCode: 'OPERATION_NOT_PARKED',
    });
    expect(await server.command(SITE, { discardParked: { trackedOperationId: '0190f000-0000-7000-8000-00000000abcd', operator: 'alice' } })).toMatchObject({
      ok: false,
      errorCode: 'OPERATION_NOT_FOUND',
    });
  });
});
