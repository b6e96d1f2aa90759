// The conformance suite's issue 8 part (points 2 and 3), on both engines: the
// repository stays safe on its own (it is also fed directly by `scadalink
// dev`), so every invalid or foreign event is rejected alone, with its reason,
// and never stored, while the valid rest of its batch is.
import { describe, expect, it } from 'vitest';
import { type AuditEvent, type OperationSnapshot, newTrackedOperationId, uuidv7 } from '../../../src/commons/index.js';
import type { CentralRepository } from '../../../src/central/index.js';
import { ENGINES, type EngineHarness, freshEachTest } from './engines.js';
import { step } from './events.js';

const SITE = 'plant-a';
const OTHER = 'plant-b';
const FOREIGN = 'trackedOperationId belongs to an operation of another site';
const PROTOTYPE_NAMES = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'];
const BAD_TIMES = [
  '2026-13-45T99:99:99Z',
  '2026-02-30T00:00:00Z',
  '0000-00-00T00:00:00Z',
  '2026-01-01T24:00:00Z',
  '1999-12-31T23:59:59.999Z',
  new Date(Date.now() + 25 * 3_600_000).toISOString(),
  '2026-11-20 10:00:00Z',
  '2026-11-20T10:00:00.1234567Z',
  'yesterday',
];

/** Lets a test build events the types would refuse, as a hostile site would send them. */
const raw = (e: object): AuditEvent => e as AuditEvent;

describe.each(ENGINES)('central repository on %s: issue 8', (engine, open) => {
  let h: EngineHarness;
  let repo: CentralRepository;

  freshEachTest(open, (opened) => {
    h = opened;
    repo = opened.repo;
  });

  /** Ingests `good` followed by `bad`; asserts only `good` was stored and each bad event was rejected alone. */
  async function onlyGoodStored(good: AuditEvent, bad: readonly AuditEvent[]): Promise<string[]> {
    const result = await repo.ingest(SITE, [good, ...bad]);
    expect(result.accepted).toEqual([good.eventId]);
    expect(result.rejected.map((r) => r.eventId)).toEqual(bad.map((b) => (typeof b?.eventId === 'string' ? b.eventId : '')));
    expect(await repo.auditOf(good.trackedOperationId!)).toHaveLength(1);
    expect(await repo.siteCall(good.trackedOperationId!)).toMatchObject({ status: 'Submitted', version: 1 });
    return result.rejected.map((r) => r.reason);
  }

  it('issue 8: a channel, kind or status named after an Object.prototype member is rejected alone with its reason; the rest of the batch is stored', async () => {
    const id = newTrackedOperationId();
    const good = step(id, 'CachedSubmit', 'Submitted', 1);
    const later = (): AuditEvent => step(id, 'CachedResolve', 'Delivered', 2);
    const bad = PROTOTYPE_NAMES.flatMap((name) => {
      const c = later();
      const o = later();
      return [
        raw({ ...c, channel: name, operation: { ...c.operation!, channel: name } }),
        raw({ ...later(), kind: name }),
        raw({ ...later(), status: name }),
        raw({ ...o, operation: { ...o.operation!, status: name } }),
      ];
    });
    const reasons = await onlyGoodStored(good, bad);
    for (const [i, name] of PROTOTYPE_NAMES.entries()) {
      expect(reasons.slice(i * 4, i * 4 + 4)).toEqual([
        `channel: unknown channel "${name}"`,
        `kind: unknown kind "${name}"`,
        `status: unknown status "${name}"`,
        `operation.status: unknown status "${name}"`,
      ]);
    }
  });

  it('issue 8: impossible or out-of-window timestamps (2026-13-45T99:99:99Z, 2026-02-30, 0000-00-00, before 2000, a day ahead) are rejected in every time field', async () => {
    const id = newTrackedOperationId();
    const good = step(id, 'CachedSubmit', 'Submitted', 1);
    const bad = BAD_TIMES.flatMap((t) => {
      const [a, b, c, d] = [1, 2, 3, 4].map(() => step(id, 'CachedResolve', 'Delivered', 2));
      return [
        raw({ ...a, occurredAtUtc: t }),
        raw({ ...b, operation: { ...b!.operation!, createdAtUtc: t } }),
        raw({ ...c, operation: { ...c!.operation!, updatedAtUtc: t } }),
        raw({ ...d, operation: { ...d!.operation!, terminalAtUtc: t } }),
      ];
    });
    const reasons = await onlyGoodStored(good, bad);
    for (const r of reasons) expect(r).toMatch(/^(occurredAtUtc|operation\.(createdAtUtc|updatedAtUtc|terminalAtUtc)): is (not a real|before|more than a day)/);
  });

  it('issue 8: real instants inside the window are stored: a leap day, 6 fraction digits, 23 h ahead of central', async () => {
    for (const t of ['2024-02-29T23:59:59.999Z', '2026-11-20T10:00:00.123456Z', new Date(Date.now() + 23 * 3_600_000).toISOString()]) {
      const e = { ...step(newTrackedOperationId(), 'CachedSubmit', 'Submitted', 1), occurredAtUtc: t };
      expect(await repo.ingest(SITE, [e])).toEqual({ accepted: [e.eventId], rejected: [] });
    }
  });

  it('issue 8: non-UUID ids, negative or fractional counts, over-long or NUL-carrying strings and malformed events are rejected alone', async () => {
    const id = newTrackedOperationId();
    const good = step(id, 'CachedSubmit', 'Submitted', 1);
    const e = (): AuditEvent => step(id, 'CachedResolve', 'Delivered', 2);
    const op = (patch: Partial<Record<keyof OperationSnapshot, unknown>>): AuditEvent => {
      const x = e();
      return raw({ ...x, operation: { ...x.operation!, ...patch } });
    };
    const bad: AuditEvent[] = [
      raw({ ...e(), eventId: 'not-a-uuid' }),
      raw({ ...e(), eventId: uuidv7().toUpperCase() }),
      raw({ ...e(), trackedOperationId: 'op-1', operation: { ...e().operation!, trackedOperationId: 'op-1' } }),
      op({ retryCount: -1 }),
      op({ retryCount: 1.5 }),
      op({ version: 0 }),
      op({ version: -7 }),
      raw({ ...e(), httpStatus: -3 }),
      raw({ ...e(), durationMs: -1 }),
      raw({ ...e(), durationMs: Number.NaN }),
      raw({ ...e(), target: 'x'.repeat(1025) }),
      raw({ ...e(), error: 'x'.repeat(16_385) }),
      raw({ ...e(), sourceNode: 'n'.repeat(257) }),
      raw({ ...e(), target: 'ERP\u0000post' }),
      op({ lastError: 'bad\u0000byte' }),
      raw({ ...e(), actor: { type: 'robot', name: 'x' } }),
      raw({ ...e(), actor: { type: 'script', instance: 'i'.repeat(300), script: 's' } }),
      raw({ ...step(id, 'ApiCall', 'Delivered', 2), operation: null }),
      raw({ ...e(), operation: { ...step(newTrackedOperationId(), 'CachedResolve', 'Delivered', 2).operation! } }),
      raw({ eventId: uuidv7() }),
      null as unknown as AuditEvent,
      'event' as unknown as AuditEvent,
    ];
    const reasons = await onlyGoodStored(good, bad);
    expect(reasons.slice(0, 4)).toEqual([
      'eventId: is not a UUID',
      'eventId: is not a UUID',
      'trackedOperationId: is not a UUID',
      'operation.retryCount: must be at least 0',
    ]);
    for (const r of reasons) expect(r).not.toBe('');
  });

  it("issue 8: an event from another site for an operation it does not own is rejected with its reason and kept out of that operation's trail", async () => {
    const id = newTrackedOperationId();
    await repo.ingest(SITE, [step(id, 'CachedSubmit', 'Submitted', 1)]);
    const intruder = step(id, 'ApiCallCached', 'Attempted', 2);
    const ownNew = step(newTrackedOperationId(), 'CachedSubmit', 'Submitted', 1);
    const result = await repo.ingest(OTHER, [intruder, ownNew]);
    expect(result).toEqual({ accepted: [ownNew.eventId], rejected: [{ eventId: intruder.eventId, reason: FOREIGN }] });
    expect((await repo.auditOf(id)).map((a) => a.sourceSite)).toEqual([SITE]);
    expect(await repo.siteCall(id)).toMatchObject({ sourceSite: SITE, status: 'Submitted', version: 1 });
    expect(await repo.siteCall(ownNew.trackedOperationId!)).toMatchObject({ sourceSite: OTHER });
  });

  it("issue 8: the audit trail of an operation shows only its owner's events, even another site's rows already in AuditLog", async () => {
    const id = newTrackedOperationId();
    const own = step(id, 'CachedSubmit', 'Submitted', 1);
    await repo.ingest(SITE, [own]);
    // A row stored before ownership was enforced (or by hand): the trail must not show it.
    const when = '2026-11-20T10:00:05.000Z';
    await h.exec(
      engine === 'sqlite'
        ? `INSERT INTO AuditLog (EventId, OccurredAtUtc, SourceSite, TrackedOperationId, Kind, Status, Channel, Target, Actor, SourceNode, IngestedAtUtc)
           VALUES ('${uuidv7()}', '${when}', '${OTHER}', '${id}', 'ApiCallCached', 'Attempted', 'ApiOutbound', 'x', '{}', 'n', '${when}')`
        : `INSERT INTO audit_log (event_id, occurred_at_utc, source_site, tracked_operation_id, kind, status, channel, target, actor, source_node, ingested_at_utc)
           VALUES ('${uuidv7()}', '${when}', '${OTHER}', '${id}', 'ApiCallCached', 'Attempted', 'ApiOutbound', 'x', '{}', 'n', '${when}')`,
    );
    expect((await repo.auditOf(id)).map((a) => [a.eventId, a.sourceSite])).toEqual([[own.eventId, SITE]]);
  });

  it("issue 8: a reconciliation row of another site's operation is rejected with its reason and not stored", async () => {
    await repo.putSite(OTHER, 'scrypt$x');
    const id = newTrackedOperationId();
    await repo.ingest(SITE, [step(id, 'CachedSubmit', 'Submitted', 1)]);
    const mine = step(newTrackedOperationId(), 'ApiCallCached', 'Forwarded', 3).operation!;
    const result = await repo.reconcile(OTHER, [step(id, 'CachedResolve', 'Delivered', 9).operation!, mine], 9);
    expect(result).toEqual({ applied: 1, rejected: [{ trackedOperationId: id, reason: FOREIGN }] });
    expect(await repo.siteCall(id)).toMatchObject({ sourceSite: SITE, status: 'Submitted', version: 1 });
    expect(await repo.siteCall(mine.trackedOperationId)).toMatchObject({ sourceSite: OTHER, status: 'Forwarded' });
  });

  it('issue 8: reconciliation rejects rows with non-UUID ids, unknown statuses, negative retry counts or invalid times, and stores the valid rest', async () => {
    await repo.putSite(SITE, 'scrypt$x');
    const row = (patch: Record<string, unknown> = {}): OperationSnapshot =>
      ({ ...step(newTrackedOperationId(), 'ApiCallCached', 'Attempted', 4).operation!, ...patch }) as OperationSnapshot;
    const good = row();
    const bad = [
      row({ trackedOperationId: 'DROP TABLE' }),
      row({ status: 'toString' }),
      row({ status: 'Exploded' }),
      row({ retryCount: -5 }),
      row({ updatedAtUtc: '2026-02-30T00:00:00Z' }),
      row({ createdAtUtc: '0000-00-00T00:00:00Z' }),
      row({ version: 'many' }),
    ];
    const result = await repo.reconcile(SITE, [good, ...bad], 4);
    expect(result.applied).toBe(1);
    expect(result.rejected.map((r) => r.reason)).toEqual([
      'trackedOperationId: is not a UUID',
      'status: unknown status "toString"',
      'status: unknown status "Exploded"',
      'retryCount: must be at least 0',
      'updatedAtUtc: is not a real ISO-8601 UTC time (YYYY-MM-DDTHH:MM:SS[.ffffff]Z)',
      'createdAtUtc: is not a real ISO-8601 UTC time (YYYY-MM-DDTHH:MM:SS[.ffffff]Z)',
      'version: expected number',
    ]);
    expect(await repo.siteCall(good.trackedOperationId)).toMatchObject({ status: 'Attempted', sourceSite: SITE });
    for (const b of bad.slice(1)) expect(await repo.siteCall(b.trackedOperationId)).toBeUndefined();
    expect((await repo.listSiteCalls({}, { limit: 100 })).items).toHaveLength(1);
  });

  it('issue 8: two sites sending the same new operations at the same moment: the first writer owns each, the other is rejected and absent from its trail', async () => {
    for (let round = 0; round < 5; round++) {
      const ids = Array.from({ length: 50 }, () => newTrackedOperationId());
      const batch = (): AuditEvent[] => ids.flatMap((id) => [step(id, 'CachedSubmit', 'Submitted', 1), step(id, 'ApiCallCached', 'Attempted', 2)]);
      const [a, b] = await Promise.all([repo.ingest(SITE, batch()), repo.ingest(OTHER, batch())]);
      expect(a.accepted.length + b.accepted.length).toBe(ids.length * 2);
      expect(a.rejected.length + b.rejected.length).toBe(ids.length * 2);
      for (const r of [...a.rejected, ...b.rejected]) expect(r.reason).toBe(FOREIGN);
      for (const id of ids) {
        const owner = (await repo.siteCall(id))!.sourceSite;
        const trail = await repo.auditOf(id);
        expect(trail.map((t) => t.sourceSite)).toEqual([owner, owner]);
      }
      // Nothing of the loser reached AuditLog, not even rows the trail hides.
      const loserIds = new Set([...a.rejected, ...b.rejected].map((r) => r.eventId));
      expect(await h.countAudit([...loserIds])).toBe(0);
    }
  });
});
