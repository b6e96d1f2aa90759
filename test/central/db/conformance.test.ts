// One suite, both central engines (central issue, point 1): every repository
// behaviour holds on SQLite and on PostgreSQL alike. The dual-write cases are
// seed 000 Task D2; faults are real database errors raised by triggers.
import { describe, expect, it } from 'vitest';
import { newTrackedOperationId } from '../../../src/commons/index.js';
import type { CentralRepository } from '../../../src/central/index.js';
import { ENGINES, type EngineHarness, freshEachTest } from './engines.js';
import { failTwiceThenDeliver, step } from './events.js';

const SITE = 'plant-a';

describe.each(ENGINES)('central repository on %s', (engine, open) => {
  let h: EngineHarness;
  let repo: CentralRepository;

  freshEachTest(open, (opened) => {
    h = opened;
    repo = opened.repo;
  });

  describe('dual-write ingest (seed 000 Task D2)', () => {
    it('D2: a single packet gives 1 AuditLog row and 1 SiteCalls row', async () => {
      const id = newTrackedOperationId();
      const e = step(id, 'CachedSubmit', 'Submitted', 1);
      const result = await repo.ingest(SITE, [e]);
      expect(result).toEqual({ accepted: [e.eventId], rejected: [] });
      const audit = await repo.auditOf(id);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        eventId: e.eventId,
        sourceSite: SITE,
        kind: 'CachedSubmit',
        status: 'Submitted',
        channel: 'ApiOutbound',
        target: 'ERP.postOrder',
        actor: { type: 'script', instance: 'Pump1', script: 'order' },
        occurredAtUtc: e.occurredAtUtc,
      });
      expect(await repo.siteCall(id)).toMatchObject({
        trackedOperationId: id,
        sourceSite: SITE,
        kind: 'ExternalCall',
        channel: 'ApiOutbound',
        targetSummary: 'ERP.postOrder',
        status: 'Submitted',
        retryCount: 0,
        version: 1,
        sourceInstanceId: 'Pump1',
        sourceScript: 'order',
        sourceNode: 'plant-a@host',
        createdAtUtc: e.operation?.createdAtUtc,
        terminalAtUtc: null,
      });
    });

    it('D2: the same event again with the same status is a no-op on both tables', async () => {
      const id = newTrackedOperationId();
      const e = step(id, 'CachedSubmit', 'Submitted', 1);
      await repo.ingest(SITE, [e]);
      const before = await repo.siteCall(id);
      const again = await repo.ingest(SITE, [e]);
      expect(again.accepted).toEqual([e.eventId]);
      expect(await repo.auditOf(id)).toHaveLength(1);
      expect(await repo.siteCall(id)).toEqual(before);
    });

    it('D2: the same event id with an advanced status leaves AuditLog alone and updates SiteCalls', async () => {
      const id = newTrackedOperationId();
      const first = step(id, 'CachedSubmit', 'Submitted', 1);
      await repo.ingest(SITE, [first]);
      const advanced = { ...step(id, 'CachedResolve', 'Delivered', 2), eventId: first.eventId, occurredAtUtc: first.occurredAtUtc };
      await repo.ingest(SITE, [advanced]);
      const audit = await repo.auditOf(id);
      expect(audit.map((a) => a.status)).toEqual(['Submitted']);
      expect(await repo.siteCall(id)).toMatchObject({ status: 'Delivered', version: 2, httpStatus: 200 });
    });

    it('D2: when the SiteCalls write fails, the AuditLog rows of the batch are rolled back', async () => {
      const id = newTrackedOperationId();
      await h.failWrites('SiteCalls');
      await expect(repo.ingest(SITE, [step(id, 'CachedSubmit', 'Submitted', 1)])).rejects.toThrow(/injected SiteCalls failure/);
      expect(await repo.auditOf(id)).toEqual([]);
      expect(await repo.siteCall(id)).toBeUndefined();
    });

    it('D2: when the AuditLog write fails, the SiteCalls rows of the batch are rolled back', async () => {
      const id = newTrackedOperationId();
      await h.failWrites('AuditLog');
      await expect(repo.ingest(SITE, [step(id, 'CachedSubmit', 'Submitted', 1)])).rejects.toThrow(/injected AuditLog failure/);
      expect(await repo.siteCall(id)).toBeUndefined();
      expect(await repo.auditOf(id)).toEqual([]);
    });

    it('D2: out-of-order packets converge to the newest version', async () => {
      const id = newTrackedOperationId();
      const events = failTwiceThenDeliver(id);
      for (const e of [events[4]!, events[1]!, events[0]!, events[3]!, events[2]!]) await repo.ingest(SITE, [e]);
      expect(await repo.siteCall(id)).toMatchObject({ status: 'Delivered', version: 5 });
      expect(await repo.auditOf(id)).toHaveLength(5);
    });

    it('G2 at central: fail twice then succeed gives 5 AuditLog rows and 1 SiteCalls row Delivered', async () => {
      const id = newTrackedOperationId();
      const result = await repo.ingest(SITE, failTwiceThenDeliver(id));
      expect(result.accepted).toHaveLength(5);
      const audit = await repo.auditOf(id);
      expect(audit.map((a) => `${a.kind}/${a.status}`)).toEqual([
        'CachedSubmit/Submitted',
        'ApiCallCached/Forwarded',
        'ApiCallCached/Attempted',
        'ApiCallCached/Attempted',
        'CachedResolve/Delivered',
      ]);
      expect(await repo.siteCall(id)).toMatchObject({ status: 'Delivered', version: 5, retryCount: 3 });
    });

    it('never changes a terminal row, whatever version arrives later', async () => {
      const id = newTrackedOperationId();
      await repo.ingest(SITE, [step(id, 'CachedResolve', 'Delivered', 3)]);
      await repo.ingest(SITE, [step(id, 'ApiCallCached', 'Attempted', 9)]);
      expect(await repo.siteCall(id)).toMatchObject({ status: 'Delivered', version: 3 });
    });

    it('lets an operator Retry move a Parked row back to Forwarded (a newer version, not terminal)', async () => {
      const id = newTrackedOperationId();
      await repo.ingest(SITE, [step(id, 'CachedResolve', 'Parked', 6)]);
      await repo.ingest(SITE, [step(id, 'CachedRetry', 'Forwarded', 7)]);
      expect(await repo.siteCall(id)).toMatchObject({ status: 'Forwarded', version: 7 });
    });

    it('keeps the newest snapshot when one batch holds several of one operation', async () => {
      const id = newTrackedOperationId();
      const events = failTwiceThenDeliver(id);
      await repo.ingest(SITE, [events[2]!, events[4]!, events[0]!]);
      expect(await repo.siteCall(id)).toMatchObject({ status: 'Delivered', version: 5 });
    });

    it('does not let one site change the row of an operation that belongs to another', async () => {
      const id = newTrackedOperationId();
      await repo.ingest(SITE, [step(id, 'CachedSubmit', 'Submitted', 1)]);
      const foreign = step(id, 'CachedResolve', 'Delivered', 2);
      expect(await repo.ingest('plant-b', [foreign])).toEqual({
        accepted: [],
        rejected: [{ eventId: foreign.eventId, reason: 'trackedOperationId belongs to an operation of another site' }],
      });
      expect(await repo.siteCall(id)).toMatchObject({ sourceSite: SITE, status: 'Submitted', version: 1 });
    });

    it('rejects invalid events with a reason and accepts the valid rest of the batch', async () => {
      const id = newTrackedOperationId();
      const good = step(id, 'CachedSubmit', 'Submitted', 1);
      const badStatus = { ...step(id, 'ApiCallCached', 'Attempted', 2), status: 'Pending' } as unknown as typeof good;
      const noSnapshot = { ...step(id, 'ApiCallCached', 'Attempted', 3), operation: null };
      const result = await repo.ingest(SITE, [good, badStatus, noSnapshot]);
      expect(result.accepted).toEqual([good.eventId]);
      expect(result.rejected).toEqual([
        { eventId: badStatus.eventId, reason: 'status: unknown status "Pending"' },
        { eventId: noSnapshot.eventId, reason: 'a ApiCallCached event carries no operation snapshot' },
      ]);
      expect(await repo.auditOf(id)).toHaveLength(1);
    });

    it('stores a synchronous ApiCall event, which has no operation, in AuditLog only', async () => {
      const e = { ...step(newTrackedOperationId(), 'ApiCall', 'Delivered', 1), trackedOperationId: null, operation: null };
      const result = await repo.ingest(SITE, [e]);
      expect(result).toEqual({ accepted: [e.eventId], rejected: [] });
    });

    it('stores an event from a month long past (a site that was offline for months)', async () => {
      const id = newTrackedOperationId();
      const old = { ...step(id, 'CachedSubmit', 'Submitted', 1), occurredAtUtc: '2024-02-29T23:59:59.999Z' };
      await repo.ingest(SITE, [old]);
      expect((await repo.auditOf(id)).map((a) => a.occurredAtUtc)).toEqual(['2024-02-29T23:59:59.999Z']);
    });
  });

  describe('KPIs and queries (central issue, point 8)', () => {
    const T0 = Date.parse('2026-11-20T10:00:00.000Z');

    async function seed(): Promise<Record<string, string>> {
      const ids = Object.fromEntries(['fwd', 'parked', 'delivered', 'failed', 'b1'].map((k) => [k, newTrackedOperationId()]));
      await repo.ingest(SITE, [
        step(ids.fwd as never, 'ApiCallCached', 'Forwarded', 2),
        step(ids.parked as never, 'CachedResolve', 'Parked', 6),
        step(ids.delivered as never, 'CachedResolve', 'Delivered', 3),
        step(ids.failed as never, 'CachedResolve', 'Failed', 4),
      ]);
      await repo.ingest('plant-b', [step(ids.b1 as never, 'ApiCallCached', 'Attempted', 3)]);
      return ids as Record<string, string>;
    }

    it('counts buffered, parked, failed and delivered in the last interval, oldest pending age and stuck, globally and per site', async () => {
      await seed();
      const now = new Date(T0 + 20 * 60_000);
      const k = await repo.kpis({ intervalMs: 3_600_000, stuckAfterMs: 600_000, now });
      expect(k.global).toEqual({
        buffered: 2,
        parked: 1,
        failedLastInterval: 1,
        deliveredLastInterval: 1,
        oldestPendingAgeSeconds: 1200,
        stuck: 2,
      });
      expect(k.sites[SITE]).toEqual({ buffered: 1, parked: 1, failedLastInterval: 1, deliveredLastInterval: 1, oldestPendingAgeSeconds: 1200, stuck: 1 });
      expect(k.sites['plant-b']).toMatchObject({ buffered: 1, parked: 0, deliveredLastInterval: 0 });
      const short = await repo.kpis({ intervalMs: 60_000, stuckAfterMs: 3_600_000, now });
      expect(short.global).toMatchObject({ deliveredLastInterval: 0, failedLastInterval: 0, stuck: 0, buffered: 2 });
    });

    it('lists SiteCalls newest first with filters and keyset pages', async () => {
      const ids = await seed();
      const all = await repo.listSiteCalls({}, { limit: 100 });
      expect(all.items.map((r) => r.trackedOperationId)).toEqual(Object.values(ids).sort().reverse());
      expect(all.next).toBeNull();

      const first = await repo.listSiteCalls({ site: SITE }, { limit: 3 });
      expect(first.items).toHaveLength(3);
      expect(first.next).toBe(first.items[2]!.trackedOperationId);
      const second = await repo.listSiteCalls({ site: SITE }, { after: first.next!, limit: 3 });
      expect(second.items.map((r) => r.sourceSite)).toEqual([SITE]);
      expect(second.next).toBeNull();
      expect([...first.items, ...second.items].map((r) => r.trackedOperationId)).toEqual(
        [ids.fwd, ids.parked, ids.delivered, ids.failed].sort().reverse(),
      );

      expect((await repo.listSiteCalls({ status: 'Parked' }, { limit: 10 })).items.map((r) => r.trackedOperationId)).toEqual([ids.parked]);
      expect((await repo.listSiteCalls({ channel: 'DbOutbound' }, { limit: 10 })).items).toEqual([]);
      expect((await repo.listSiteCalls({ from: '2026-11-20T10:00:00.000Z', to: '2026-11-20T10:00:00.001Z' }, { limit: 10 })).items).toHaveLength(5);
      expect((await repo.listSiteCalls({ from: '2026-11-20T10:00:00.001Z' }, { limit: 10 })).items).toEqual([]);
    });
  });

  describe('notifications (notification issue, point 4)', () => {
    it('mirrors Notification operations like the other channels, and lists them separately', async () => {
      const mail = newTrackedOperationId();
      const call = newTrackedOperationId();
      const asMail = { channel: 'Notification' as const, target: 'Operators: High flow' };
      await repo.ingest(SITE, [
        { ...step(mail, 'CachedSubmit', 'Submitted', 1, asMail), channel: 'Notification', target: asMail.target },
        { ...step(mail, 'NotificationCached', 'Attempted', 2, asMail), channel: 'Notification', target: asMail.target },
        { ...step(mail, 'CachedResolve', 'Delivered', 3, asMail), channel: 'Notification', target: asMail.target },
        step(call, 'CachedSubmit', 'Submitted', 1),
      ]);
      const listed = await repo.listSiteCalls({ channel: 'Notification' }, { limit: 10 });
      expect(listed.items.map((r) => r.trackedOperationId)).toEqual([mail]);
      expect(listed.items[0]).toMatchObject({ kind: 'Notification', channel: 'Notification', targetSummary: 'Operators: High flow', status: 'Delivered' });
      expect((await repo.auditOf(mail)).map((a) => a.kind)).toEqual(['CachedSubmit', 'NotificationCached', 'CachedResolve']);
    });
  });

  describe('retention and singletons (central issue, point 9)', () => {
    it('purges terminal SiteCalls that ended before the cutoff and AuditLog before its cutoff, and nothing else', async () => {
      const ended = newTrackedOperationId();
      const open = newTrackedOperationId();
      const recent = newTrackedOperationId();
      // step() times: created 2026-11-20T10:00:00Z, updated/occurred 10:00:0<version>.
      await repo.ingest(SITE, [step(ended, 'CachedResolve', 'Delivered', 3), step(open, 'CachedResolve', 'Parked', 4)]);
      const old = { ...step(ended, 'CachedSubmit', 'Submitted', 1), occurredAtUtc: '2024-02-10T00:00:00.000Z' };
      await repo.ingest(SITE, [old, { ...step(recent, 'CachedResolve', 'Delivered', 9), occurredAtUtc: '2026-11-20T10:00:09.000Z' }]);
      const result = await repo.purge({ siteCallsBefore: '2026-11-20T10:00:05.000Z', auditBefore: '2024-04-01T00:00:00.000Z' });
      expect(result).toEqual({ siteCalls: 1, auditRows: 1 });
      expect(await repo.siteCall(ended)).toBeUndefined();
      expect(await repo.siteCall(open)).toMatchObject({ status: 'Parked' });
      expect(await repo.siteCall(recent)).toMatchObject({ status: 'Delivered' });
      expect((await repo.auditOf(ended)).map((a) => a.occurredAtUtc)).toEqual(['2026-11-20T10:00:03.000Z']);
    });

    it('runs a job on one node at a time: a second node skips it while the first holds it', async () => {
      const other = await h.reopen();
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const first = repo.exclusive('purge', async () => {
        entered();
        await held;
      });
      await inside;
      const runs: string[] = [];
      expect(await other.exclusive('purge', async () => void runs.push('other'))).toBe(false);
      expect(await other.exclusive('reconcile:plant-a', async () => void runs.push('another job'))).toBe(true);
      release();
      expect(await first).toBe(true);
      expect(await other.exclusive('purge', async () => void runs.push('other, later'))).toBe(true);
      expect(runs).toEqual(['another job', 'other, later']);
    });
  });

  describe('reconciliation', () => {
    it('upserts pulled tracking rows under the ingest rule and moves the site cursor forward only', async () => {
      await repo.putSite(SITE, 'scrypt$x');
      const a = newTrackedOperationId();
      const b = newTrackedOperationId();
      await repo.ingest(SITE, [step(b, 'CachedResolve', 'Delivered', 4)]);
      const rows = [
        step(a, 'ApiCallCached', 'Forwarded', 2).operation!,
        step(a, 'ApiCallCached', 'Attempted', 3).operation!,
        step(b, 'ApiCallCached', 'Attempted', 6).operation!,
      ];
      await repo.reconcile(SITE, rows, 6);
      expect(await repo.siteCall(a)).toMatchObject({ status: 'Attempted', version: 3, sourceSite: SITE });
      expect(await repo.siteCall(b)).toMatchObject({ status: 'Delivered', version: 4 });
      expect((await repo.site(SITE))?.reconcileVersion).toBe(6);
      await repo.reconcile(SITE, [], 2);
      expect((await repo.site(SITE))?.reconcileVersion).toBe(6);
    });
  });

  describe('sites', () => {
    it('stores a site with its secret hash and replaces the hash', async () => {
      await repo.putSite('plant-a', 'scrypt$1');
      expect(await repo.site('plant-a')).toMatchObject({ name: 'plant-a', secretHash: 'scrypt$1', reconcileVersion: 0 });
      await repo.putSite('plant-a', 'scrypt$2');
      expect((await repo.site('plant-a'))?.secretHash).toBe('scrypt$2');
      expect(await repo.site('nowhere')).toBeUndefined();
    });
  });

  describe('configuration revisions (central issue, point 10)', () => {
    const files = (greeting: string): Record<string, string> => ({ 'scadalink.yaml': 'sites: { plant-a: {} }\n', 'scripts/hello.js': `return '${greeting}';` });

    it('records a project as revision 1, the same files again as the same revision, changed files as the next', async () => {
      expect(await repo.latestConfig()).toBeUndefined();
      const first = await repo.putConfig(files('v1'), 'sha-v1', 'alice');
      expect(first).toMatchObject({ revision: 1, sha256: 'sha-v1', files: files('v1'), createdBy: 'alice' });
      expect((await repo.putConfig(files('v1'), 'sha-v1', 'bob')).revision).toBe(1);
      const second = await repo.putConfig(files('v2'), 'sha-v2', 'bob');
      expect(second).toMatchObject({ revision: 2, files: files('v2'), createdBy: 'bob' });
      expect(await repo.latestConfig()).toEqual(second);
    });

    it('records one revision when several nodes record the same project at once', async () => {
      const other = await h.reopen();
      const revisions = await Promise.all([repo, other, repo, other].map((r) => r.putConfig(files('v1'), 'sha-v1', 'start')));
      expect(new Set(revisions.map((r) => r.revision))).toEqual(new Set([1]));
    });

    it("keeps what each site reported: the revision it runs and why it refused the last one", async () => {
      await repo.putSite(SITE, 'hash');
      await repo.putSite('plant-b', 'hash');
      expect(await repo.site(SITE)).toMatchObject({ configRevision: null, configError: null, configReportedAtUtc: null });
      await repo.reportConfig(SITE, { revision: 3, error: 'revision 4: CONFIG_INVALID: bad' });
      const sites = await repo.sites();
      expect(sites.map((s) => s.name)).toEqual([SITE, 'plant-b']);
      expect(sites[0]).toMatchObject({ configRevision: 3, configError: 'revision 4: CONFIG_INVALID: bad' });
      expect(Date.parse(sites[0]!.configReportedAtUtc!)).not.toBeNaN();
      expect(sites[1]).toMatchObject({ configRevision: null });
    });
  });

  describe('migrations', () => {
    it('opens an existing database without applying anything twice, and keeps its rows', async () => {
      const id = newTrackedOperationId();
      await repo.ingest(SITE, [step(id, 'CachedSubmit', 'Submitted', 1)]);
      const again = await h.reopen();
      expect(await again.siteCall(id)).toMatchObject({ status: 'Submitted' });
    });

    it('refuses a database whose schema is newer than this code knows (SCHEMA_TOO_NEW)', async () => {
      const table = engine === 'sqlite' ? 'schema_migrations (Version, Name, AppliedAtUtc)' : 'schema_migrations (version, name, applied_at_utc)';
      const now = engine === 'sqlite' ? `'2026-11-22T00:00:00Z'` : 'now()';
      await h.exec(`INSERT INTO ${table} VALUES (9999, 'from_the_future', ${now})`);
      await expect(h.reopen()).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW' });
    });
  });
});
