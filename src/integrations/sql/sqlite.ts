// SQLite through one better-sqlite3 handle in WAL mode. better-sqlite3 is
// synchronous: a statement blocks the event loop while it runs, and waiting
// for another process's lock (busy_timeout = timeoutMs) blocks it too. There
// is no statement timeout. One handle means one transaction at a time, so a
// lock queues every caller behind an open transaction instead of letting its
// statements slip into it.
import Database from 'better-sqlite3';
import { describeError } from '../../commons/index.js';
import type { DatabaseConnectionConfig } from '../../config/index.js';
import { type ManagedSqlConnection, OpenTransactions, abortedError, closedError, errorContext, finishedError } from './base.js';
import { SqlErrorCode, classifySqlError, sqlError, type SqlErrorContext } from './classify.js';
import { type BoundStatement, bindParameters } from './params.js';
import type { ExecResult, QueryResult, SqlParams, SqlTransaction } from './types.js';
import { fromBigInt, toBindValues, toJsonRow } from './values.js';

const STATEMENT_CACHE_SIZE = 256;

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

/** Runs bound statements on an open handle; shared by the connection and its transaction. */
class Runner {
  readonly #statements = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  query(stmt: BoundStatement): QueryResult {
    const s = this.#prepare(stmt.sql);
    const values = toBindValues(stmt.values, 'sqlite');
    if (s.reader) {
      const rows = (s.all(...values) as object[]).map(toJsonRow);
      return { rows, rowCount: rows.length };
    }
    return { rows: [], rowCount: s.run(...values).changes };
  }

  execute(stmt: BoundStatement): ExecResult {
    const s = this.#prepare(stmt.sql);
    const values = toBindValues(stmt.values, 'sqlite');
    if (s.reader) return { rowsAffected: s.all(...values).length }; // e.g. INSERT … RETURNING
    const info = s.run(...values);
    if (info.changes > 0 && isInsert(stmt.sql)) {
      return { rowsAffected: info.changes, lastInsertId: fromBigInt(BigInt(info.lastInsertRowid)) };
    }
    return { rowsAffected: info.changes };
  }

  #prepare(sql: string): Database.Statement {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) {
        this.#statements.delete(this.#statements.keys().next().value!);
      }
      this.#statements.set(sql, s);
    }
    return s;
  }
}

class SqliteTransaction implements SqlTransaction {
  #finished = false;

  constructor(
    private readonly runner: Runner,
    private readonly context: SqlErrorContext,
    private readonly onFinish: (tx: SqliteTransaction) => void,
  ) {}

  async query(sql: string, params?: SqlParams): Promise<QueryResult> {
    const stmt = bindParameters(sql, params, 'sqlite', this.context);
    return this.#run(() => this.runner.query(stmt));
  }

  async execute(sql: string, params?: SqlParams): Promise<ExecResult> {
    const stmt = bindParameters(sql, params, 'sqlite', this.context);
    return this.#run(() => this.runner.execute(stmt));
  }

  async commit(): Promise<void> {
    if (this.#finished) throw finishedError(this.context);
    try {
      if (!this.runner.db.inTransaction) throw abortedError(this.context);
      this.runner.db.exec('COMMIT');
    } catch (err) {
      // A failed COMMIT can leave the transaction open; end it.
      if (this.runner.db.inTransaction) this.runner.db.exec('ROLLBACK');
      throw classifySqlError(err, 'sqlite', this.context);
    } finally {
      this.#finish();
    }
  }

  async rollback(): Promise<void> {
    if (this.#finished) return;
    try {
      if (this.runner.db.inTransaction) this.runner.db.exec('ROLLBACK');
    } catch {
      // Nothing left to undo.
    } finally {
      this.#finish();
    }
  }

  async #run<T>(fn: () => T): Promise<T> {
    if (this.#finished) throw finishedError(this.context);
    // Some errors (SQLITE_FULL, SQLITE_IOERR, …) make SQLite roll back on its own.
    if (!this.runner.db.inTransaction) throw abortedError(this.context);
    try {
      return fn();
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
  #runner: Runner | undefined;
  #closed = false;

  constructor(config: DatabaseConnectionConfig) {
    this.name = config.name;
    this.#config = config;
    this.#context = errorContext(config);
  }

  async query(sql: string, params?: SqlParams): Promise<QueryResult> {
    const stmt = bindParameters(sql, params, 'sqlite', this.#context);
    return this.#locked((r) => r.query(stmt));
  }

  async execute(sql: string, params?: SqlParams): Promise<ExecResult> {
    const stmt = bindParameters(sql, params, 'sqlite', this.#context);
    return this.#locked((r) => r.execute(stmt));
  }

  /** `BEGIN IMMEDIATE`: the write lock is taken now, so the transaction cannot deadlock later when it first writes. */
  async begin(): Promise<SqlTransaction> {
    const release = await this.#lock.acquire();
    let runner: Runner;
    try {
      runner = this.#open();
      runner.db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      release();
      throw classifySqlError(err, 'sqlite', this.#context);
    }
    const tx = new SqliteTransaction(runner, this.#context, (t) => {
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
      this.#runner?.db.close();
      this.#runner = undefined;
    } finally {
      release();
    }
  }

  async #locked<T>(fn: (runner: Runner) => T): Promise<T> {
    const release = await this.#lock.acquire();
    try {
      return fn(this.#open());
    } catch (err) {
      throw classifySqlError(err, 'sqlite', this.#context);
    } finally {
      release();
    }
  }

  /** Opens the file on first use, so that a failure to open is classified like any other. */
  #open(): Runner {
    if (this.#closed) throw closedError(this.#context);
    if (this.#runner !== undefined) return this.#runner;
    const file = this.#config.file;
    if (file === undefined || file === '') {
      throw sqlError(SqlErrorCode.Error, 'no database file configured', this.#context);
    }
    let db: Database.Database;
    try {
      db = new Database(file, { timeout: this.#config.timeoutMs });
    } catch (err) {
      // A file that cannot be opened (its directory missing: an unmounted
      // volume, a network share that is down) is this driver's connection failure.
      throw sqlError(SqlErrorCode.Connection, `cannot open ${file}: ${describeError(err)}`, this.#context, { cause: err });
    }
    try {
      db.pragma('journal_mode = WAL');
      // Enforce foreign keys as the other drivers do (SQLite defaults to off per connection).
      db.pragma('foreign_keys = ON');
      // 64-bit integers come back exact, then as number-or-string (values.ts).
      db.defaultSafeIntegers(true);
    } catch (err) {
      db.close();
      throw err;
    }
    this.#runner = new Runner(db);
    return this.#runner;
  }
}
