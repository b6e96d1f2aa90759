import { EventEmitter } from 'node:events';
import type { OperationSnapshot } from '../../commons/index.js';
import type { CommitHooks } from './group-commit.js';
import type { AuditOutbox } from './outbox.js';
import type { TrackingStore } from './tracking.js';

/**
 * What SiteStore keeps beside the database for each group commit: the rows
 * written (announced as `change` once durable), the audit writes that failed
 * (reported once the batch ends), and, while a batch is open or awaits its
 * WAL sync, where the durable rows end (for readers that pass rows on).
 */
export class CommitSide {
  /** Emits `change` (an OperationSnapshot) for every tracking write, once durable, and `committed` once per commit. */
  readonly changes = new EventEmitter();
  private uncommitted: OperationSnapshot[] = [];
  private jobMark = 0;
  /** Audit writes that failed in the open batch, reported once it ends (a rerun job would fail twice). */
  private auditFailures: unknown[] = [];
  private auditMark = 0;
  /** While a group commit is open or awaits its sync: the last version and audit Seq before it. */
  private unsynced: { readonly version: number; readonly auditSeq: number } | undefined;

  constructor(
    private readonly tracking: TrackingStore,
    private readonly outbox: AuditOutbox,
    /** The batches' fsync runs after COMMIT (WalSync), so durable bounds are kept. */
    private readonly syncsAfterCommit: boolean,
    private readonly onAuditFailures: (failures: readonly unknown[]) => void,
  ) {
    // One listener per waitFor() caller; many at once is normal.
    this.changes.setMaxListeners(0);
    tracking.onWrite = (snap) => this.uncommitted.push(snap);
  }

  auditFailed(err: unknown): void {
    this.auditFailures.push(err);
  }

  readonly hooks: CommitHooks = {
    // One read and one write of the version counter per batch, not one update per transition.
    began: () => {
      const version = this.tracking.beginVersionBatch();
      // Until this batch is synced, readers that pass rows on see only what precedes it.
      if (this.syncsAfterCommit) this.unsynced = { version, auditSeq: this.outbox.lastSeq() };
    },
    savepoint: () => {
      this.jobMark = this.uncommitted.length;
      this.auditMark = this.auditFailures.length;
    },
    restored: () => {
      this.uncommitted.length = this.jobMark;
      this.auditFailures.length = this.auditMark;
    },
    beforeCommit: () => this.tracking.endVersionBatch(),
    committed: () => {
      this.unsynced = undefined;
      this.publish();
    },
    rolledBack: () => {
      this.unsynced = undefined;
      this.tracking.abandonVersionBatch();
      this.uncommitted = [];
      this.reportAuditFailures();
    },
  };

  /**
   * The highest tracking version that is durable: rows with a higher Version
   * belong to a batch that committed but whose sync has not returned yet.
   */
  durableVersion(): number {
    return this.unsynced?.version ?? Number.MAX_SAFE_INTEGER;
  }

  /** The highest audit outbox Seq that is durable (see durableVersion). */
  durableAuditSeq(): number {
    return this.unsynced?.auditSeq ?? Number.MAX_SAFE_INTEGER;
  }

  /** Resolves with the operation's snapshot once one of `statuses` is durable. */
  waitFor(id: string, statuses: readonly string[]): Promise<OperationSnapshot> {
    const current = this.tracking.getStatus(id);
    // A row of a batch still syncing is announced by `change` once durable.
    if (current && statuses.includes(current.status) && current.version <= this.durableVersion()) return Promise.resolve(current);
    return new Promise((resolve) => {
      const listener = (snap: OperationSnapshot): void => {
        if (snap.trackedOperationId !== id || !statuses.includes(snap.status)) return;
        this.changes.off('change', listener);
        resolve(snap);
      };
      this.changes.on('change', listener);
    });
  }

  private reportAuditFailures(): void {
    if (this.auditFailures.length === 0) return;
    const failures = this.auditFailures;
    this.auditFailures = [];
    this.onAuditFailures(failures);
  }

  private publish(): void {
    this.reportAuditFailures();
    // Once per commit: the telemetry forwarder wakes on it (new audit events may be queued).
    this.changes.emit('committed');
    const written = this.uncommitted;
    this.uncommitted = [];
    if (this.changes.listenerCount('change') === 0) return;
    for (const snap of written) this.changes.emit('change', snap);
  }
}
