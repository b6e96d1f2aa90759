import type { EventEmitter } from 'node:events';
import type Database from 'better-sqlite3';
import {
  ATTEMPT_KIND,
  type Actor,
  AuditKind,
  type AuditEvent,
  type Clock,
  type DeliveryError,
  type OperationSnapshot,
  OperationStatus,
  ScadaLinkError,
  describeError,
  systemClock,
} from '../../commons/index.js';
import { auditEvent, scriptActor } from './audit.js';
import type { AttemptInfo, FailureOutcome, StoreCounters, SubmitInput } from './store-types.js';
import { CommitSide } from './commit-side.js';
import { BufferTable, type BufferedOperation } from './buffer.js';
import { type OpenOptions, openSiteDatabase } from './database.js';
import { EventLog, type NewSiteEvent } from './event-log.js';
import { type DurableSync, GroupCommitter } from './group-commit.js';
import { AuditOutbox } from './outbox.js';
import { TrackingStore } from './tracking.js';
import { WalSync } from './wal-sync.js';

const RERUNNABLE = { rerunnable: true } as const;

/**
 * The site's one SQLite file and the lifecycle transitions of DESIGN §3:
 * each transition updates the tracking row and the buffer row and appends its
 * audit event(s) in one transaction, committed through the group committer.
 */
export class SiteStore {
  readonly db: Database.Database;
  readonly tracking: TrackingStore;
  readonly buffer: BufferTable;
  readonly outbox: AuditOutbox;
  readonly events: EventLog;
  readonly committer: GroupCommitter;
  readonly counters: StoreCounters = { auditWriteFailures: 0 };
  private closed = false;

  constructor(
    file: string,
    readonly sourceNode: string,
    options: OpenOptions & {
      clock?: Clock;
      onAuditFailure?: (err: unknown) => void;
      /** Wraps the WAL sync (tests hold its end to see what readers see meanwhile). */
      wrapSync?: (sync: DurableSync) => DurableSync;
    } = {},
  ) {
    this.db = openSiteDatabase(file, options);
    // synchronous=FULL: each group commit's fsync runs off the event loop (WalSync).
    this.wal = WalSync.open(this.db, file);
    const durable = this.wal && options.wrapSync ? options.wrapSync(this.wal) : this.wal;
    this.clock = options.clock ?? systemClock;
    this.onAuditFailure = options.onAuditFailure;
    this.tracking = new TrackingStore(this.db);
    this.buffer = new BufferTable(this.db);
    this.outbox = new AuditOutbox(this.db);
    this.events = new EventLog(this.db);
    this.side = new CommitSide(this.tracking, this.outbox, this.wal !== undefined, (failures) => {
      this.counters.auditWriteFailures += failures.length;
      for (const err of failures) this.onAuditFailure?.(err);
    });
    this.changes = this.side.changes;
    this.committer = new GroupCommitter(this.db, this.side.hooks, { durable });
  }

  private readonly wal: WalSync | undefined;
  private readonly side: CommitSide;
  /** Emits `change` (an OperationSnapshot) for every tracking write, once durable, and `committed` once per commit. */
  readonly changes: EventEmitter;

  /**
   * The highest tracking version that is durable: rows with a higher Version
   * belong to a batch that committed but whose sync has not returned yet.
   * What leaves the site (reconciliation, telemetry) reads up to here only.
   */
  durableVersion(): number {
    return this.side.durableVersion();
  }

  /** The highest audit outbox Seq that is durable (see durableVersion). */
  durableAuditSeq(): number {
    return this.side.durableAuditSeq();
  }

  /** Resolves with the operation's snapshot once one of `statuses` is durable. */
  waitFor(id: string, statuses: readonly string[]): Promise<OperationSnapshot> {
    return this.side.waitFor(id, statuses);
  }

  private readonly clock: Clock;
  private readonly onAuditFailure: ((err: unknown) => void) | undefined;

  private nowIso(): string {
    return this.isoAt(this.clock.now());
  }

  // Transitions of one batch mostly share a millisecond; formatting it once saves a Date per job.
  private lastIsoMs = Number.NaN;
  private lastIso = '';

  private isoAt(ms: number): string {
    if (ms !== this.lastIsoMs) {
      this.lastIso = new Date(ms).toISOString();
      this.lastIsoMs = ms;
    }
    return this.lastIso;
  }

  /** DESIGN §3 rule 6: a failure to write audit is counted and logged, never fatal. */
  private audit(event: AuditEvent): void {
    try {
      this.outbox.append(event);
    } catch (err) {
      this.side.auditFailed(err);
    }
  }

  private log(event: NewSiteEvent, now: string): void {
    try {
      this.events.append(event, now);
    } catch (err) {
      this.onAuditFailure?.(err);
    }
  }

  /** Records the Submitted row, the buffer row and CachedSubmit in one commit (DESIGN §3 rule 1). */
  submit(input: SubmitInput): Promise<BufferedOperation> {
    return this.committer.run(() => {
      const now = this.nowIso();
      const snap = this.tracking.recordEnqueue(
        {
          id: input.id,
          kind: input.channel,
          targetSummary: input.targetSummary,
          sourceInstanceId: input.sourceInstanceId,
          sourceScript: input.sourceScript,
          sourceNode: this.sourceNode,
        },
        now,
      );
      const op: BufferedOperation = {
        id: input.id,
        channel: input.channel,
        target: input.target,
        request: JSON.stringify(input.request),
        maxRetries: input.maxRetries,
        retryIntervalMs: input.retryIntervalMs,
        retryCount: 0,
        nextAttemptAtMs: this.clock.now(),
        status: OperationStatus.Submitted,
        sourceInstanceId: input.sourceInstanceId,
        sourceScript: input.sourceScript,
      };
      if (!snap) return this.buffer.get(input.id) ?? op; // duplicate enqueue: a no-op
      this.buffer.insert(op);
      const actor = scriptActor(input.sourceInstanceId, input.sourceScript);
      this.audit(auditEvent(AuditKind.CachedSubmit, OperationStatus.Submitted, snap, actor, this.sourceNode));
      return op;
    }, RERUNNABLE);
  }

  /**
   * An attempt succeeded: `<Channel>Cached/Attempted` then `CachedResolve/Delivered`.
   * A partial success is Delivered too, with its message as the error of both
   * events and as LastError, and a warn event in the log.
   */
  attemptSucceeded(op: BufferedOperation, info: AttemptInfo): Promise<boolean> {
    return this.committer.run(() => {
      const now = this.nowIso();
      const http = info.httpStatus ?? null;
      const partial = info.partial;
      const written = this.tracking.recordFinalAttempt(op.id, op.retryCount, partial?.message ?? null, http, OperationStatus.Delivered, now);
      if (!written) {
        this.buffer.delete(op.id);
        return false;
      }
      const [attempted, delivered] = written;
      const actor = scriptActor(op.sourceInstanceId, op.sourceScript);
      const details = { error: partial?.message ?? null, httpStatus: http, durationMs: info.durationMs };
      this.audit(auditEvent(ATTEMPT_KIND[op.channel], OperationStatus.Attempted, attempted, actor, this.sourceNode, details));
      this.audit(auditEvent(AuditKind.CachedResolve, OperationStatus.Delivered, delivered, actor, this.sourceNode, details));
      this.buffer.delete(op.id);
      if (partial !== undefined) {
        const event = this.opEvent(op, 'warn', 'PermanentFailure', `delivered in part: ${partial.message}`, partial.code);
        this.log({ ...event, details: { ...event.details, ...partial.details } }, now);
      }
      return true;
    }, RERUNNABLE);
  }

  /**
   * An attempt failed. The immediate attempt's transient failure is recorded as
   * `Forwarded`; a retry's as `Attempted`; after `maxRetries` failed retries the
   * operation is `Parked`; a permanent failure is terminal `Failed`.
   */
  attemptFailed(op: BufferedOperation, error: DeliveryError, immediate: boolean, info: AttemptInfo): Promise<FailureOutcome> {
    return this.committer.run((): FailureOutcome => {
      const nowMs = this.clock.now();
      const now = this.isoAt(nowMs);
      const message = describeError(error);
      const http = error.httpStatus ?? info.httpStatus ?? null;
      const actor = scriptActor(op.sourceInstanceId, op.sourceScript);
      const details = { error: message, httpStatus: http, durationMs: info.durationMs };
      const kind = ATTEMPT_KIND[op.channel];

      if (!error.transient) {
        const written = this.tracking.recordFinalAttempt(op.id, op.retryCount, message, http, OperationStatus.Failed, now);
        if (!written) return this.gone(op);
        const [attempted, failed] = written;
        this.audit(auditEvent(kind, OperationStatus.Attempted, attempted, actor, this.sourceNode, details));
        this.audit(auditEvent(AuditKind.CachedResolve, OperationStatus.Failed, failed, actor, this.sourceNode, details));
        this.buffer.delete(op.id);
        this.log(this.opEvent(op, 'error', 'PermanentFailure', `permanent failure: ${message}`, error.code), now);
        return 'Failed';
      }

      const retryCount = immediate ? 0 : op.retryCount + 1;
      const status = immediate ? OperationStatus.Forwarded : OperationStatus.Attempted;
      const snap = this.tracking.recordAttempt(op.id, status, retryCount, message, http, now);
      if (!snap) return this.gone(op);
      this.audit(auditEvent(kind, status, snap, actor, this.sourceNode, details));
      if (retryCount >= op.maxRetries) {
        const parked = this.tracking.recordAttempt(op.id, OperationStatus.Parked, retryCount, message, http, now)!;
        this.audit(auditEvent(AuditKind.CachedResolve, OperationStatus.Parked, parked, actor, this.sourceNode, details));
        this.buffer.reschedule(op.id, OperationStatus.Parked, retryCount, nowMs);
        this.log(this.opEvent(op, 'warn', 'Parked', `parked after ${retryCount} ${retryCount === 1 ? 'retry' : 'retries'}: ${message}`, error.code), now);
        return 'Parked';
      }
      this.buffer.reschedule(op.id, status, retryCount, nowMs + op.retryIntervalMs);
      return status;
    }, RERUNNABLE);
  }

  private gone(op: BufferedOperation): 'Gone' {
    this.buffer.delete(op.id);
    return 'Gone';
  }

  private opEvent(
    op: BufferedOperation,
    level: 'info' | 'warn' | 'error',
    category: 'PermanentFailure' | 'Parked' | 'OperatorAction',
    message: string,
    code?: string,
  ): NewSiteEvent {
    return {
      level,
      category,
      instance: op.sourceInstanceId,
      script: op.sourceScript,
      trackedOperationId: op.id,
      message,
      details: { channel: op.channel, target: op.target, ...(code ? { code } : {}) },
    };
  }

  private requireParked(id: string): BufferedOperation {
    const op = this.buffer.get(id);
    if (op?.status === OperationStatus.Parked) return op;
    const snap = this.tracking.getStatus(id);
    if (!snap) throw new ScadaLinkError('OPERATION_NOT_FOUND', `no operation ${id} at this site`);
    throw new ScadaLinkError('OPERATION_NOT_PARKED', `operation ${id} is ${snap.status}, not Parked`, {
      details: { status: snap.status },
    });
  }

  /** Operator Retry: Parked → Forwarded with a fresh retry budget (`CachedRetry/Forwarded`). */
  retryParked(id: string, operator: string): Promise<OperationSnapshot> {
    return this.committer.run(() => {
      const op = this.requireParked(id);
      const nowMs = this.clock.now();
      const now = this.isoAt(nowMs);
      const current = this.tracking.getStatus(id)!;
      const snap = this.tracking.recordAttempt(op.id, OperationStatus.Forwarded, 0, current.lastError, current.httpStatus, now)!;
      const actor: Actor = { type: 'operator', name: operator };
      this.audit(auditEvent(AuditKind.CachedRetry, OperationStatus.Forwarded, snap, actor, this.sourceNode));
      this.buffer.reschedule(op.id, OperationStatus.Forwarded, 0, nowMs);
      this.log({ ...this.opEvent(op, 'info', 'OperatorAction', `retry requested by ${operator}`), details: { action: 'retry', operator } }, now);
      return snap;
    }, RERUNNABLE);
  }

  /** Operator Discard: Parked → terminal Discarded (`CachedResolve/Discarded`). */
  discardParked(id: string, operator: string): Promise<OperationSnapshot> {
    return this.committer.run(() => {
      const op = this.requireParked(id);
      const now = this.nowIso();
      const current = this.tracking.getStatus(id)!;
      const snap = this.tracking.recordTerminal(op.id, OperationStatus.Discarded, current.lastError, current.httpStatus, now)!;
      const actor: Actor = { type: 'operator', name: operator };
      this.audit(auditEvent(AuditKind.CachedResolve, OperationStatus.Discarded, snap, actor, this.sourceNode));
      this.buffer.delete(op.id);
      this.log({ ...this.opEvent(op, 'info', 'OperatorAction', `discarded by ${operator}`), details: { action: 'discard', operator } }, now);
      return snap;
    }, RERUNNABLE);
  }

  /** Appends to the site event log through the group committer. */
  logEvent(event: NewSiteEvent): Promise<void> {
    return this.committer.run(() => this.log(event, this.nowIso()), RERUNNABLE);
  }

  status(id: string): OperationSnapshot | undefined {
    return this.tracking.getStatus(id);
  }

  /** Daily purge: terminal tracking rows and event-log entries older than their retention. */
  purge(trackingRetentionMs: number, eventRetentionMs: number): { tracking: number; events: number } {
    const now = this.clock.now();
    const tracking = this.tracking.purgeTerminal(new Date(now - trackingRetentionMs).toISOString());
    const events = this.events.purgeOlderThan(new Date(now - eventRetentionMs).toISOString());
    return { tracking, events };
  }

  close(): void {
    if (this.closed) return;
    this.committer.flush();
    this.closed = true;
    this.db.close();
    this.wal?.close();
  }
}
