import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Channel, OperationFailedError, type AuditEvent } from '../../src/commons/index.js';
import type { ExternalSystemConfig } from '../../src/config/index.js';
import { HttpGateway } from '../../src/integrations/index.js';
import type { SiteStore, StoreAndForwardEngine } from '../../src/site/index.js';
import { ScriptedServer } from '../support/http.js';
import { tempDir } from '../support/index.js';
import { erpSystem, openEngine, orderRequest } from '../support/erp.js';

/** The ERP fixture with an API key, so every request carries one. */
const erp = (baseUrl: string, overrides: Partial<ExternalSystemConfig> = {}): ExternalSystemConfig =>
  erpSystem(baseUrl, { auth: { type: 'apiKey', header: 'X-API-Key', key: 'secret' }, ...overrides });

describe('store-and-forward engine against a real HTTP server', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: ScriptedServer;
  let store: SiteStore;
  let engine: StoreAndForwardEngine;
  let gateway: HttpGateway;
  let system: ExternalSystemConfig;

  function open(): void {
    ({ store, engine } = openEngine(tmp.dir, 'site-a', gateway, () => system));
  }

  const submit = (orderId: string) => engine.submit({ ...orderRequest(system, orderId), sourceScript: 'report' });

  const audit = (id: string): string[] => store.outbox.forOperation(id).map((e: AuditEvent) => `${e.kind}/${e.status}`);

  const until = (id: string, statuses: string[]) => store.waitFor(id, statuses);

  beforeEach(async () => {
    tmp = tempDir();
    server = new ScriptedServer();
    system = erp(await server.listen());
    gateway = new HttpGateway();
    open();
  });

  afterEach(async () => {
    await engine.stop(1000);
    store.close();
    await gateway.close();
    await server.close();
    tmp.cleanup();
  });

  it('an immediate success gives Submitted, Attempted, Delivered and nothing buffered', async () => {
    const out = await submit('A1');
    expect(out.status).toBe('Delivered');
    expect(audit(out.trackedOperationId)).toEqual(['CachedSubmit/Submitted', 'ApiCallCached/Attempted', 'CachedResolve/Delivered']);
    expect(store.status(out.trackedOperationId)).toMatchObject({ status: 'Delivered', httpStatus: 200, sourceInstanceId: 'Pump1', sourceScript: 'report', sourceNode: 'site-a' });
    expect(store.buffer.counts().total).toBe(0);
  });

  it('a call failing twice then succeeding yields exactly the 5 audit rows of DESIGN §4 (seed 000 G2, site level)', async () => {
    server.script.push(503, 'reset');
    const out = await submit('A2');
    expect(out.status).toBe('Forwarded');
    await until(out.trackedOperationId, ['Delivered']);
    expect(audit(out.trackedOperationId)).toEqual([
      'CachedSubmit/Submitted',
      'ApiCallCached/Forwarded',
      'ApiCallCached/Attempted',
      'ApiCallCached/Attempted',
      'CachedResolve/Delivered',
    ]);
    const versions = store.outbox.forOperation(out.trackedOperationId).map((e) => e.operation!.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('every attempt of one operation carries the same Idempotency-Key', async () => {
    server.script.push(500, 500);
    const out = await submit('A3');
    await until(out.trackedOperationId, ['Delivered']);
    const keys = server.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).toEqual([out.trackedOperationId, out.trackedOperationId, out.trackedOperationId]);
    expect(server.requests.every((r) => r.headers['x-api-key'] === 'secret')).toBe(true);
  });

  it('a permanent failure is thrown to the caller with the id, is Failed and is not buffered', async () => {
    server.script.push(400);
    const err = await submit('A4').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationFailedError);
    const failure = err as OperationFailedError;
    expect(failure).toMatchObject({ code: 'HTTP_STATUS', classification: 'permanent', httpStatus: 400 });
    expect(store.status(failure.trackedOperationId)).toMatchObject({ status: 'Failed', httpStatus: 400 });
    expect(audit(failure.trackedOperationId)).toEqual(['CachedSubmit/Submitted', 'ApiCallCached/Attempted', 'CachedResolve/Failed']);
    expect(store.buffer.counts().total).toBe(0);
    expect(store.events.query({ category: 'PermanentFailure' })).toHaveLength(1);
    expect(server.requests).toHaveLength(1);
  });

  it('parks after maxRetries failed retries; operator Retry re-queues it and it is delivered', async () => {
    server.fallback = 503;
    const out = await submit('A5');
    await until(out.trackedOperationId, ['Parked']);
    expect(server.requests).toHaveLength(4); // immediate + 3 retries
    expect(store.status(out.trackedOperationId)).toMatchObject({ status: 'Parked', retryCount: 3, httpStatus: 503 });
    expect(audit(out.trackedOperationId).slice(-1)).toEqual(['CachedResolve/Parked']);
    expect(store.events.query({ category: 'Parked' }).map((e) => e.message)).toEqual([expect.stringMatching(/^parked after 3 retries: /)]);

    server.fallback = 200;
    const retried = await engine.retryParked(out.trackedOperationId, 'alice');
    expect(retried).toMatchObject({ status: 'Forwarded', retryCount: 0 });
    await until(out.trackedOperationId, ['Delivered']);
    const events = store.outbox.forOperation(out.trackedOperationId);
    const retry = events.find((e) => e.kind === 'CachedRetry')!;
    expect(retry).toMatchObject({ status: 'Forwarded', actor: { type: 'operator', name: 'alice' } });
    expect(store.events.query({ category: 'OperatorAction' })[0]).toMatchObject({ trackedOperationId: out.trackedOperationId });
  });

  it('operator Discard makes a parked operation terminal (its event says "parked after 1 retry"); retry of a non-parked one is refused', async () => {
    server.fallback = 503;
    system = erp(system.baseUrl, { retry: { maxRetries: 1, retryIntervalMs: 10 } });
    const out = await engine.submit({
      channel: Channel.ApiOutbound, target: 'ERP', targetSummary: 'ERP.postOrder',
      request: { system: 'ERP', method: 'postOrder', params: { orderId: 'A6' } },
      maxRetries: 1, retryIntervalMs: 10, sourceInstanceId: 'Pump1', sourceScript: 'report',
    });
    await until(out.trackedOperationId, ['Parked']);
    // Issue 9: the singular.
    expect(store.events.query({ category: 'Parked' }).map((e) => e.message)).toContainEqual(expect.stringMatching(/^parked after 1 retry: /));
    const discarded = await engine.discardParked(out.trackedOperationId, 'bob');
    expect(discarded).toMatchObject({ status: 'Discarded' });
    expect(discarded.terminalAtUtc).not.toBeNull();
    expect(audit(out.trackedOperationId).slice(-1)).toEqual(['CachedResolve/Discarded']);
    await expect(engine.retryParked(out.trackedOperationId, 'bob')).rejects.toMatchObject({ code: 'OPERATION_NOT_PARKED' });
    await expect(engine.discardParked('0190b6e4-0000-7000-8000-000000000000', 'bob')).rejects.toMatchObject({ code: 'OPERATION_NOT_FOUND' });
  });

  it('never has more attempts in flight against one target than its concurrency limit', async () => {
    const pending: (() => void)[] = [];
    server.fallback = (_req, res) => pending.push(() => res.end('{}'));
    const calls = Array.from({ length: 12 }, (_, i) => submit(`C${i}`));
    await server.received(system.maxConcurrency);
    expect(server.active).toBe(system.maxConcurrency);
    server.fallback = 200;
    pending.splice(0).forEach((f) => f());
    const outs = await Promise.all(calls);
    expect(outs.every((o) => o.status === 'Delivered')).toBe(true);
    expect(server.maxActive).toBeLessThanOrEqual(system.maxConcurrency);
  });

  it('recovers every non-terminal operation after the process goes away', async () => {
    server.fallback = 503;
    system = erp(system.baseUrl, { retry: { maxRetries: 50, retryIntervalMs: 60_000 } });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const out = await engine.submit({
        channel: Channel.ApiOutbound, target: 'ERP', targetSummary: 'ERP.postOrder',
        request: { system: 'ERP', method: 'postOrder', params: { orderId: `R${i}` } },
        maxRetries: 50, retryIntervalMs: 1, sourceInstanceId: 'Pump1', sourceScript: 'report',
      });
      ids.push(out.trackedOperationId);
    }
    // Simulate an abrupt end: drop the engine without stop(), then reopen the file.
    await engine.stop(0);
    store.close();
    server.fallback = 200;
    open();
    for (const id of ids) await until(id, ['Delivered']);
    expect(store.buffer.counts().total).toBe(0);
  });

  it('a failure to write audit never fails the operation (real SQLite error from a trigger)', async () => {
    store.db.exec(`CREATE TRIGGER break_audit BEFORE INSERT ON audit_outbox BEGIN SELECT RAISE(ABORT, 'audit disk says no'); END`);
    const out = await submit('A7');
    expect(out.status).toBe('Delivered');
    expect(store.status(out.trackedOperationId)).toMatchObject({ status: 'Delivered' });
    expect(store.counters.auditWriteFailures).toBe(3);
  });

  it('an immediate attempt cut off by the stop deadline gives the caller its id and resumes after restart', async () => {
    server.fallback = () => undefined; // hold every request: the attempt never answers
    const call = submit('S0').catch((e: unknown) => e);
    await server.received(1);
    await engine.stop(0);
    const err = (await call) as { code: string; details: { trackedOperationId: string } };
    expect(err.code).toBe('SITE_STOPPING');
    const id = err.details.trackedOperationId;
    expect(store.status(id)?.status).toBe('Submitted');
    store.close();
    server.fallback = 200;
    open();
    await until(id, ['Delivered']);
    expect(server.requests.filter((r) => r.headers['idempotency-key'] === id).length).toBeGreaterThanOrEqual(2);
  });

  it('stop() waits for in-flight attempts to finish and records them', async () => {
    let release!: () => void;
    server.fallback = (_req, res) => {
      release = () => res.end('{}');
    };
    const call = submit('S1');
    await server.received(1);
    const stopping = engine.stop(5000);
    release();
    await stopping;
    const out = await call;
    expect(store.status(out.trackedOperationId)?.status).toBe('Delivered');
    await expect(submit('S2')).rejects.toMatchObject({ code: 'SITE_STOPPING' });
  });
});
