import type Database from 'better-sqlite3';

interface Job {
  readonly work: () => unknown;
  readonly rerunnable: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

export interface RunOptions {
  /**
   * The work only reads and writes the database (plus side state the hooks
   * roll back), so running it again after its writes were rolled back is
   * harmless. Such jobs share one savepoint (see GroupCommitter).
   */
  readonly rerunnable?: boolean;
}

/** Lets the owner keep per-transaction side state in step with what commits. */
export interface CommitHooks {
  /** The batch transaction holds the write lock; no job has run yet. */
  began(): void;
  /** A savepoint was taken: remember the side state to restore. */
  savepoint(): void;
  /** The writes since the last savepoint were rolled back: restore the side state. */
  restored(): void;
  /** Every job ran; last writes of the batch go here, before COMMIT. */
  beforeCommit(): void;
  committed(): void;
  rolledBack(): void;
}

export interface GroupCommitOptions {
  /** Most jobs in one transaction. */
  readonly maxBatch?: number;
  /** A batch of at least this many jobs means writers are busy (see `gapFactor`). */
  readonly busyBatch?: number;
  /**
   * While busy, the next commit waits until `gapFactor` × the last commit's
   * duration has passed since it ended, so that each fsync is shared by more
   * jobs and at most about 1 / (1 + gapFactor) of the time is spent
   * blocked in it. 0 commits on the next event-loop turn always.
   */
  readonly gapFactor?: number;
  /** Upper bound of that wait. */
  readonly maxGapMs?: number;
}

export interface GroupCommitStats {
  commits: number;
  jobs: number;
}

/**
 * Group commit (DESIGN §12): concurrent writers enqueue their work, one flush
 * per event-loop turn runs all of it in one transaction, and every caller's
 * promise settles only after that COMMIT (and its fsync) returned.
 *
 * The fsync blocks the event loop. Under load (the last batch was big) the
 * next flush waits a few times as long as that COMMIT took, so more jobs
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

  constructor(
    private readonly db: Database.Database,
    private readonly hooks?: CommitHooks,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 4096;
    this.busyBatch = options.busyBatch ?? 32;
    this.gapFactor = options.gapFactor ?? 4;
    this.maxGapMs = options.maxGapMs ?? 20;
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
      if (!this.scheduled) {
        this.scheduled = true;
        const wait = this.notBefore - performance.now();
        if (wait > 0) setTimeout(() => this.flush(), wait);
        else setImmediate(() => this.flush());
      }
    });
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Commits everything queued now. Called by the scheduler and on shutdown. */
  flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
      this.queue = batch === this.queue ? [] : this.queue.slice(this.maxBatch);
      this.flushBatch(batch);
    }
  }

  private flushBatch(batch: Job[]): void {
    const results: unknown[] = new Array(batch.length);
    const failed: (unknown | undefined)[] = new Array(batch.length);
    try {
      this.begin.run();
    } catch (err) {
      for (const job of batch) job.reject(err);
      return;
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
      this.hooks?.rolledBack();
      for (const job of batch) job.reject(err);
      return;
    }
    const ended = performance.now();
    const gap = Math.min(this.maxGapMs, this.gapFactor * (ended - commitStarted));
    this.notBefore = batch.length >= this.busyBatch ? ended + gap : 0;
    this.stats.commits++;
    this.hooks?.committed();
    this.stats.jobs += batch.length;
    for (let i = 0; i < batch.length; i++) {
      const f = failed[i];
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
