// A tracking row as SQLite returns it, the columns a transition reads before
// it writes (RowHead), and the OperationSnapshot either becomes (tracking.ts).
import type { Channel, OperationSnapshot, OperationStatus, TrackedOperationId } from '../../commons/index.js';

export interface TrackingRow {
  TrackedOperationId: string;
  Kind: string;
  TargetSummary: string | null;
  Status: string;
  RetryCount: number;
  LastError: string | null;
  HttpStatus: number | null;
  CreatedAtUtc: string;
  UpdatedAtUtc: string;
  TerminalAtUtc: string | null;
  SourceInstanceId: string | null;
  SourceScript: string | null;
  SourceNode: string | null;
  Version: number;
}

export function toSnapshot(row: TrackingRow): OperationSnapshot {
  return {
    trackedOperationId: row.TrackedOperationId as TrackedOperationId,
    channel: row.Kind as Channel,
    target: row.TargetSummary ?? '',
    status: row.Status as OperationStatus,
    retryCount: row.RetryCount,
    lastError: row.LastError,
    httpStatus: row.HttpStatus,
    createdAtUtc: row.CreatedAtUtc,
    updatedAtUtc: row.UpdatedAtUtc,
    terminalAtUtc: row.TerminalAtUtc,
    sourceInstanceId: row.SourceInstanceId,
    sourceScript: row.SourceScript,
    sourceNode: row.SourceNode,
    version: row.Version,
  };
}

export function fromHead(
  id: TrackedOperationId,
  head: RowHead,
  status: OperationStatus,
  retryCount: number,
  lastError: string | null,
  httpStatus: number | null,
  now: string,
  terminalAtUtc: string | null,
  version: number,
): OperationSnapshot {
  return {
    trackedOperationId: id,
    channel: head[0] as Channel,
    target: head[1] ?? '',
    status,
    retryCount,
    lastError,
    httpStatus,
    createdAtUtc: head[4],
    updatedAtUtc: now,
    terminalAtUtc,
    sourceInstanceId: head[5],
    sourceScript: head[6],
    sourceNode: head[7],
    version,
  };
}

/** The columns a transition does not change, read before it (see TrackingStore). */
export type RowHead = [
  kind: string,
  targetSummary: string | null,
  status: string,
  retryCount: number,
  createdAtUtc: string,
  sourceInstanceId: string | null,
  sourceScript: string | null,
  sourceNode: string | null,
];
