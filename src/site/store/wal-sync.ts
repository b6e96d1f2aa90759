import { closeSync, existsSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import type Database from 'better-sqlite3';

/**
 * Makes a group commit durable without blocking the event loop (DESIGN §12:
 * "the fsync of a group commit must not block the event loop").
 *
 * In WAL mode, `synchronous=FULL` differs from `NORMAL` only by one sync of
 * the WAL file after each COMMIT (checkpoints and WAL restarts are synced in
 * both). So the group committer COMMITs its batch under `NORMAL` (`relax`),
 * puts the connection back to `FULL` at once (`restore`: every other write
 * on it stays as configured), then syncs the WAL file itself on libuv's
 * thread pool (`sync`) and answers the batch's callers only once that sync
 * returned: the same durability as `FULL`, with the event loop free during
 * the fsync.
 *
 * The WAL file is opened once. It is never deleted while this connection is
 * open (SQLite deletes it only when the last connection closes, and every
 * WAL connection holds a shared lock on the database file), and SQLite keeps
 * no locks on it, so this descriptor neither goes stale nor disturbs SQLite's.
 */
export class WalSync {
  private fd: number | undefined;
  private inFlight = 0;
  private closing = false;
  private readonly normal: Database.Statement;
  private readonly full: Database.Statement;

  private constructor(db: Database.Database, walFile: string) {
    this.normal = db.prepare('PRAGMA synchronous = NORMAL');
    this.full = db.prepare('PRAGMA synchronous = FULL');
    this.fd = openSync(walFile, 'r+');
    // Whatever an earlier process committed without its sync (it was killed
    // between COMMIT and sync) becomes durable before anyone reads it here.
    fdatasyncSync(this.fd);
  }

  /**
   * A WalSync for a connection in WAL mode with `synchronous=FULL` on a file;
   * undefined otherwise (NORMAL or OFF asked for no sync per commit; an
   * in-memory database has no WAL).
   */
  static open(db: Database.Database, file: string): WalSync | undefined {
    const mode = String(db.pragma('journal_mode', { simple: true })).toLowerCase();
    const sync = Number(db.pragma('synchronous', { simple: true }));
    const wal = `${file}-wal`;
    if (mode !== 'wal' || sync !== 2 || !existsSync(wal)) return undefined;
    return new WalSync(db, wal);
  }

  /** Before BEGIN of a group commit: its COMMIT writes the WAL without syncing it. */
  relax(): void {
    this.normal.run();
  }

  /** After its COMMIT or ROLLBACK: back to FULL for every other write. */
  restore(): void {
    this.full.run();
  }

  /** Syncs the WAL on the thread pool; `done` runs once every COMMIT made before the call is durable. */
  sync(done: (err: Error | null) => void): void {
    if (this.fd === undefined) {
      done(new Error('the WAL sync is closed'));
      return;
    }
    this.inFlight++;
    fdatasync(this.fd, (err) => {
      this.inFlight--;
      if (this.closing && this.inFlight === 0) this.closeFd();
      done(err);
    });
  }

  /** Syncs the WAL on this thread (shutdown). */
  syncNow(): void {
    if (this.fd !== undefined) fdatasyncSync(this.fd);
  }

  /** Closes the descriptor, once no sync is using it. */
  close(): void {
    this.closing = true;
    if (this.inFlight === 0) this.closeFd();
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
