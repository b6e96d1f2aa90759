import type Database from 'better-sqlite3';
import type { CommitHooks, DurableSync, GroupCommitOptions, GroupCommitStats, RunOptions } from './group-commit-types.js';

export type { CommitHooks, DurableSync, GroupCommitOptions, GroupCommitStats, RunOptions } from './group-commit-types.js';

interface Job {
  readonly work: () => unknown;
  readonly rerunnable: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

/** A batch that committed; settled (callers answered) once durable. */
interface Committed {
  readonly batch: Job[];
  readonly results: unknown[];
  readonly failed: (unknown | undefined)[];
  readonly commitStarted: number;
}

/**
 * Group commit (DESIGN §12): concurrent writers enqueue their work, one flush
 * per event-loop turn runs all of it in one transaction, and every caller's
 * promise settles only after that COMMIT (and its fsync) returned.
 *
 * With `durable` (the site's store with synchronous=FULL), the fsync runs on
 * the thread pool and the next batch gathers meanwhile: it is flushed on the
 * turn after the sync returned. Without it, the COMMIT blocks the event loop
 * for as long as SQLite syncs; under load (the last batch was big) the next
 * flush then waits a few times as long as that COMMIT took, so more jobs
 * share each fsync; a lone write is still committed on the next turn.
 *
 * A job that throws is rolled back and rejected alone while the rest of the
 * batch commits. A job runs inside its own SAVEPOINT, except that a run of
 * consecutive rerunnable jobs shares one (or none at the head of the batch):
 * a savepoint makes SQLite copy every page a job touches into a sub-journal
 * first, which costs more than the job's own writes (bench/README.md). When
 * one of a shared run throws, the run is rolled back and each of its jobs is
 * run again under its own savepoint, so only the thrower fails.
 */
export class GroupCommitter {
  private queue: Job[] = [];
  private scheduled = false;
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  private readonly savepoint: Database.Statement;
  private readonly release: Database.Statement;
  private readonly rollbackTo: Database.Statement;
  readonly stats: GroupCommitStats = { commits: 0, jobs: 0 };
  private readonly maxBatch: number;
  private readonly busyBatch: number;
  private readonly gapFactor: number;
  private readonly maxGapMs: number;
  /** When the next flush may run (performance.now() ms); 0 when it may run at once. */
  private notBefore = 0;
  private readonly durable: DurableSync | undefined;
  /** The batch whose COMMIT awaits its sync, if any. */
  private syncing: Committed | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly hooks?: CommitHooks,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 4096;
    this.busyBatch = options.busyBatch ?? 32;
    this.gapFactor = options.gapFactor ?? 4;
    this.maxGapMs = options.maxGapMs ?? 20;
    this.durable = options.durable;
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT job');
    this.release = db.prepare('RELEASE job');
    this.rollbackTo = db.prepare('ROLLBACK TO job');
  }

  /** Runs `work` in the next group transaction; resolves after its commit. */
  run<T>(work: () => T, options?: RunOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, rerunnable: options?.rerunnable === true, resolve: resolve as (v: unknown) => void, reject });
      // While a batch awaits its sync, the queue gathers; the sync's end schedules the flush.
      if (!this.scheduled && this.syncing === undefined) this.schedule();
    });
  }

  private schedule(): void {
    this.scheduled = true;
    const wait = this.notBefore - performance.now();
    if (wait > 0) setTimeout(() => this.flushQueued(), wait);
    else setImmediate(() => this.flushQueued());
  }

  /** The scheduled flush: commits what is queued, syncing off the event loop when `durable` is set. */
  private flushQueued(): void {
    this.scheduled = false;
    if (this.syncing !== undefined) return;
    if (this.durable === undefined) {
      this.flush();
      return;
    }
    const batch = this.take();
    if (batch.length === 0) return;
    const committed = this.commitBatch(batch);
    if (committed === undefined) {
      if (this.queue.length > 0) this.schedule();
      return;
    }
    this.syncing = committed;
    this.durable.sync((err) => this.synced(committed, err));
  }

  private synced(committed: Committed, err: Error | null): void {
    // flush() (shutdown) already synced and answered it.
    if (this.syncing !== committed) return;
    this.syncing = undefined;
    this.settle(committed, err && new Error(`the commit is not known to be durable: syncing the WAL failed (${err.message})`, { cause: err }));
    // On the next turn, so that jobs its callers queue on resuming join the batch.
    if (this.queue.length > 0 && !this.scheduled) this.schedule();
  }

  private take(): Job[] {
    const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
    this.queue = batch === this.queue ? [] : this.queue.slice(this.maxBatch);
    return batch;
  }

  get pending(): number {
    return this.queue.length;
  }

  /**
   * Commits everything queued now, durably, on this thread, and answers the
   * callers; a batch awaiting its sync is synced and answered first. Called
   * on shutdown, and by the scheduler when there is no `durable`.
   */
  flush(): void {
    this.scheduled = false;
    const waiting = this.syncing;
    if (waiting !== undefined) {
      this.syncing = undefined;
      this.syncNow(waiting);
    }
    while (this.queue.length > 0) {
      const committed = this.commitBatch(this.take());
      if (committed !== undefined) this.syncNow(committed);
    }
  }

  private syncNow(committed: Committed): void {
    let error: Error | null = null;
    try {
      this.durable?.syncNow();
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
    }
    this.settle(committed, error);
  }

  /** Runs the batch in one transaction and COMMITs it; undefined when the transaction failed (every job rejected). */
  private commitBatch(batch: Job[]): Committed | undefined {
    const results: unknown[] = new Array(batch.length);
    const failed: (unknown | undefined)[] = new Array(batch.length);
    this.durable?.relax();
    try {
      this.begin.run();
    } catch (err) {
      this.durable?.restore();
      for (const job of batch) job.reject(err);
      return undefined;
    }
    let commitStarted = 0;
    try {
      this.hooks?.began();
      for (let i = this.runLeading(batch, results, failed); i < batch.length; ) {
        i = batch[i]!.rerunnable ? this.runShared(batch, i, results, failed) : this.runAlone(batch, i, results, failed);
      }
      this.hooks?.beforeCommit();
      commitStarted = performance.now();
      this.commit.run();
    } catch (err) {
      if (this.db.inTransaction) this.rollback.run();
      this.durable?.restore();
      this.hooks?.rolledBack();
      for (const job of batch) job.reject(err);
      return undefined;
    }
    this.durable?.restore();
    return { batch, results, failed, commitStarted };
  }

  /** The batch is durable (or its sync failed: every job is rejected with that error); answers its callers. */
  private settle(committed: Committed, syncError: Error | null): void {
    const { batch, results, failed, commitStarted } = committed;
    if (this.durable === undefined) {
      const ended = performance.now();
      const gap = Math.min(this.maxGapMs, this.gapFactor * (ended - commitStarted));
      this.notBefore = batch.length >= this.busyBatch ? ended + gap : 0;
    }
    this.stats.commits++;
    this.hooks?.committed();
    this.stats.jobs += batch.length;
    for (let i = 0; i < batch.length; i++) {
      const f = syncError ?? failed[i];
      if (f === undefined) batch[i]!.resolve(results[i]);
      else batch[i]!.reject(f);
    }
  }

  /**
   * Runs the rerunnable jobs at the head of the batch with no savepoint at
   * all: nothing precedes them in the transaction, so if one throws, the
   * transaction starts over and they run again one by one. Returns the index
   * after them.
   */
  private runLeading(batch: Job[], results: unknown[], failed: unknown[]): number {
    let to = 0;
    while (to < batch.length && batch[to]!.rerunnable) to++;
    if (to === 0) return 0;
    this.hooks?.savepoint();
    try {
      for (let i = 0; i < to; i++) results[i] = batch[i]!.work();
      return to;
    } catch {
      this.rollback.run();
      this.hooks?.restored();
      this.begin.run();
      // Another connection may have written between the two transactions.
      this.hooks?.began();
      for (let i = 0; i < to; i++) this.runAlone(batch, i, results, failed);
      return to;
    }
  }

  /** Runs the rerunnable jobs from `from` on under one savepoint; returns the index after them. */
  private runShared(batch: Job[], from: number, results: unknown[], failed: unknown[]): number {
    let to = from;
    while (to < batch.length && batch[to]!.rerunnable) to++;
    this.savepoint.run();
    this.hooks?.savepoint();
    try {
      for (let i = from; i < to; i++) results[i] = batch[i]!.work();
      this.release.run();
    } catch {
      this.rollbackTo.run();
      this.release.run();
      this.hooks?.restored();
      for (let i = from; i < to; i++) this.runAlone(batch, i, results, failed);
    }
    return to;
  }

  /** Runs one job under its own savepoint; returns the index after it. */
  private runAlone(batch: Job[], i: number, results: unknown[], failed: unknown[]): number {
    this.savepoint.run();
    this.hooks?.savepoint();
    try {
      results[i] = batch[i]!.work();
      this.release.run();
    } catch (err) {
      this.rollbackTo.run();
      this.release.run();
      this.hooks?.restored();
      failed[i] = err ?? new Error('job failed');
    }
    return i + 1;
  }
}
