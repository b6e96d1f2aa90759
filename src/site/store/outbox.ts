import type Database from 'better-sqlite3';
import type { AuditEvent } from '../../commons/index.js';

export interface RejectedEntry {
  readonly eventId: string;
  readonly reason: string;
}

export interface OutboxEntry {
  readonly seq: number;
  readonly event: AuditEvent;
}

/** Audit events waiting for central's acknowledgement (DESIGN §3 rule 5). */
export class AuditOutbox {
  private readonly insertStmt: Database.Statement;
  private readonly pageStmt: Database.Statement<[number, number, number], { Seq: number; Event: string }>;
  private readonly lastSeqStmt: Database.Statement<[], number | null>;
  private readonly ackStmt: Database.Statement<[string]>;
  private readonly forOperationStmt: Database.Statement<[string], { Event: string }>;
  private readonly depthStmt: Database.Statement<[], { n: number; oldest: string | null }>;
  private readonly rejectStmt: Database.Statement<[{ id: string; reason: string; now: string }]>;
  private readonly rejectedCountStmt: Database.Statement<[], { n: number }>;
  private readonly settleTx: Database.Transaction<(accepted: readonly string[], rejected: readonly RejectedEntry[], now: string) => void>;

  constructor(db: Database.Database) {
    this.insertStmt = db.prepare(`INSERT INTO audit_outbox (EventId, TrackedOperationId, Kind, Status, OccurredAtUtc, Event)
      VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (EventId) DO NOTHING`);
    this.pageStmt = db.prepare('SELECT Seq, Event FROM audit_outbox WHERE Seq > ? AND Seq <= ? ORDER BY Seq LIMIT ?');
    this.lastSeqStmt = db.prepare('SELECT MAX(Seq) FROM audit_outbox').pluck() as Database.Statement<[], number | null>;
    this.ackStmt = db.prepare('DELETE FROM audit_outbox WHERE EventId = ?');
    this.forOperationStmt = db.prepare('SELECT Event FROM audit_outbox WHERE TrackedOperationId = ? ORDER BY Seq');
    this.depthStmt = db.prepare('SELECT COUNT(*) AS n, MIN(OccurredAtUtc) AS oldest FROM audit_outbox');
    // Moves the event (as it was queued) and central's reason, in one statement.
    this.rejectStmt = db.prepare(`INSERT INTO audit_rejected (EventId, Event, Reason, RejectedAtUtc)
      SELECT EventId, Event, @reason, @now FROM audit_outbox WHERE EventId = @id
      ON CONFLICT (EventId) DO NOTHING`);
    this.rejectedCountStmt = db.prepare('SELECT COUNT(*) AS n FROM audit_rejected');
    this.settleTx = db.transaction((accepted: readonly string[], rejected: readonly RejectedEntry[], now: string) => {
      for (const r of rejected) {
        this.rejectStmt.run({ id: r.eventId, reason: r.reason, now });
        this.ackStmt.run(r.eventId);
      }
      for (const id of accepted) this.ackStmt.run(id);
    });
  }

  /**
   * Central answered a batch: accepted events leave the outbox, rejected ones
   * move to audit_rejected with the reason. One transaction, one fsync.
   */
  settle(accepted: readonly string[], rejected: readonly RejectedEntry[], now = new Date().toISOString()): void {
    this.settleTx.immediate(accepted, rejected, now);
  }

  rejectedCount(): number {
    return this.rejectedCountStmt.get()!.n;
  }

  append(event: AuditEvent): void {
    this.insertStmt.run(
      event.eventId,
      event.trackedOperationId,
      event.kind,
      event.status,
      event.occurredAtUtc,
      JSON.stringify(event),
    );
  }

  /** Events after `afterSeq` up to `upTo` (SiteStore.durableAuditSeq for what may leave the site), in order. */
  page(afterSeq: number, limit: number, upTo = Number.MAX_SAFE_INTEGER): OutboxEntry[] {
    return this.pageStmt.all(afterSeq, upTo, limit).map((r) => ({ seq: r.Seq, event: JSON.parse(r.Event) as AuditEvent }));
  }

  acknowledge(eventIds: readonly string[]): void {
    for (const id of eventIds) this.ackStmt.run(id);
  }

  /** The events still queued for one operation, in order. */
  forOperation(id: string): AuditEvent[] {
    return this.forOperationStmt.all(id).map((r) => JSON.parse(r.Event) as AuditEvent);
  }

  /** The highest Seq queued (0 when empty); Seqs only grow (AUTOINCREMENT). */
  lastSeq(): number {
    return this.lastSeqStmt.get() ?? 0;
  }

  depth(): { count: number; oldestUtc: string | null } {
    const r = this.depthStmt.get()!;
    return { count: r.n, oldestUtc: r.oldest };
  }
}
