import type Database from 'better-sqlite3';
import {
  type Channel,
  type OperationSnapshot,
  type OperationStatus,
  type TrackedOperationId,
  isTerminal,
} from '../../commons/index.js';

/** Default retention of terminal tracking rows (seed 002). */
export const DEFAULT_TRACKING_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

const TERMINAL_SQL = `('Delivered','Failed','Discarded')`;

interface TrackingRow {
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

export interface EnqueueInput {
  readonly id: TrackedOperationId;
  readonly kind: Channel;
  readonly targetSummary: string | null;
  readonly sourceInstanceId: string | null;
  readonly sourceScript: string | null;
  readonly sourceNode: string | null;
}

/**
 * The site-local operation tracking store: the contract of seed 002 plus the
 * `Version` of DESIGN §4.1. Methods are synchronous and meant to run inside a
 * transaction owned by the caller, so a transition and its audit event commit
 * together (DESIGN §3 rule 2). Each returns the row as written, or undefined
 * when the contract made the call a no-op.
 */
export class TrackingStore {
  private readonly bumpVersion: Database.Statement<[], { Value: number }>;
  private readonly insert: Database.Statement;
  private readonly attempt: Database.Statement;
  private readonly terminal: Database.Statement;
  private readonly select: Database.Statement<[string], TrackingRow>;
  private readonly purgeChunk: Database.Statement;
  private readonly since: Database.Statement<[number, number], TrackingRow>;

  /** Called with every row this store writes, inside the writing transaction. */
  onWrite: ((snapshot: OperationSnapshot) => void) | undefined;

  constructor(private readonly db: Database.Database) {
    this.bumpVersion = db.prepare(`UPDATE site_meta SET Value = Value + 1 WHERE Key = 'version' RETURNING Value`);
    this.insert = db.prepare(`INSERT INTO operation_tracking
      (TrackedOperationId, Kind, TargetSummary, Status, RetryCount, CreatedAtUtc, UpdatedAtUtc,
       SourceInstanceId, SourceScript, SourceNode, Version)
      VALUES (@id, @kind, @targetSummary, 'Submitted', 0, @now, @now, @sourceInstanceId, @sourceScript, @sourceNode, @version)
      ON CONFLICT (TrackedOperationId) DO NOTHING
      RETURNING *`);
    this.attempt = db.prepare(`UPDATE operation_tracking
      SET Status = @status, RetryCount = @retryCount, LastError = @lastError, HttpStatus = @httpStatus,
          UpdatedAtUtc = @now, Version = @version
      WHERE TrackedOperationId = @id AND Status NOT IN ${TERMINAL_SQL}
      RETURNING *`);
    this.terminal = db.prepare(`UPDATE operation_tracking
      SET Status = @status, LastError = @lastError, HttpStatus = @httpStatus,
          UpdatedAtUtc = @now, TerminalAtUtc = @now, Version = @version
      WHERE TrackedOperationId = @id AND Status NOT IN ${TERMINAL_SQL}
      RETURNING *`);
    this.select = db.prepare('SELECT * FROM operation_tracking WHERE TrackedOperationId = ?');
    this.purgeChunk = db.prepare(`DELETE FROM operation_tracking WHERE TrackedOperationId IN (
      SELECT TrackedOperationId FROM operation_tracking
      WHERE TerminalAtUtc IS NOT NULL AND TerminalAtUtc < ? LIMIT 5000)`);
    this.since = db.prepare('SELECT * FROM operation_tracking WHERE Version > ? ORDER BY Version LIMIT ?');
  }

  /** The next site-wide version; strictly increasing, never reused. */
  nextVersion(): number {
    return this.bumpVersion.get()!.Value;
  }

  /** Insert-if-absent in `Submitted` with RetryCount 0; a duplicate id is a no-op. */
  recordEnqueue(input: EnqueueInput, now: string): OperationSnapshot | undefined {
    const row = this.insert.get({ ...input, now, version: this.nextVersion() }) as TrackingRow | undefined;
    return this.written(row);
  }

  /** Advances a non-terminal row; terminal rows are never touched. */
  recordAttempt(
    id: TrackedOperationId,
    status: OperationStatus,
    retryCount: number,
    lastError: string | null,
    httpStatus: number | null,
    now: string,
  ): OperationSnapshot | undefined {
    if (isTerminal(status)) throw new TypeError(`recordAttempt takes a non-terminal status, not ${status}`);
    const row = this.attempt.get({ id, status, retryCount, lastError, httpStatus, now, version: this.nextVersion() }) as
      | TrackingRow
      | undefined;
    return this.written(row);
  }

  /** Flips a non-terminal row to terminal; the first terminal write wins. */
  recordTerminal(
    id: TrackedOperationId,
    status: OperationStatus,
    lastError: string | null,
    httpStatus: number | null,
    now: string,
  ): OperationSnapshot | undefined {
    if (!isTerminal(status)) throw new TypeError(`recordTerminal takes a terminal status, not ${status}`);
    const row = this.terminal.get({ id, status, lastError, httpStatus, now, version: this.nextVersion() }) as
      | TrackingRow
      | undefined;
    return this.written(row);
  }

  private written(row: TrackingRow | undefined): OperationSnapshot | undefined {
    if (!row) return undefined;
    const snap = toSnapshot(row);
    this.onWrite?.(snap);
    return snap;
  }

  getStatus(id: string): OperationSnapshot | undefined {
    const row = this.select.get(id);
    return row && toSnapshot(row);
  }

  /** Deletes terminal rows whose TerminalAtUtc is strictly older than the threshold; returns the count. */
  purgeTerminal(olderThanUtc: string): number {
    let total = 0;
    for (;;) {
      const n = this.purgeChunk.run(olderThanUtc).changes;
      total += n;
      if (n === 0) return total;
    }
  }

  /** Rows changed after `version`, in version order (the reconciliation cursor, DESIGN §4.1). */
  changedSince(version: number, limit: number): OperationSnapshot[] {
    return this.since.all(version, limit).map(toSnapshot);
  }
}
