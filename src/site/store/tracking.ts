import type Database from 'better-sqlite3';
import {
  type Channel,
  type OperationSnapshot,
  type OperationStatus,
  type TrackedOperationId,
  isTerminal,
} from '../../commons/index.js';
import { type RowHead, type TrackingRow, fromHead, toSnapshot } from './tracking-rows.js';

/** Default retention of terminal tracking rows (seed 002). */
export const DEFAULT_TRACKING_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

const TERMINAL_SQL = `('Delivered','Failed','Discarded')`;

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
 *
 * The row as written is built here from what was read and written rather
 * than with `RETURNING *`: on this SQLite, RETURNING costs 15-25 µs per
 * statement, more than the write itself (bench/README.md).
 */
export class TrackingStore {
  private readonly bumpVersion: Database.Statement<[], { Value: number }>;
  private readonly readVersion: Database.Statement<[], number>;
  private readonly writeVersion: Database.Statement<[number]>;
  private readonly insert: Database.Statement;
  private readonly head: Database.Statement<[string], RowHead>;
  private readonly attempt: Database.Statement;
  private readonly terminal: Database.Statement;
  private readonly finalAttempt: Database.Statement;
  private readonly select: Database.Statement<[string], TrackingRow>;
  private readonly purgeChunk: Database.Statement;
  private readonly since: Database.Statement<[number, number, number], TrackingRow>;
  /** Last version handed out in the open batch; undefined outside one. */
  private batchVersion: number | undefined;
  private batchStartVersion = 0;

  /** Called with every row this store writes, inside the writing transaction. */
  onWrite: ((snapshot: OperationSnapshot) => void) | undefined;

  constructor(private readonly db: Database.Database) {
    this.bumpVersion = db.prepare(`UPDATE site_meta SET Value = Value + 1 WHERE Key = 'version' RETURNING Value`);
    this.readVersion = db.prepare(`SELECT Value FROM site_meta WHERE Key = 'version'`).pluck() as Database.Statement<
      [],
      number
    >;
    this.writeVersion = db.prepare(`UPDATE site_meta SET Value = ? WHERE Key = 'version'`);
    this.insert = db.prepare(`INSERT INTO operation_tracking
      (TrackedOperationId, Kind, TargetSummary, Status, RetryCount, CreatedAtUtc, UpdatedAtUtc,
       SourceInstanceId, SourceScript, SourceNode, Version)
      VALUES (?, ?, ?, 'Submitted', 0, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (TrackedOperationId) DO NOTHING`);
    this.head = db
      .prepare(`SELECT Kind, TargetSummary, Status, RetryCount, CreatedAtUtc, SourceInstanceId, SourceScript, SourceNode
        FROM operation_tracking WHERE TrackedOperationId = ?`)
      .raw() as Database.Statement<[string], RowHead>;
    // The status guard repeats the check made on the head: terminal rows are never touched.
    this.attempt = db.prepare(`UPDATE operation_tracking
      SET Status = ?, RetryCount = ?, LastError = ?, HttpStatus = ?, UpdatedAtUtc = ?, Version = ?
      WHERE TrackedOperationId = ? AND Status NOT IN ${TERMINAL_SQL}`);
    this.terminal = db.prepare(`UPDATE operation_tracking
      SET Status = ?, LastError = ?, HttpStatus = ?, UpdatedAtUtc = ?, TerminalAtUtc = ?, Version = ?
      WHERE TrackedOperationId = ? AND Status NOT IN ${TERMINAL_SQL}`);
    this.finalAttempt = db.prepare(`UPDATE operation_tracking
      SET Status = ?, RetryCount = ?, LastError = ?, HttpStatus = ?, UpdatedAtUtc = ?, TerminalAtUtc = ?, Version = ?
      WHERE TrackedOperationId = ? AND Status NOT IN ${TERMINAL_SQL}`);
    this.select = db.prepare('SELECT * FROM operation_tracking WHERE TrackedOperationId = ?');
    this.purgeChunk = db.prepare(`DELETE FROM operation_tracking WHERE TrackedOperationId IN (
      SELECT TrackedOperationId FROM operation_tracking
      WHERE TerminalAtUtc IS NOT NULL AND TerminalAtUtc < ? LIMIT 5000)`);
    this.since = db.prepare('SELECT * FROM operation_tracking WHERE Version > ? AND Version <= ? ORDER BY Version LIMIT ?');
  }

  /** The next site-wide version; strictly increasing, never reused. */
  nextVersion(): number {
    if (this.batchVersion !== undefined) return ++this.batchVersion;
    return this.bumpVersion.get()!.Value;
  }

  /**
   * Starts handing out versions from memory for one write transaction; call
   * only once that transaction holds the write lock (BEGIN IMMEDIATE), so no
   * other connection can take versions meanwhile. `endVersionBatch` stores
   * the counter in the same transaction. Versions of work rolled back inside
   * the batch are skipped, never reused.
   */
  beginVersionBatch(): number {
    this.batchVersion = this.batchStartVersion = this.readVersion.get()!;
    return this.batchStartVersion;
  }

  /** Stores the batch's counter; call before COMMIT. */
  endVersionBatch(): void {
    const last = this.batchVersion;
    this.batchVersion = undefined;
    if (last !== undefined && last !== this.batchStartVersion) this.writeVersion.run(last);
  }

  /** Forgets the batch after a rollback; the stored counter was rolled back with it. */
  abandonVersionBatch(): void {
    this.batchVersion = undefined;
  }

  /** Insert-if-absent in `Submitted` with RetryCount 0; a duplicate id is a no-op. */
  recordEnqueue(input: EnqueueInput, now: string): OperationSnapshot | undefined {
    const version = this.nextVersion();
    const { changes } = this.insert.run(
      input.id,
      input.kind,
      input.targetSummary,
      now,
      now,
      input.sourceInstanceId,
      input.sourceScript,
      input.sourceNode,
      version,
    );
    if (changes === 0) return undefined;
    return this.written({
      trackedOperationId: input.id,
      channel: input.kind,
      target: input.targetSummary ?? '',
      status: 'Submitted' as OperationStatus,
      retryCount: 0,
      lastError: null,
      httpStatus: null,
      createdAtUtc: now,
      updatedAtUtc: now,
      terminalAtUtc: null,
      sourceInstanceId: input.sourceInstanceId,
      sourceScript: input.sourceScript,
      sourceNode: input.sourceNode,
      version,
    });
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
    const head = this.liveHead(id);
    if (!head) return undefined;
    const version = this.nextVersion();
    this.attempt.run(status, retryCount, lastError, httpStatus, now, version, id);
    return this.written(fromHead(id, head, status, retryCount, lastError, httpStatus, now, null, version));
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
    const head = this.liveHead(id);
    if (!head) return undefined;
    const version = this.nextVersion();
    this.terminal.run(status, lastError, httpStatus, now, now, version, id);
    return this.written(fromHead(id, head, status, head[3], lastError, httpStatus, now, now, version));
  }

  /**
   * An attempt that ends the operation: `recordAttempt(Attempted)` then
   * `recordTerminal(terminal)` with the same error and HTTP status, as one
   * write of the final row. Returns both rows as written (each with its own
   * version, for its own audit event), or undefined when the row is terminal.
   */
  recordFinalAttempt(
    id: TrackedOperationId,
    retryCount: number,
    lastError: string | null,
    httpStatus: number | null,
    terminal: OperationStatus,
    now: string,
  ): [attempted: OperationSnapshot, resolved: OperationSnapshot] | undefined {
    if (!isTerminal(terminal)) throw new TypeError(`recordFinalAttempt takes a terminal status, not ${terminal}`);
    const head = this.liveHead(id);
    if (!head) return undefined;
    const attemptVersion = this.nextVersion();
    const version = this.nextVersion();
    this.finalAttempt.run(terminal, retryCount, lastError, httpStatus, now, now, version, id);
    const attempted = fromHead(id, head, 'Attempted' as OperationStatus, retryCount, lastError, httpStatus, now, null, attemptVersion);
    const resolved = fromHead(id, head, terminal, retryCount, lastError, httpStatus, now, now, version);
    return [this.written(attempted), this.written(resolved)];
  }

  /** The unchanging columns of a non-terminal row (a non-terminal row has no TerminalAtUtc). */
  private liveHead(id: string): RowHead | undefined {
    const head = this.head.get(id);
    return head && !isTerminal(head[2] as OperationStatus) ? head : undefined;
  }

  private written(snap: OperationSnapshot): OperationSnapshot {
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

  /** Rows changed after `version` (up to `upTo`), in version order (the reconciliation cursor, DESIGN §4.1). */
  changedSince(version: number, limit: number, upTo = Number.MAX_SAFE_INTEGER): OperationSnapshot[] {
    return this.since.all(version, upTo, limit).map(toSnapshot);
  }
}
