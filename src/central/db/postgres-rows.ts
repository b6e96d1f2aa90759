// The SiteCalls and AuditLog rows as PostgreSQL returns them (snake_case,
// timestamptz as Date, bigint as string), and their API shape.
import type { AuditLogRow, SiteCallRow } from './types.js';

const iso = (v: Date | null): string | null => (v === null ? null : v.toISOString());

export interface PgSiteCall {
  tracked_operation_id: string;
  source_site: string;
  kind: string;
  channel: SiteCallRow['channel'];
  target_summary: string;
  status: SiteCallRow['status'];
  retry_count: number;
  last_error: string | null;
  http_status: number | null;
  source_instance_id: string | null;
  source_script: string | null;
  source_node: string | null;
  created_at_utc: Date;
  updated_at_utc: Date;
  terminal_at_utc: Date | null;
  /** bigint comes back as a string. */
  version: string;
  ingested_at_utc: Date;
}

export interface PgAudit {
  event_id: string;
  occurred_at_utc: Date;
  source_site: string;
  tracked_operation_id: string | null;
  kind: string;
  status: string;
  channel: string;
  target: string;
  actor: unknown;
  source_node: string;
  error: string | null;
  http_status: number | null;
  duration_ms: number | null;
  ingested_at_utc: Date;
}

export function siteCallOf(r: PgSiteCall): SiteCallRow {
  return {
    trackedOperationId: r.tracked_operation_id,
    sourceSite: r.source_site,
    kind: r.kind,
    channel: r.channel,
    targetSummary: r.target_summary,
    status: r.status,
    retryCount: r.retry_count,
    lastError: r.last_error,
    httpStatus: r.http_status,
    sourceInstanceId: r.source_instance_id,
    sourceScript: r.source_script,
    sourceNode: r.source_node,
    createdAtUtc: r.created_at_utc.toISOString(),
    updatedAtUtc: r.updated_at_utc.toISOString(),
    terminalAtUtc: iso(r.terminal_at_utc),
    version: Number(r.version),
    ingestedAtUtc: r.ingested_at_utc.toISOString(),
  };
}

export function auditOf(r: PgAudit): AuditLogRow {
  return {
    eventId: r.event_id,
    occurredAtUtc: r.occurred_at_utc.toISOString(),
    sourceSite: r.source_site,
    trackedOperationId: r.tracked_operation_id,
    kind: r.kind,
    status: r.status,
    channel: r.channel,
    target: r.target,
    actor: r.actor,
    sourceNode: r.source_node,
    error: r.error,
    httpStatus: r.http_status,
    durationMs: r.duration_ms,
    ingestedAtUtc: r.ingested_at_utc.toISOString(),
  };
}
