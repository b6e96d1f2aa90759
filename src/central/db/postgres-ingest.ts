// The set-based statements of a PostgreSQL telemetry batch (DESIGN §12: one
// `INSERT … SELECT FROM unnest(…)` per table, not row by row), run inside the
// batch's transaction by postgres.ts.
import type pg from 'pg';
import type { AuditEvent, OperationSnapshot } from '../../commons/index.js';
import { seedKind } from './ingest-rows.js';

export async function ownersOf(client: pg.PoolClient, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await client.query<{ id: string; site: string }>(
    'SELECT tracked_operation_id::text AS id, source_site AS site FROM site_calls WHERE tracked_operation_id = ANY($1::uuid[])',
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r.site]));
}

export async function insertAudit(client: pg.PoolClient, site: string, events: readonly AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  // Key order, like the SiteCalls upsert: two batches holding the same events never wait on each other in a cycle.
  const e = [...events].sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  await client.query(
    `INSERT INTO audit_log (event_id, occurred_at_utc, source_site, tracked_operation_id, kind, status, channel,
       target, actor, source_node, error, http_status, duration_ms, ingested_at_utc)
     SELECT u.event_id, u.occurred_at_utc, $1, u.tracked_operation_id, u.kind, u.status, u.channel,
       u.target, u.actor, u.source_node, u.error, u.http_status, u.duration_ms, now()
     FROM unnest($2::uuid[], $3::timestamptz[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[],
       $9::jsonb[], $10::text[], $11::text[], $12::integer[], $13::double precision[])
       AS u(event_id, occurred_at_utc, tracked_operation_id, kind, status, channel, target, actor, source_node,
            error, http_status, duration_ms)
     ON CONFLICT DO NOTHING`,
    [
      site,
      e.map((x) => x.eventId),
      e.map((x) => x.occurredAtUtc),
      e.map((x) => x.trackedOperationId),
      e.map((x) => x.kind),
      e.map((x) => x.status),
      e.map((x) => x.channel),
      e.map((x) => x.target),
      e.map((x) => JSON.stringify(x.actor)),
      e.map((x) => x.sourceNode),
      e.map((x) => x.error),
      e.map((x) => x.httpStatus),
      e.map((x) => x.durationMs),
    ],
  );
}

export async function upsertSiteCalls(client: pg.PoolClient, site: string, s: readonly OperationSnapshot[]): Promise<void> {
  if (s.length === 0) return;
  // DESIGN §4.1: only a newer version of a row that is not terminal, and only from the row's own site.
  await client.query(
    `INSERT INTO site_calls (tracked_operation_id, source_site, kind, channel, target_summary, status, retry_count,
       last_error, http_status, source_instance_id, source_script, source_node, created_at_utc, updated_at_utc,
       terminal_at_utc, version, ingested_at_utc)
     SELECT u.id, $1, u.kind, u.channel, u.target, u.status, u.retry_count, u.last_error, u.http_status,
       u.source_instance_id, u.source_script, u.source_node, u.created_at, u.updated_at, u.terminal_at,
       u.version, now()
     FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::integer[], $8::text[],
       $9::integer[], $10::text[], $11::text[], $12::text[], $13::timestamptz[], $14::timestamptz[],
       $15::timestamptz[], $16::bigint[])
       AS u(id, kind, channel, target, status, retry_count, last_error, http_status, source_instance_id,
            source_script, source_node, created_at, updated_at, terminal_at, version)
     ON CONFLICT (tracked_operation_id) DO UPDATE SET
       status = excluded.status, retry_count = excluded.retry_count, last_error = excluded.last_error,
       http_status = excluded.http_status, updated_at_utc = excluded.updated_at_utc,
       terminal_at_utc = excluded.terminal_at_utc, version = excluded.version,
       ingested_at_utc = excluded.ingested_at_utc
     WHERE excluded.version > site_calls.version
       AND site_calls.status NOT IN ('Delivered', 'Failed', 'Discarded')
       AND site_calls.source_site = excluded.source_site`,
    [
      site,
      s.map((x) => x.trackedOperationId),
      s.map((x) => seedKind(x.channel)),
      s.map((x) => x.channel),
      s.map((x) => x.target),
      s.map((x) => x.status),
      s.map((x) => x.retryCount),
      s.map((x) => x.lastError),
      s.map((x) => x.httpStatus),
      s.map((x) => x.sourceInstanceId),
      s.map((x) => x.sourceScript),
      s.map((x) => x.sourceNode),
      s.map((x) => x.createdAtUtc),
      s.map((x) => x.updatedAtUtc),
      s.map((x) => x.terminalAtUtc),
      s.map((x) => x.version),
    ],
  );
}
