// The SiteCalls and AuditLog rows as SQLite returns them (PascalCase columns,
// ISO text times), and their API shape.
import type { AuditLogRow, SiteCallRow } from './types.js';

export interface SiteCallDbRow {
  TrackedOperationId: string;
  SourceSite: string;
  Kind: string;
  Channel: SiteCallRow['channel'];
  TargetSummary: string;
  Status: SiteCallRow['status'];
  RetryCount: number;
  LastError: string | null;
  HttpStatus: number | null;
  SourceInstanceId: string | null;
  SourceScript: string | null;
  SourceNode: string | null;
  CreatedAtUtc: string;
  UpdatedAtUtc: string;
  TerminalAtUtc: string | null;
  Version: number;
  IngestedAtUtc: string;
}

export interface AuditDbRow {
  EventId: string;
  OccurredAtUtc: string;
  SourceSite: string;
  TrackedOperationId: string | null;
  Kind: string;
  Status: string;
  Channel: string;
  Target: string;
  Actor: string;
  SourceNode: string;
  Error: string | null;
  HttpStatus: number | null;
  DurationMs: number | null;
  IngestedAtUtc: string;
}

export function siteCallOf(r: SiteCallDbRow): SiteCallRow {
  return {
    trackedOperationId: r.TrackedOperationId,
    sourceSite: r.SourceSite,
    kind: r.Kind,
    channel: r.Channel,
    targetSummary: r.TargetSummary,
    status: r.Status,
    retryCount: r.RetryCount,
    lastError: r.LastError,
    httpStatus: r.HttpStatus,
    sourceInstanceId: r.SourceInstanceId,
    sourceScript: r.SourceScript,
    sourceNode: r.SourceNode,
    createdAtUtc: r.CreatedAtUtc,
    updatedAtUtc: r.UpdatedAtUtc,
    terminalAtUtc: r.TerminalAtUtc,
    version: r.Version,
    ingestedAtUtc: r.IngestedAtUtc,
  };
}

export function auditOf(r: AuditDbRow): AuditLogRow {
  return {
    eventId: r.EventId,
    occurredAtUtc: r.OccurredAtUtc,
    sourceSite: r.SourceSite,
    trackedOperationId: r.TrackedOperationId,
    kind: r.Kind,
    status: r.Status,
    channel: r.Channel,
    target: r.Target,
    actor: JSON.parse(r.Actor) as unknown,
    sourceNode: r.SourceNode,
    error: r.Error,
    httpStatus: r.HttpStatus,
    durationMs: r.DurationMs,
    ingestedAtUtc: r.IngestedAtUtc,
  };
}
