// Issue 8, point 9: a fuzz suite for the site link, against a real
// `scadalink central` process and a raw gRPC client built from proto/. Telemetry
// batches carry generated events that each break one rule (ids, vocabularies,
// counts, times, the operation snapshot, another site's operation) beside valid
// ones; reconciliation answers carry generated rows that break the same rules.
// Every malformed event must come back rejected with its id and a reason, every
// valid one accepted, nothing malformed stored, and central must stay healthy
// with its RSS back at its level. FUZZ_SEED=<n> replays a run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditEvent, type OperationSnapshot, newTrackedOperationId, uuidv7 } from '../../src/commons/index.js';
import { auditEventMsg, snapshotMsg } from '../../src/transport/index.js';
import { SECRET_HEADER, SITE_HEADER, siteLinkPackage } from '../../src/transport/proto.js';
import type { SiteLinkClient as RawClient } from '../../src/transport/generated/scadalink/v1/SiteLink.js';
import type { IngestReply__Output } from '../../src/transport/generated/scadalink/v1/IngestReply.js';
import type { CentralMessage__Output } from '../../src/transport/generated/scadalink/v1/CentralMessage.js';
import { step } from '../central/db/events.js';
import { tempDir } from '../support/index.js';
import { SiteProcess, runCli } from '../support/process.js';
import { PROTOTYPE_NAMES, Rng, junk } from './fuzz-gen.js';

const MALFORMED = Number(process.env.FUZZ_INPUTS ?? 2_000);
const BATCH = 20;
const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const RSS_SLACK_MB = 25;

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

const BAD_TIMES = ['2026-13-45T99:99:99Z', '2026-02-30T00:00:00Z', '0000-00-00T00:00:00Z', '', 'yesterday', '2026-11-20', '1999-12-31T23:59:59Z', '9999-01-01T00:00:00Z', '2026-11-20T10:00:00'];

/** A valid event of a new operation of the sending site. */
function valid(): AuditEvent {
  return step(newTrackedOperationId(), 'CachedSubmit', 'Submitted', 1);
}

type Breaker = (rng: Rng, e: AuditEvent, foreignId: string) => AuditEvent;
const op = (e: AuditEvent, patch: Partial<OperationSnapshot>): AuditEvent => ({ ...e, operation: { ...e.operation!, ...patch } });

/** Each breaks exactly one rule of an otherwise valid event. */
const BREAKERS: Readonly<Record<string, Breaker>> = {
  'eventId not a UUID': (rng, e) => ({ ...e, eventId: rng.pick([junk(rng, 36) + 'g', rng.pick(PROTOTYPE_NAMES), '', e.eventId.toUpperCase().replace(/-/g, '')]) }),
  'trackedOperationId not a UUID': (rng, e) => {
    const id = rng.pick([junk(rng, 30) + 'g', rng.pick(PROTOTYPE_NAMES)]);
    return { ...e, trackedOperationId: id as never, operation: { ...e.operation!, trackedOperationId: id as never } };
  },
  'unknown kind': (rng, e) => ({ ...e, kind: rng.pick([...PROTOTYPE_NAMES, 'cachedsubmit', 'Cached Submit', junk(rng, 10) + 'K']) as never }),
  'unknown status': (rng, e) => ({ ...e, status: rng.pick([...PROTOTYPE_NAMES, 'submitted', 'Pending', junk(rng, 10) + 'S']) as never }),
  'unknown channel': (rng, e) => ({ ...e, channel: rng.pick([...PROTOTYPE_NAMES, 'apioutbound', 'Email', junk(rng, 10) + 'C']) as never }),
  'bad occurredAtUtc': (rng, e) => ({ ...e, occurredAtUtc: rng.pick(BAD_TIMES) }),
  'cached kind without snapshot': (_rng, e) => ({ ...e, operation: null }),
  'snapshot of another operation': (_rng, e) => op(e, { trackedOperationId: newTrackedOperationId() }),
  'unknown snapshot status': (rng, e) => op(e, { status: rng.pick([...PROTOTYPE_NAMES, 'Pending']) as never }),
  'unknown snapshot channel': (rng, e) => op(e, { channel: rng.pick([...PROTOTYPE_NAMES, 'Fax']) as never }),
  'negative retryCount': (rng, e) => op(e, { retryCount: -rng.int(1, 1e6) }),
  'version not positive': (rng, e) => op(e, { version: -rng.int(0, 1e6) }),
  'bad snapshot time': (rng, e) => op(e, { [rng.pick(['createdAtUtc', 'updatedAtUtc', 'terminalAtUtc'] as const)]: rng.pick(BAD_TIMES.filter((t) => t !== '')) }),
  "another site's operation": (_rng, e, foreignId) => {
    const s = step(foreignId as never, 'ApiCallCached', 'Attempted', 50);
    return { ...s, eventId: uuidv7() };
  },
};

function call<T>(fn: (cb: (err: grpc.ServiceError | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value!))));
}

describe('issue 8 point 9: fuzzing the site link of a real central process', { timeout: 180_000 }, () => {
  let tmp: ReturnType<typeof tempDir>;
  let central: SiteProcess | undefined;
  let token: string;
  let raw: RawClient;
  const md = new grpc.Metadata();
  let foreignId: string;

  const api = async (path: string): Promise<unknown> =>
    (await fetch(`${central!.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).json();

  beforeAll(async () => {
    tmp = tempDir();
    const data = join(tmp.dir, 'central');
    const secrets: Record<string, string> = {};
    for (const site of ['plant1', 'plant2']) secrets[site] = runCli(['central', 'site', 'add', '--create', site, '--data', data]).stdout.trim();
    token = runCli(['central', 'token', 'create', '--create', '--role', 'Admin', '--name', 'fuzz', '--data', data]).stdout.trim();
    central = await SiteProcess.central(['--data', data, '--port', '0', '--grpc-port', '0']);
    const Ctor = siteLinkPackage().scadalink.v1.SiteLink;
    raw = new Ctor(`127.0.0.1:${central.grpcPort}`, grpc.credentials.createInsecure()) as unknown as RawClient;
    md.set(SITE_HEADER, 'plant1');
    md.set(SECRET_HEADER, secrets.plant1!);
    // plant2 owns one operation; plant1's events must never reach it.
    const md2 = new grpc.Metadata();
    md2.set(SITE_HEADER, 'plant2');
    md2.set(SECRET_HEADER, secrets.plant2!);
    foreignId = newTrackedOperationId();
    const owned = await call<IngestReply__Output>((cb) => raw.IngestCachedTelemetry({ site: 'plant2', events: [auditEventMsg(step(foreignId as never, 'CachedSubmit', 'Submitted', 1))] }, md2, cb));
    expect(owned.accepted).toHaveLength(1);
  });
  afterAll(async () => {
    raw?.close();
    await central?.terminate();
    tmp.cleanup();
  });

  it(`telemetry: ${MALFORMED} malformed events are each rejected with their id and a reason, valid ones beside them are stored, nothing malformed is (seed ${SEED})`, async () => {
    const rng = new Rng(SEED);
    const names = Object.keys(BREAKERS);
    const send = (events: AuditEvent[]): Promise<IngestReply__Output> =>
      call((cb) => raw.IngestCachedTelemetry({ site: 'plant1', events: events.map(auditEventMsg) }, md, cb));
    // Warm-up rounds, then the measured ones (see fuzz-admin.test.ts).
    // (a round as large as the measured one: central's heap and SQLite cache grow to their working size within it).
    for (let i = 0; i < MALFORMED / BATCH; i++) await send(Array.from({ length: BATCH }, () => BREAKERS[rng.pick(names)]!(rng, valid(), foreignId)));
    const before = rssMb(central!.child.pid!);
    const wrong: unknown[] = [];
    const validIds: string[] = [];
    for (let sent = 0; sent < MALFORMED; sent += BATCH) {
      const bad = Array.from({ length: BATCH }, () => {
        const family = rng.pick(names);
        return { family, event: BREAKERS[family]!(rng, valid(), foreignId) };
      });
      const good = [valid(), valid()];
      validIds.push(...good.map((e) => e.trackedOperationId!));
      const batch = [...bad.map((b) => b.event), ...good];
      for (let i = batch.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [batch[i], batch[j]] = [batch[j]!, batch[i]!];
      }
      const reply = await send(batch);
      expect(new Set(reply.accepted)).toEqual(new Set(good.map((e) => e.eventId)));
      for (const b of bad) {
        const r = reply.rejected.find((x) => x.eventId === b.event.eventId);
        if (r === undefined || r.reason === '') wrong.push({ family: b.family, eventId: b.event.eventId, rejected: r });
      }
    }
    expect(wrong).toEqual([]);
    const afterRss = rssMb(central!.child.pid!);

    // Nothing malformed stored: plant1 has exactly its valid operations, plant2's operation only its own event.
    const rows: string[] = [];
    let after: string | null = null;
    do {
      const page = (await api(`/admin/api/site-calls?site=plant1&limit=1000${after === null ? '' : `&after=${after}`}`)) as { items: { trackedOperationId: string }[]; next: string | null };
      rows.push(...page.items.map((r) => r.trackedOperationId));
      after = page.next;
    } while (after !== null);
    expect(new Set(rows)).toEqual(new Set(validIds));
    const foreign = (await api(`/admin/api/site-calls/${foreignId}`)) as { sourceSite: string; audit: unknown[] };
    expect(foreign).toMatchObject({ sourceSite: 'plant2' });
    expect(foreign.audit).toHaveLength(1);

    expect(central!.alive).toBe(true);
    expect((await fetch(`${central!.url}/health`)).status).toBe(200);
    expect(afterRss, `RSS ${before.toFixed(0)} MB before, ${afterRss.toFixed(0)} MB after`).toBeLessThan(before + RSS_SLACK_MB);
  });

  it(`reconciliation: ${MALFORMED} malformed tracking rows a site answers with are not stored, and central stays healthy (seed ${SEED})`, async () => {
    const rng = new Rng(SEED + 7);
    // The families that break the snapshot itself (a tracking row is a snapshot).
    const names = ['trackedOperationId not a UUID', 'unknown snapshot status', 'unknown snapshot channel', 'negative retryCount', 'version not positive', 'bad snapshot time', "another site's operation"];
    const malformedIds: string[] = [];
    /** One Connect: central pulls on every connect; this "site" answers the pull with `rows`, then closes its side. */
    const round = (rows: OperationSnapshot[]): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        const stream = raw.Connect(md);
        stream.on('error', (err: grpc.ServiceError) => (err.code === grpc.status.CANCELLED ? resolve() : reject(err)));
        stream.on('status', () => resolve());
        stream.on('data', (msg: CentralMessage__Output) => {
          const cmd = msg.command;
          if (cmd?.pullTracking) {
            stream.write({ reply: { correlationId: cmd.correlationId, ok: true, trackingPage: { rows: rows.map(snapshotMsg), more: false } } });
            // Ordered on the stream: central has the page before it sees the end.
            stream.end();
          } else if (cmd) {
            stream.write({ reply: { correlationId: cmd.correlationId, ok: false, errorCode: 'UNKNOWN_COMMAND', errorMessage: 'fuzz' } });
          }
        });
        stream.write({ hello: { site: 'plant1', node: 'plant1@fuzz', version: '0.0.0', configRevision: '', configSha256: '' } });
      });
    for (let sent = 0; sent < MALFORMED; sent += 100) {
      await round(
        Array.from({ length: 100 }, () => {
          const e = BREAKERS[rng.pick(names)]!(rng, valid(), foreignId);
          malformedIds.push(e.operation!.trackedOperationId);
          return e.operation!;
        }),
      );
    }
    // A valid row last: once it is stored, every page before it has been handled (one reconciliation at a time per site).
    const marker = { ...step(newTrackedOperationId(), 'CachedSubmit', 'Submitted', 1).operation!, version: 1_000_000_000 };
    await round([marker]);
    const deadline = Date.now() + 15_000;
    while ((await fetch(`${central!.url}/admin/api/site-calls/${marker.trackedOperationId}`, { headers: { authorization: `Bearer ${token}` } })).status !== 200) {
      expect(Date.now(), 'the marker row is stored by reconciliation').toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(central!.alive).toBe(true);
    const foreign = (await api(`/admin/api/site-calls/${foreignId}`)) as { sourceSite: string; audit: unknown[] };
    expect(foreign).toMatchObject({ sourceSite: 'plant2', status: 'Submitted', version: 1 });
    for (const id of malformedIds.filter((i) => /^[0-9a-f-]{36}$/.test(i) && i !== foreignId).slice(0, 200)) {
      const res = await fetch(`${central!.url}/admin/api/site-calls/${id}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status, id).toBe(404);
    }
  });
});
