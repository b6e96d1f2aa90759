import type Database from 'better-sqlite3';
import type { Channel, OperationStatus, TrackedOperationId } from '../../commons/index.js';

/** One store-and-forward row: everything needed to attempt an operation again. */
export interface BufferedOperation {
  readonly id: TrackedOperationId;
  readonly channel: Channel;
  readonly target: string;
  /** The request as JSON text; parsed only when attempted. */
  readonly request: string;
  readonly maxRetries: number;
  readonly retryIntervalMs: number;
  readonly retryCount: number;
  readonly nextAttemptAtMs: number;
  readonly status: OperationStatus;
  readonly sourceInstanceId: string | null;
  readonly sourceScript: string | null;
}

interface BufferRow {
  TrackedOperationId: string;
  Channel: string;
  Target: string;
  Request: string;
  MaxRetries: number;
  RetryIntervalMs: number;
  RetryCount: number;
  NextAttemptAtMs: number;
  Status: string;
  SourceInstanceId: string | null;
  SourceScript: string | null;
}

function fromRow(r: BufferRow): BufferedOperation {
  return {
    id: r.TrackedOperationId as TrackedOperationId,
    channel: r.Channel as Channel,
    target: r.Target,
    request: r.Request,
    maxRetries: r.MaxRetries,
    retryIntervalMs: r.RetryIntervalMs,
    retryCount: r.RetryCount,
    nextAttemptAtMs: r.NextAttemptAtMs,
    status: r.Status as OperationStatus,
    sourceInstanceId: r.SourceInstanceId,
    sourceScript: r.SourceScript,
  };
}

/** Keyset position in the due index. */
export interface DueCursor {
  readonly atMs: number;
  readonly id: string;
}

/** [NextAttemptAtMs, TrackedOperationId] of a due row. */
export type DueKey = [atMs: number, id: string];

/** The store-and-forward buffer table (DESIGN §5). */
export class BufferTable {
  private readonly insertStmt: Database.Statement;
  private readonly rescheduleStmt: Database.Statement;
  private readonly deleteStmt: Database.Statement;
  private readonly getStmt: Database.Statement<[string], BufferRow>;
  private readonly dueFirst: Database.Statement<[number, number], BufferRow>;
  private readonly dueAfter: Database.Statement<[number, number, number, string, number], BufferRow>;
  private readonly dueKeysFirst: Database.Statement<[number, number], DueKey>;
  private readonly dueKeysAfter: Database.Statement<[number, number, number, string, number], DueKey>;
  private readonly parkedFirst: Database.Statement<[number], BufferRow>;
  private readonly parkedAfter: Database.Statement<[string, number], BufferRow>;
  private readonly countStmt: Database.Statement<[], { total: number; parked: number }>;
  private readonly nextDueStmt: Database.Statement<[], { at: number | null }>;
  private readonly nextDueAfterStmt: Database.Statement<[number], { at: number | null }>;
  private readonly oldestStmt: Database.Statement<[], { at: string | null }>;

  constructor(db: Database.Database) {
    this.insertStmt = db.prepare(`INSERT INTO sf_buffer
      (TrackedOperationId, Channel, Target, Request, MaxRetries, RetryIntervalMs, RetryCount, NextAttemptAtMs,
       Status, SourceInstanceId, SourceScript)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (TrackedOperationId) DO NOTHING`);
    this.rescheduleStmt = db.prepare(`UPDATE sf_buffer SET Status = ?, RetryCount = ?, NextAttemptAtMs = ?
      WHERE TrackedOperationId = ?`);
    this.deleteStmt = db.prepare('DELETE FROM sf_buffer WHERE TrackedOperationId = ?');
    this.getStmt = db.prepare('SELECT * FROM sf_buffer WHERE TrackedOperationId = ?');
    this.dueFirst = db.prepare(`SELECT * FROM sf_buffer INDEXED BY IX_Buffer_Due
      WHERE Status <> 'Parked' AND NextAttemptAtMs <= ?
      ORDER BY NextAttemptAtMs, TrackedOperationId LIMIT ?`);
    this.dueAfter = db.prepare(`SELECT * FROM sf_buffer INDEXED BY IX_Buffer_Due
      WHERE Status <> 'Parked' AND NextAttemptAtMs <= ?
        AND (NextAttemptAtMs > ? OR (NextAttemptAtMs = ? AND TrackedOperationId > ?))
      ORDER BY NextAttemptAtMs, TrackedOperationId LIMIT ?`);
    this.dueKeysFirst = db
      .prepare(`SELECT NextAttemptAtMs, TrackedOperationId FROM sf_buffer INDEXED BY IX_Buffer_Due
        WHERE Status <> 'Parked' AND NextAttemptAtMs <= ?
        ORDER BY NextAttemptAtMs, TrackedOperationId LIMIT ?`)
      .raw() as Database.Statement<[number, number], DueKey>;
    this.dueKeysAfter = db
      .prepare(`SELECT NextAttemptAtMs, TrackedOperationId FROM sf_buffer INDEXED BY IX_Buffer_Due
        WHERE Status <> 'Parked' AND NextAttemptAtMs <= ?
          AND (NextAttemptAtMs > ? OR (NextAttemptAtMs = ? AND TrackedOperationId > ?))
        ORDER BY NextAttemptAtMs, TrackedOperationId LIMIT ?`)
      .raw() as Database.Statement<[number, number, number, string, number], DueKey>;
    this.parkedFirst = db.prepare(`SELECT * FROM sf_buffer WHERE Status = 'Parked'
      ORDER BY TrackedOperationId LIMIT ?`);
    this.parkedAfter = db.prepare(`SELECT * FROM sf_buffer WHERE Status = 'Parked' AND TrackedOperationId > ?
      ORDER BY TrackedOperationId LIMIT ?`);
    this.countStmt = db.prepare(`SELECT COUNT(*) AS total,
      (SELECT COUNT(*) FROM sf_buffer WHERE Status = 'Parked') AS parked FROM sf_buffer`);
    this.nextDueStmt = db.prepare(`SELECT MIN(NextAttemptAtMs) AS at FROM sf_buffer INDEXED BY IX_Buffer_Due
      WHERE Status <> 'Parked'`);
    this.nextDueAfterStmt = db.prepare(`SELECT MIN(NextAttemptAtMs) AS at FROM sf_buffer INDEXED BY IX_Buffer_Due
      WHERE Status <> 'Parked' AND NextAttemptAtMs > ?`);
    this.oldestStmt = db.prepare(`SELECT MIN(TrackedOperationId) AS at FROM sf_buffer WHERE Status <> 'Parked'`);
  }

  insert(op: BufferedOperation): void {
    // Positional parameters: binding by name costs a few µs more per row.
    this.insertStmt.run(
      op.id,
      op.channel,
      op.target,
      op.request,
      op.maxRetries,
      op.retryIntervalMs,
      op.retryCount,
      op.nextAttemptAtMs,
      op.status,
      op.sourceInstanceId,
      op.sourceScript,
    );
  }

  reschedule(id: TrackedOperationId, status: OperationStatus, retryCount: number, nextAttemptAtMs: number): void {
    this.rescheduleStmt.run(status, retryCount, nextAttemptAtMs, id);
  }

  delete(id: TrackedOperationId): void {
    this.deleteStmt.run(id);
  }

  get(id: string): BufferedOperation | undefined {
    const row = this.getStmt.get(id);
    return row && fromRow(row);
  }

  /** Due rows in index order, one page at a time after `cursor`. */
  due(nowMs: number, cursor: DueCursor | undefined, limit: number): BufferedOperation[] {
    const rows = cursor
      ? this.dueAfter.all(nowMs, cursor.atMs, cursor.atMs, cursor.id, limit)
      : this.dueFirst.all(nowMs, limit);
    return rows.map(fromRow);
  }

  /**
   * Positions of due rows in index order after `cursor`, read from the due
   * index alone: a scan that mostly meets rows already claimed (in flight)
   * does not pay for reading and building whole rows.
   */
  dueKeys(nowMs: number, cursor: DueCursor | undefined, limit: number): DueKey[] {
    return cursor
      ? this.dueKeysAfter.all(nowMs, cursor.atMs, cursor.atMs, cursor.id, limit)
      : this.dueKeysFirst.all(nowMs, limit);
  }

  parked(afterId: string | undefined, limit: number): BufferedOperation[] {
    const rows = afterId ? this.parkedAfter.all(afterId, limit) : this.parkedFirst.all(limit);
    return rows.map(fromRow);
  }

  counts(): { total: number; parked: number } {
    return this.countStmt.get()!;
  }

  /** When the earliest pending row falls due (epoch ms), if any. */
  nextDueAtMs(): number | undefined {
    return this.nextDueStmt.get()!.at ?? undefined;
  }

  /** When the first pending row that is not yet due at `nowMs` falls due (epoch ms), if any. */
  nextDueAfter(nowMs: number): number | undefined {
    return this.nextDueAfterStmt.get(nowMs)!.at ?? undefined;
  }

  /** Id of the oldest pending (non-parked) operation; UUIDv7 ids sort by creation time. */
  oldestPendingId(): string | undefined {
    const at = this.oldestStmt.get()!.at;
    return at ?? undefined;
  }
}
