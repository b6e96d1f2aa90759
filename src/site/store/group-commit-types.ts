// Options, hooks and the durability seam of the group committer (group-commit.ts).

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
  /**
   * Makes each COMMIT durable off the event loop (see WalSync). With it, a
   * batch COMMITs without syncing, its sync runs on the thread pool while the
   * next batch gathers, and the batch's callers hear of it only once that sync
   * returned. One batch at most is committed and not yet synced. The busy gap
   * above does not apply: the event loop no longer waits in the fsync.
   */
  readonly durable?: DurableSync;
}

/** What WalSync does for the committer; see there. */
export interface DurableSync {
  relax(): void;
  restore(): void;
  sync(done: (err: Error | null) => void): void;
  syncNow(): void;
}


export interface GroupCommitStats {
  commits: number;
  jobs: number;
}
