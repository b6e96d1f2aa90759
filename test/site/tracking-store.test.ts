import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Channel, OperationStatus, newTrackedOperationId } from '../../src/commons/index.js';
import { SiteStore } from '../../src/site/index.js';
import { tempDir } from '../support/index.js';

// Seed 002: the contract of the site-local operation tracking store.
describe('operation tracking store (seed 002 contract)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: SiteStore;
  const t0 = '2026-01-01T00:00:00.000Z';
  const later = '2026-01-01T00:00:05.000Z';

  beforeEach(() => {
    tmp = tempDir();
    store = new SiteStore(join(tmp.dir, 'site.db'), 'node-a');
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  const enqueue = (id = newTrackedOperationId()) => {
    const input = {
      id,
      kind: Channel.ApiOutbound,
      targetSummary: 'ERP.postOrder',
      sourceInstanceId: 'Pump1',
      sourceScript: 'report',
      sourceNode: 'node-a',
    };
    return { id, snap: store.tracking.recordEnqueue(input, t0), input };
  };

  it('enqueue inserts a Submitted row with RetryCount 0 and a version', () => {
    const { id, snap } = enqueue();
    expect(snap).toMatchObject({ trackedOperationId: id, status: 'Submitted', retryCount: 0, createdAtUtc: t0 });
    expect(snap!.version).toBeGreaterThan(0);
    expect(store.tracking.getStatus(id)).toEqual(snap);
  });

  it('enqueue is insert-if-absent: a duplicate id leaves the row untouched', () => {
    const { id, input } = enqueue();
    store.tracking.recordAttempt(id, OperationStatus.Forwarded, 0, 'refused', null, later);
    const before = store.tracking.getStatus(id);
    expect(store.tracking.recordEnqueue({ ...input, targetSummary: 'other' }, later)).toBeUndefined();
    expect(store.tracking.getStatus(id)).toEqual(before);
  });

  it('attempts update non-terminal rows and never touch terminal ones', () => {
    const { id } = enqueue();
    const attempted = store.tracking.recordAttempt(id, OperationStatus.Attempted, 2, 'HTTP 503', 503, later);
    expect(attempted).toMatchObject({ status: 'Attempted', retryCount: 2, lastError: 'HTTP 503', httpStatus: 503 });
    store.tracking.recordTerminal(id, OperationStatus.Delivered, null, 200, later);
    const terminal = store.tracking.getStatus(id);
    expect(store.tracking.recordAttempt(id, OperationStatus.Attempted, 3, 'late', 500, later)).toBeUndefined();
    expect(store.tracking.getStatus(id)).toEqual(terminal);
  });

  it('the first terminal write wins', () => {
    const { id } = enqueue();
    expect(store.tracking.recordTerminal(id, OperationStatus.Failed, 'HTTP 400', 400, later)).toMatchObject({
      status: 'Failed',
      terminalAtUtc: later,
    });
    expect(store.tracking.recordTerminal(id, OperationStatus.Delivered, null, 200, later)).toBeUndefined();
    expect(store.tracking.getStatus(id)).toMatchObject({ status: 'Failed', lastError: 'HTTP 400' });
  });

  it('Parked is a resting state: it can move on, unlike a terminal state', () => {
    const { id } = enqueue();
    store.tracking.recordAttempt(id, OperationStatus.Parked, 3, 'down', null, later);
    expect(store.tracking.recordAttempt(id, OperationStatus.Forwarded, 0, 'down', null, later)).toMatchObject({
      status: 'Forwarded',
    });
    expect(() => store.tracking.recordTerminal(id, OperationStatus.Parked, null, null, later)).toThrow(TypeError);
  });

  it('every change gets a strictly greater version', () => {
    const { id, snap } = enqueue();
    const a = store.tracking.recordAttempt(id, OperationStatus.Forwarded, 0, null, null, later)!;
    const b = store.tracking.recordAttempt(id, OperationStatus.Attempted, 1, null, null, later)!;
    const c = store.tracking.recordTerminal(id, OperationStatus.Delivered, null, 200, later)!;
    expect(snap!.version).toBeLessThan(a.version);
    expect(a.version).toBeLessThan(b.version);
    expect(b.version).toBeLessThan(c.version);
    expect(store.tracking.changedSince(a.version, 10).map((s) => s.version)).toEqual([c.version]);
  });

  it('versions are never reused after purge', () => {
    const { id } = enqueue();
    const last = store.tracking.recordTerminal(id, OperationStatus.Delivered, null, 200, t0)!;
    expect(store.tracking.purgeTerminal(later)).toBe(1);
    const next = enqueue().snap!;
    expect(next.version).toBeGreaterThan(last.version);
  });

  it('unknown ids have no status', () => {
    expect(store.tracking.getStatus(newTrackedOperationId())).toBeUndefined();
  });

  it('purge deletes only terminal rows strictly older than the threshold', () => {
    const old = enqueue().id;
    store.tracking.recordTerminal(old, OperationStatus.Delivered, null, 200, t0);
    const atThreshold = enqueue().id;
    store.tracking.recordTerminal(atThreshold, OperationStatus.Failed, 'x', 400, later);
    const inFlight = enqueue().id; // created at t0, never terminal
    const parked = enqueue().id;
    store.tracking.recordAttempt(parked, OperationStatus.Parked, 3, 'down', null, t0);

    expect(store.tracking.purgeTerminal(later)).toBe(1);
    expect(store.tracking.getStatus(old)).toBeUndefined();
    expect(store.tracking.getStatus(atThreshold)).toBeDefined();
    expect(store.tracking.getStatus(inFlight)).toBeDefined();
    expect(store.tracking.getStatus(parked)).toBeDefined();
  });
});
