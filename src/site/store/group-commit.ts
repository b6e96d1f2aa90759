import type Database from 'better-sqlite3';

interface Job {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

/** Lets the owner keep per-transaction side state in step with what commits. */
export interface CommitHooks {
  beforeJob(): void;
  jobFailed(): void;
  committed(): void;
  rolledBack(): void;
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
 * Each job runs inside its own SAVEPOINT, so a job that throws is rolled back
 * and rejected alone while the rest of the batch commits.
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

  constructor(
    private readonly db: Database.Database,
    private readonly hooks?: CommitHooks,
    private readonly maxBatch = 4096,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT job');
    this.release = db.prepare('RELEASE job');
    this.rollbackTo = db.prepare('ROLLBACK TO job');
  }

  /** Runs `work` in the next group transaction; resolves after its commit. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
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
    try {
      for (let i = 0; i < batch.length; i++) {
        this.savepoint.run();
        this.hooks?.beforeJob();
        try {
          results[i] = batch[i]!.work();
          this.release.run();
        } catch (err) {
          this.rollbackTo.run();
          this.release.run();
          this.hooks?.jobFailed();
          failed[i] = err ?? new Error('job failed');
        }
      }
      this.commit.run();
    } catch (err) {
      if (this.db.inTransaction) this.rollback.run();
      this.hooks?.rolledBack();
      for (const job of batch) job.reject(err);
      return;
    }
    this.stats.commits++;
    this.hooks?.committed();
    this.stats.jobs += batch.length;
    for (let i = 0; i < batch.length; i++) {
      const f = failed[i];
      if (f === undefined) batch[i]!.resolve(results[i]);
      else batch[i]!.reject(f);
    }
  }
}
