// Builds a store-and-forward backlog fast: one real engine.submit against a
// refused port gives the template (the tracking row, buffer row and audit
// events that submit produces for a transient immediate failure); the backlog
// is that template cloned with fresh ids, times, versions and request params,
// inserted in big transactions. Every row is Forwarded and already due.
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import type { AuditEvent } from '../../src/commons/index.js';
import { closedPort, erpSystem, openSite, orderRequest } from './site.js';

/** Retry interval of the backlog's rows: long past for every generated row. */
const RETRY_INTERVAL_MS = 30_000;
const PER_TX = 20_000;

type Row = Record<string, unknown>;

/** UUIDv7 for a given millisecond and in-ms counter (commons' uuidv7 keeps a global monotonic clock). */
function uuidv7At(ms: number, counter: number): string {
  const b = randomBytes(16);
  b.writeUIntBE(ms, 0, 6);
  b[6] = 0x70 | ((counter >>> 8) & 0x0f);
  b[7] = counter & 0xff;
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

interface Template {
  readonly tracking: Row;
  readonly buffer: Row;
  readonly events: AuditEvent[];
}

async function captureTemplate(dir: string): Promise<Template> {
  const system = erpSystem(`http://127.0.0.1:${await closedPort()}`, 64, RETRY_INTERVAL_MS);
  const site = openSite({ dir, sync: 'OFF', system, start: false });
  const out = await site.engine.submit(orderRequest(system, 0));
  if (out.status !== 'Forwarded') throw new Error(`template submit ended ${out.status}, expected Forwarded`);
  const id = out.trackedOperationId;
  const tracking = site.store.db.prepare('SELECT * FROM operation_tracking WHERE TrackedOperationId = ?').get(id) as Row;
  const buffer = site.store.db.prepare('SELECT * FROM sf_buffer WHERE TrackedOperationId = ?').get(id) as Row;
  const events = site.store.outbox.forOperation(id);
  await site.close();
  return { tracking, buffer, events };
}

export interface BacklogInfo {
  readonly count: number;
  readonly outbox: boolean;
  readonly seconds: number;
}

/** Creates `<dir>/site.db` holding `count` due Forwarded operations. */
export async function createBacklog(dir: string, count: number, withOutbox: boolean): Promise<BacklogInfo> {
  const started = performance.now();
  const t = await captureTemplate(dir);
  const kinds = t.events.map((e) => `${e.kind}/${e.status}`).join(',');
  if (kinds !== 'CachedSubmit/Submitted,ApiCallCached/Forwarded') throw new Error(`unexpected template audit: ${kinds}`);
  if (t.tracking.Status !== 'Forwarded' || t.buffer.Status !== 'Forwarded') throw new Error('template is not Forwarded');

  const db = new Database(`${dir}/site.db`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.prepare('DELETE FROM operation_tracking').run();
  db.prepare('DELETE FROM sf_buffer').run();
  db.prepare('DELETE FROM audit_outbox').run();

  const cols = (row: Row) => Object.keys(row);
  const insert = (table: string, row: Row) =>
    db.prepare(`INSERT INTO ${table} (${cols(row).join(',')}) VALUES (${cols(row).map((c) => '@' + c).join(',')})`);
  const insTracking = insert('operation_tracking', t.tracking);
  const insBuffer = insert('sf_buffer', t.buffer);
  const insEvent = db.prepare(
    'INSERT INTO audit_outbox (EventId, TrackedOperationId, Kind, Status, OccurredAtUtc, Event) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const system = erpSystem('http://unused', 64, RETRY_INTERVAL_MS);
  // Ten submissions per millisecond, the last one an hour ago: all are due.
  const t0 = Date.now() - 3_600_000 - Math.ceil(count / 10);
  const attemptMs = 2;

  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const ms = t0 + Math.floor(i / 10);
      const id = uuidv7At(ms, i % 10);
      const created = new Date(ms).toISOString();
      const updated = new Date(ms + attemptMs).toISOString();
      const submittedVersion = 2 * i + 1;
      const version = 2 * i + 2;
      insTracking.run({ ...t.tracking, TrackedOperationId: id, CreatedAtUtc: created, UpdatedAtUtc: updated, Version: version });
      insBuffer.run({
        ...t.buffer,
        TrackedOperationId: id,
        Request: JSON.stringify(orderRequest(system, i + 1).request),
        NextAttemptAtMs: ms + attemptMs + RETRY_INTERVAL_MS,
      });
      if (!withOutbox) continue;
      for (const e of t.events) {
        const submitted = e.status === 'Submitted';
        const at = submitted ? created : updated;
        const event: AuditEvent = {
          ...e,
          eventId: uuidv7At(submitted ? ms : ms + attemptMs, i % 10),
          trackedOperationId: id as AuditEvent['trackedOperationId'],
          occurredAtUtc: at,
          operation: {
            ...e.operation!,
            trackedOperationId: id as AuditEvent['trackedOperationId'] & string,
            createdAtUtc: created,
            updatedAtUtc: at,
            version: submitted ? submittedVersion : version,
          },
        };
        insEvent.run(event.eventId, id, event.kind, event.status, at, JSON.stringify(event));
      }
    }
  });
  for (let from = 0; from < count; from += PER_TX) batch(from, Math.min(count, from + PER_TX));
  db.prepare(`UPDATE site_meta SET Value = ? WHERE Key = 'version'`).run(2 * count);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { count, outbox: withOutbox, seconds: (performance.now() - started) / 1000 };
}
