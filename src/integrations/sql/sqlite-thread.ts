// The main thread's side of one SQLite connection's worker (sqlite-worker.ts):
// one statement at a time (the connection's lock serialises callers), each
// awaited as a message, so the event loop never waits on SQLite.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { describeError } from '../../commons/index.js';
import { SqlErrorCode, sqlError, type SqlErrorContext } from './classify.js';
import { type SqliteFailure, type SqliteOutcome, type SqliteReply, type SqliteRequest, serveSqlite } from './sqlite-worker.js';

// The worker runs serveSqlite's own source text, whether that is tsc's output
// (dist/) or vite's transform of the .ts file (vitest): a worker file would
// need a TypeScript loader in the worker under vitest. The driver is resolved
// here, so the worker finds the same better-sqlite3 whatever its cwd.
const DRIVER_PATH = createRequire(import.meta.url).resolve('better-sqlite3');
const WORKER_SOURCE = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
(${serveSqlite.toString()})(parentPort, require(workerData.driver));
`;

// SQLite itself answers SQLITE_BUSY after waiting timeoutMs for a lock
// (busy_timeout); the statement deadline leaves it that long plus this grace,
// so that a lock wait is reported as SQL_BUSY and only a statement still
// running (or a hung file system) as SQL_TIMEOUT.
const DEADLINE_GRACE_MS = 1_000;

interface Pending {
  readonly resolve: (outcome: SqliteOutcome) => void;
  readonly reject: (err: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

/** Rebuilds a worker's error so that classifySqlError sees its name, code and class. */
function revive(f: SqliteFailure): Error {
  const err = f.name === 'TypeError' ? new TypeError(f.message) : f.name === 'RangeError' ? new RangeError(f.message) : new Error(f.message);
  err.name = f.name;
  if (f.code !== undefined) Object.assign(err, { code: f.code });
  if (f.stack !== undefined) err.stack = f.stack;
  return err;
}

/**
 * One better-sqlite3 handle in its own thread. A failure of a statement
 * rejects with the driver's error rebuilt (for the caller to classify); a
 * failure of the thread itself rejects with a transient DeliveryError and
 * leaves the thread unusable. A statement past its deadline cannot be
 * interrupted (better-sqlite3 does not expose sqlite3_interrupt), so the
 * thread is terminated, which takes effect, and releases the file, only when
 * SQLite returns; until then `exited` stays false, and a process exit waits
 * for it too.
 */
export class SqliteThread {
  readonly #worker: Worker;
  readonly #deadlineMs: number;
  readonly #context: SqlErrorContext;
  #pending: Pending | undefined;
  #broken: Error | undefined;
  #exited = false;
  #inTransaction = false;

  private constructor(timeoutMs: number, context: SqlErrorContext) {
    this.#deadlineMs = timeoutMs + DEADLINE_GRACE_MS;
    this.#context = context;
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver: DRIVER_PATH } });
    // Like the handle it replaces, an idle thread does not keep the process alive.
    this.#worker.unref();
    this.#worker.on('message', (reply: SqliteReply) => this.#settle(reply));
    this.#worker.on('messageerror', (err) => this.#fail(this.#threadError('sent a reply that cannot be read', err)));
    this.#worker.on('error', (err) => this.#fail(this.#threadError('failed', err)));
    this.#worker.on('exit', (code) => {
      this.#exited = true;
      this.#fail(this.#threadError(`stopped (exit code ${code})`));
    });
  }

  /** Starts a thread and opens `file` in it; a file that cannot be opened is transient SQL_CONNECTION. */
  static async open(file: string, timeoutMs: number, context: SqlErrorContext): Promise<SqliteThread> {
    const thread = new SqliteThread(timeoutMs, context);
    let outcome: SqliteOutcome;
    try {
      outcome = await thread.#send({ op: 'open', file, timeoutMs });
    } catch (err) {
      void thread.#worker.terminate();
      throw err;
    }
    if (outcome.kind === 'cannot-open') {
      void thread.#worker.terminate();
      // A file that cannot be opened (its directory missing: an unmounted
      // volume, a network share that is down) is this driver's connection failure.
      const cause = revive(outcome.failure);
      throw sqlError(SqlErrorCode.Connection, `cannot open ${file}: ${describeError(cause)}`, context, { cause });
    }
    return thread;
  }

  /** False once the thread failed, timed out or was closed. */
  get usable(): boolean {
    return this.#broken === undefined;
  }

  /** The thread has ended (a timed-out statement has returned), so it holds no lock on the file. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Whether the handle is inside a transaction, as of the last reply; false once unusable. */
  get inTransaction(): boolean {
    return this.#broken === undefined && this.#inTransaction;
  }

  statement(op: 'query' | 'execute', sql: string, values: readonly unknown[]): Promise<SqliteOutcome> {
    return this.#send({ op, sql, values });
  }

  async exec(sql: string): Promise<void> {
    await this.#send({ op: 'exec', sql });
  }

  /** Closes the handle and ends the thread; a timed-out thread is left to end on its own. */
  async close(): Promise<void> {
    if (this.#broken !== undefined) return;
    try {
      await this.#send({ op: 'close' });
    } catch {
      // It ends below all the same.
    }
    this.#fail(sqlError(SqlErrorCode.Connection, 'connection is closed', this.#context));
    await this.#worker.terminate();
  }

  #send(req: SqliteRequest): Promise<SqliteOutcome> {
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    if (this.#pending !== undefined) return Promise.reject(new Error('sqlite thread: a statement is already running'));
    return new Promise((resolve, reject) => {
      try {
        this.#worker.postMessage(req);
      } catch (err) {
        // A value structured clone cannot copy (a function, a symbol) is a
        // parameter better-sqlite3 could not bind either: INVALID_PARAMETERS.
        reject(new TypeError(`cannot bind parameter: ${describeError(err)}`));
        return;
      }
      const timer = setTimeout(() => this.#timeOut(), this.#deadlineMs);
      this.#pending = { resolve, reject, timer };
      this.#worker.ref();
    });
  }

  #settle(reply: SqliteReply): void {
    const pending = this.#take();
    if (pending === undefined) return;
    this.#inTransaction = reply.inTransaction;
    if (reply.ok) pending.resolve(reply.outcome);
    else pending.reject(revive(reply.failure));
  }

  #timeOut(): void {
    this.#fail(
      sqlError(
        SqlErrorCode.Timeout,
        `statement still running after ${this.#deadlineMs} ms; SQLite cannot interrupt it, so its thread is abandoned and finishes it alone`,
        this.#context,
        { details: { deadlineMs: this.#deadlineMs } },
      ),
    );
    void this.#worker.terminate();
  }

  /** Marks the thread unusable (first reason wins) and rejects the statement in flight. */
  #fail(err: Error): void {
    this.#broken ??= err;
    this.#take()?.reject(err);
  }

  #take(): Pending | undefined {
    const pending = this.#pending;
    if (pending === undefined) return undefined;
    this.#pending = undefined;
    clearTimeout(pending.timer);
    this.#worker.unref();
    return pending;
  }

  #threadError(what: string, cause?: unknown): Error {
    const why = cause === undefined ? '' : `: ${describeError(cause)}`;
    return sqlError(SqlErrorCode.Connection, `sqlite worker thread ${what}${why}`, this.#context, { cause });
  }
}
