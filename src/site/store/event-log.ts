import type Database from 'better-sqlite3';

export const EVENT_LEVELS = ['info', 'warn', 'error'] as const;
export type EventLevel = (typeof EVENT_LEVELS)[number];
export const EVENT_CATEGORIES = ['ScriptError', 'PermanentFailure', 'Parked', 'OperatorAction', 'Lifecycle', 'AuditFailure'] as const;
export type EventCategory = (typeof EVENT_CATEGORIES)[number];

export interface SiteEvent {
  readonly id: number;
  readonly atUtc: string;
  readonly level: EventLevel;
  readonly category: EventCategory;
  readonly instance: string | null;
  readonly script: string | null;
  readonly trackedOperationId: string | null;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>> | null;
}

export type NewSiteEvent = Omit<SiteEvent, 'id' | 'atUtc' | 'details' | 'instance' | 'script' | 'trackedOperationId'> &
  Partial<Pick<SiteEvent, 'details' | 'instance' | 'script' | 'trackedOperationId'>>;

export interface EventQuery {
  readonly category?: EventCategory;
  readonly level?: EventLevel;
  readonly instance?: string;
  readonly sinceUtc?: string;
  readonly untilUtc?: string;
  readonly search?: string;
  /** Keyset: only events with a smaller id (newest first). */
  readonly beforeId?: number;
  readonly limit?: number;
}

interface EventRow {
  Id: number;
  AtUtc: string;
  Level: string;
  Category: string;
  Instance: string | null;
  Script: string | null;
  TrackedOperationId: string | null;
  Message: string;
  Details: string | null;
}

/** The site's local event log (DESIGN §7), with retention. */
export class EventLog {
  private readonly insertStmt: Database.Statement;
  private readonly purgeStmt: Database.Statement<[string]>;

  constructor(private readonly db: Database.Database) {
    this.insertStmt = db.prepare(`INSERT INTO event_log
      (AtUtc, Level, Category, Instance, Script, TrackedOperationId, Message, Details)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.purgeStmt = db.prepare('DELETE FROM event_log WHERE AtUtc < ?');
  }

  append(event: NewSiteEvent, atUtc: string): void {
    this.insertStmt.run(
      atUtc,
      event.level,
      event.category,
      event.instance ?? null,
      event.script ?? null,
      event.trackedOperationId ?? null,
      event.message,
      event.details ? JSON.stringify(event.details) : null,
    );
  }

  query(q: EventQuery = {}): SiteEvent[] {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (clause: string, value: unknown): void => {
      where.push(clause);
      args.push(value);
    };
    if (q.category) add('Category = ?', q.category);
    if (q.level) add('Level = ?', q.level);
    if (q.instance) add('Instance = ?', q.instance);
    if (q.sinceUtc) add('AtUtc >= ?', q.sinceUtc);
    if (q.untilUtc) add('AtUtc < ?', q.untilUtc);
    if (q.search) add(`Message LIKE ? ESCAPE '\\'`, `%${q.search.replace(/[\\%_]/g, (c) => '\\' + c)}%`);
    if (q.beforeId !== undefined) add('Id < ?', q.beforeId);
    const sql = `SELECT * FROM event_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY Id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, q.limit ?? 100) as EventRow[];
    return rows.map((r) => ({
      id: r.Id,
      atUtc: r.AtUtc,
      level: r.Level as EventLevel,
      category: r.Category as EventCategory,
      instance: r.Instance,
      script: r.Script,
      trackedOperationId: r.TrackedOperationId,
      message: r.Message,
      details: r.Details ? (JSON.parse(r.Details) as Record<string, unknown>) : null,
    }));
  }

  purgeOlderThan(thresholdUtc: string): number {
    return this.purgeStmt.run(thresholdUtc).changes;
  }
}
