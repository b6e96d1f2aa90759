// SQLite through one better-sqlite3 handle in WAL mode, held by a worker
// thread of its own (sqlite-thread.ts). better-sqlite3 is synchronous: run in
// the main thread, a statement, or a wait of up to timeoutMs for another
// process's lock (busy_timeout), would stall every script, the
// store-and-forward engine and the HTTP endpoints. One handle means one
// transaction at a time, so a lock queues every caller behind an open
// transaction instead of letting its statements slip into it.
import { isAbsolute } from 'node:path';
import type { DatabaseConnectionConfig } from '../../config/index.js';
import { type ManagedSqlConnection, OpenTransactions, abortedError, closedError, errorContext, finishedError } from './base.js';
import { SqlErrorCode, classifySqlError, sqlError, type SqlErrorContext } from './classify.js';
import { type BoundStatement, bindParameters } from './params.js';
import { SqliteThread } from './sqlite-thread.js';
import type { SqliteOutcome } from './sqlite-worker.js';
import type { ExecResult, QueryResult, SqlParams, SqlTransaction } from './types.js';
import { fromBigInt, toBindValues, toJsonRow } from './values.js';

/** A FIFO async lock. */
class Lock {
  #tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const previous = this.#tail;
    this.#tail = previous.then(() => held);
    return previous.then(() => release);
  }
}

// lastInsertRowid is the connection's last INSERT, whatever ran since; report
// it only for a statement that is itself an INSERT or REPLACE.
const LEADING_COMMENTS = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/;
function isInsert(sql: string): boolean {
  return /^(?:insert|replace)\b/i.test(sql.replace(LEADING_COMMENTS, ''));
}

async function runQuery(thread: SqliteThread, stmt: BoundStatement): Promise<QueryResult> {
  const outcome = await thread.statement('query', stmt.sql, toBindValues(stmt.values, 'sqlite'));
  if (outcome.kind === 'rows') {
    const rows = outcome.rows.map(toJsonRow);
    return { rows, rowCount: rows.length };
  }
  return { rows: [], rowCount: changesOf(outcome) };
}

async function runExecute(thread: SqliteThread, stmt: BoundStatement): Promise<ExecResult> {
  const outcome = await thread.statement('execute', stmt.sql, toBindValues(stmt.values, 'sqlite'));
  if (outcome.kind === 'returned') return { rowsAffected: outcome.count }; // e.g. INSERT … RETURNING
  const changes = changesOf(outcome);
  if (outcome.kind === 'changes' && changes > 0 && isInsert(stmt.sql)) {
    return { rowsAffected: changes, lastInsertId: fromBigInt(BigInt(outcome.lastInsertRowid)) };
  }
  return { rowsAffected: changes };
}

function changesOf(outcome: SqliteOutcome): number {
  return outcome.kind === 'changes' ? outcome.changes : 0;
}

class SqliteTransaction implements SqlTransaction {
  #finished = false;

  constructor(
    private readonly thread: SqliteThread,
    private readonly context: SqlErrorContext,
    private readonly onFinish: (tx: SqliteTransaction) => void,
  ) {}

  async query(sql: string, params?: SqlParams): Promise<QueryResult> {
    const stmt = bindParameters(sql, params, 'sqlite', this.context);
    return this.#run(() => runQuery(this.thread, stmt));
  }

  async execute(sql: string, params?: SqlParams): Promise<ExecResult> {
    const stmt = bindParameters(sql, params, 'sqlite', this.context);
    return this.#run(() => runExecute(this.thread, stmt));
  }

  async commit(): Promise<void> {
    if (this.#finished) throw finishedError(this.context);
    try {
      if (!this.thread.inTransaction) throw abortedError(this.context);
      await this.thread.exec('COMMIT');
    } catch (err) {
      // A failed COMMIT can leave the transaction open; end it.
      if (this.thread.inTransaction) await this.thread.exec('ROLLBACK').catch(() => undefined);
      throw classifySqlError(err, 'sqlite', this.context);
    } finally {
      this.#finish();
    }
  }

  async rollback(): Promise<void> {
    if (this.#finished) return;
    try {
      if (this.thread.inTransaction) await this.thread.exec('ROLLBACK');
    } catch {
      // Nothing left to undo.
    } finally {
      this.#finish();
    }
  }

  async #run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#finished) throw finishedError(this.context);
    // Some errors (SQLITE_FULL, SQLITE_IOERR, …) make SQLite roll back on its
    // own, and a thread that timed out took the transaction with it.
    if (!this.thread.inTransaction) throw abortedError(this.context);
    try {
      return await fn();
    } catch (err) {
      throw classifySqlError(err, 'sqlite', this.context);
    }
  }

  #finish(): void {
    this.#finished = true;
    this.onFinish(this);
  }
}

export class SqliteConnection implements ManagedSqlConnection {
  readonly driver = 'sqlite' as const;
  readonly name: string;
  readonly #config: DatabaseConnectionConfig;
  readonly #context: SqlErrorContext;
  readonly #lock = new Lock();
  readonly #transactions = new OpenTransactions();
  #thread: SqliteThread | undefined;
  #closed = false;

  constructor(config: DatabaseConnectionConfig) {
    this.name = config.name;
    this.#config = config;
    this.#context = errorContext(config);
  }

  async query(sql: string, params?: SqlParams): Promise<QueryResult> {
    const stmt = bindParameters(sql, params, 'sqlite', this.#context);
    return this.#locked((t) => runQuery(t, stmt));
  }

  async execute(sql: string, params?: SqlParams): Promise<ExecResult> {
    const stmt = bindParameters(sql, params, 'sqlite', this.#context);
    return this.#locked((t) => runExecute(t, stmt));
  }

  /** `BEGIN IMMEDIATE`: the write lock is taken now, so the transaction cannot deadlock later when it first writes. */
  async begin(): Promise<SqlTransaction> {
    const release = await this.#lock.acquire();
    let thread: SqliteThread;
    try {
      thread = await this.#open();
      await thread.exec('BEGIN IMMEDIATE');
    } catch (err) {
      release();
      throw classifySqlError(err, 'sqlite', this.#context);
    }
    const tx = new SqliteTransaction(thread, this.#context, (t) => {
      this.#transactions.delete(t);
      release();
    });
    this.#transactions.add(tx);
    return tx;
  }

  async callProcedure(_name: string, _args: readonly unknown[]): Promise<QueryResult> {
    throw sqlError(SqlErrorCode.Unsupported, 'sqlite has no stored procedures', this.#context);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#transactions.rollbackAll();
    const release = await this.#lock.acquire();
    try {
      await this.#thread?.close();
      this.#thread = undefined;
    } finally {
      release();
    }
  }

  async #locked<T>(fn: (thread: SqliteThread) => Promise<T>): Promise<T> {
    const release = await this.#lock.acquire();
    try {
      return await fn(await this.#open());
    } catch (err) {
      throw classifySqlError(err, 'sqlite', this.#context);
    } finally {
      release();
    }
  }

  /** Starts the thread and opens the file on first use, so that a failure to open is classified like any other. */
  async #open(): Promise<SqliteThread> {
    if (this.#closed) throw closedError(this.#context);
    const current = this.#thread;
    if (current?.usable === true) return current;
    // One statement at a time per connection, even an abandoned one: a
    // second handle beside it would only queue behind its locks.
    if (current !== undefined && !current.exited) {
      throw sqlError(
        SqlErrorCode.Unavailable,
        'an earlier statement that timed out is still running in SQLite, which cannot interrupt it; try again later',
        this.#context,
      );
    }
    this.#thread = undefined;
    const file = this.#config.file;
    if (file === undefined || file === '') {
      throw sqlError(SqlErrorCode.Error, 'no database file configured', this.#context);
    }
    // This build of SQLite reads a name starting with `file:` as a URI, whose
    // parameters (vfs, mode, …) could point the handle elsewhere; an absolute
    // path never starts with it. The project loader makes every path absolute.
    if (!isAbsolute(file)) {
      throw sqlError(SqlErrorCode.Forbidden, 'the database file must be an absolute path (URI file names are not allowed)', this.#context);
    }
    this.#thread = await SqliteThread.open(file, this.#config.timeoutMs, this.#context);
    return this.#thread;
  }
}
