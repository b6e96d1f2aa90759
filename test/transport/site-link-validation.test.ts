// Issue 8, point 2 at the transport boundary: central's end of the real gRPC
// link checks every event of a batch before the ingest callback sees it; a
// bad event is answered alone with its id and reason, the rest goes on.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AuditEvent,
  hashSecret,
  isAuditKind,
  isChannel,
  isOperationStatus,
  newTrackedOperationId,
  uuidv7,
} from '../../src/commons/index.js';
import { SqliteCentralRepository, siteSecrets } from '../../src/central/index.js';
import { SiteLinkClient, SiteLinkServer, auditEventMsg } from '../../src/transport/index.js';
import { SECRET_HEADER, SITE_HEADER, siteLinkPackage } from '../../src/transport/proto.js';
import type { IngestReply__Output } from '../../src/transport/generated/scadalink/v1/IngestReply.js';
import { failTwiceThenDeliver, step } from '../central/db/events.js';
import { tempDir } from '../support/index.js';

const logger = pino({ level: 'silent' });
const SITE = 'plant-a';
const SECRET = 'plant-a-secret-1234';
const PROTOTYPE_NAMES = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'];

describe('site link validation (issue 8, point 2)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let repo: SqliteCentralRepository;
  let server: SiteLinkServer;
  let port: number;
  /** Every event the server passed on to ingest. */
  let reached: AuditEvent[];
  const clients: { close(): void }[] = [];

  beforeEach(async () => {
    tmp = tempDir();
    reached = [];
    repo = new SqliteCentralRepository(join(tmp.dir, 'central.db'));
    await repo.putSite(SITE, await hashSecret(SECRET));
    server = new SiteLinkServer({
      logger,
      secrets: siteSecrets(repo),
      ingest: (site, events) => {
        reached.push(...events);
        return repo.ingest(site, events);
      },
    });
    port = await server.listen('127.0.0.1', 0);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.close();
    await repo.close();
    tmp.cleanup();
  });

  /** Sends proto messages as they are, the way a buggy or hostile site could. */
  function sendRaw(events: object[]): Promise<IngestReply__Output> {
    const Ctor = siteLinkPackage().scadalink.v1.SiteLink;
    const raw = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    clients.push(raw);
    const md = new grpc.Metadata();
    md.set(SITE_HEADER, SITE);
    md.set(SECRET_HEADER, SECRET);
    return new Promise((resolve, reject) =>
      raw.IngestCachedTelemetry({ site: SITE, events }, md, (err, reply) => (err ? reject(err) : resolve(reply!))),
    );
  }

  it('issue 8: vocabularies are looked up as own keys: Object.prototype member names are not channels, kinds or statuses', () => {
    for (const name of PROTOTYPE_NAMES) {
      expect([isChannel(name), isAuditKind(name), isOperationStatus(name)]).toEqual([false, false, false]);
    }
    expect([isChannel('ApiOutbound'), isAuditKind('CachedSubmit'), isOperationStatus('Parked')]).toEqual([true, true, true]);
  });

  it('issue 8: a channel named toString no longer fails the whole batch with UNAVAILABLE: that event is rejected with its reason, the rest of the batch is stored', async () => {
    const id = newTrackedOperationId();
    const events = failTwiceThenDeliver(id);
    const bad = step(newTrackedOperationId(), 'CachedSubmit', 'Submitted', 1);
    const toStringEvent = { ...bad, channel: 'toString', operation: { ...bad.operation!, channel: 'toString' } } as unknown as AuditEvent;
    const client = new SiteLinkClient({ address: `127.0.0.1:${port}`, site: SITE, secret: SECRET, node: 'n', version: '0', logger, onCommand: () => Promise.resolve({ ok: true }) });
    clients.push({ close: () => void client.stop() });
    const answer = await client.ingestCachedTelemetry([events[0]!, events[1]!, toStringEvent, events[2]!, events[3]!, events[4]!]);
    expect(answer).toEqual({
      accepted: events.map((e) => e.eventId),
      rejected: [{ eventId: toStringEvent.eventId, reason: 'channel: unknown channel "toString"' }],
    });
    expect(await repo.siteCall(id)).toMatchObject({ status: 'Delivered', version: 5 });
    expect(await repo.siteCall(toStringEvent.trackedOperationId!)).toBeUndefined();
    expect(reached.map((e) => e.eventId)).toEqual(events.map((e) => e.eventId));
  });

  it('issue 8: invalid events are answered at the boundary with their id and reason and never reach the ingest callback', async () => {
    const good = step(newTrackedOperationId(), 'CachedSubmit', 'Submitted', 1);
    const msg = (patch: Record<string, unknown>, op: Record<string, unknown> = {}): Record<string, unknown> => {
      const e = step(newTrackedOperationId(), 'CachedResolve', 'Delivered', 2);
      const m = auditEventMsg(e);
      return { ...m, operation: { ...m.operation, ...op }, ...patch };
    };
    const longId = 'x'.repeat(10_000);
    const bad = [
      ...PROTOTYPE_NAMES.map((name) => msg({ status: name })),
      ...PROTOTYPE_NAMES.map((name) => msg({ kind: name })),
      msg({ occurredAtUtc: '2026-13-45T99:99:99Z' }),
      msg({ occurredAtUtc: '2026-02-30T00:00:00Z' }),
      msg({ occurredAtUtc: '0000-00-00T00:00:00Z' }),
      msg({}, { updatedAtUtc: new Date(Date.now() + 2 * 86_400_000).toISOString() }),
      msg({}, { retryCount: -1 }),
      msg({}, { version: '9223372036854775807' }),
      msg({}, { version: 0 }),
      msg({ actor: undefined }),
      msg({ eventId: longId }),
      msg({ eventId: '' }),
      msg({ target: 'x'.repeat(5_000) }),
      msg({ sourceNode: 'node\u0000' }),
      msg({ operation: undefined }),
    ];
    const reply = await sendRaw([auditEventMsg(good), ...bad]);
    expect(reply.accepted).toEqual([good.eventId]);
    expect(reply.rejected).toHaveLength(bad.length);
    expect(reply.rejected.map((r) => r.eventId)).toEqual(bad.map((b) => (b.eventId === longId ? longId.slice(0, 128) : b.eventId)));
    for (const r of reply.rejected) expect(r.reason).toMatch(/^(\w+(\.\w+)*: )?\S/);
    expect(reply.rejected.map((r) => r.reason).slice(0, 2)).toEqual(['status: unknown status "toString"', 'status: unknown status "constructor"']);
    expect(reached.map((e) => e.eventId)).toEqual([good.eventId]);
    const stored = repo.db.prepare('SELECT COUNT(*) AS n FROM AuditLog').get() as { n: number };
    expect(stored.n).toBe(1);
  });

  it('issue 8: an event id that is not a UUID is rejected and echoed back so the site can move it aside', async () => {
    const e = { ...step(newTrackedOperationId(), 'CachedSubmit', 'Submitted', 1), eventId: `evt-${uuidv7()}` };
    const reply = await sendRaw([auditEventMsg(e)]);
    expect(reply).toEqual({ accepted: [], rejected: [{ eventId: e.eventId, reason: 'eventId: is not a UUID' }] });
  });
});
