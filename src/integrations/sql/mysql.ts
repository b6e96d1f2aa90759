// MySQL / MariaDB through a mysql2 pool of `poolSize` connections.
// Statements with parameters go through server-side prepared statements
// (`execute`), so values are bound, never escaped into the text.
import mysql from 'mysql2/promise';
import type { DatabaseConnectionConfig } from '../../config/index.js';
import {
  type ManagedSqlConnection,
  OpenTransactions,
  abortedError,
  closedError,
  errorContext,
  finishedError,
  procedureArgs,
  procedureName,
} from './base.js';
import { classifySqlError, type SqlErrorContext } from './classify.js';
import { type BoundStatement, bindParameters } from './params.js';
import type { ExecResult, QueryResult, SqlParams, SqlTransaction } from './types.js';
import { toBindValues, toJsonRow } from './values.js';

type Result = mysql.QueryResult;
const ER_LOCK_DEADLOCK = 1213;

function createPool(config: DatabaseConnectionConfig): mysql.Pool {
  return mysql.createPool({
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.user,
    password: config.password,
    connectionLimit: config.poolSize,
    maxIdle: config.poolSize,
    idleTimeout: 60_000,
    waitForConnections: true,
    queueLimit: 0,
    connectTimeout: config.timeoutMs,
    enableKeepAlive: true,
    // Dates are written and read as UTC; a DATE has no time, so it stays text.
    timezone: 'Z',
    dateStrings: ['DATE'],
    // BIGINT as a number when exact, else a string; DECIMAL stays an exact string.
    supportBigNumbers: true,
    bigNumberStrings: false,
    multipleStatements: false,
    // The server caps prepared statements across all sessions (max_prepared_stmt_count).
    maxPreparedStatements: 256,
  });
}

function isHeader(r: unknown): r is mysql.ResultSetHeader {
  return typeof r === 'object' && r !== null && !Array.isArray(r) && typeof (r as { affectedRows?: unknown }).affectedRows === 'number';
}

/** A CALL answers with one array per result set, then a header. */
function resultSets(r: Result): unknown[] | undefined {
  const all = r as unknown;
  if (!Array.isArray(all) || all.length === 0) return undefined;
  return all.every((x: unknown) => Array.isArray(x) || isHeader(x)) ? all : undefined;
}

function firstRows(r: Result): object[] | undefined {
  const sets = resultSets(r);
  if (sets !== undefined) return sets.find((x): x is object[] => Array.isArray(x));
  return Array.isArray(r) ? (r as object[]) : undefined;
}

function lastHeader(r: Result): mysql.ResultSetHeader | undefined {
  if (isHeader(r)) return r;
  return resultSets(r)?.filter(isHeader).pop();
}

function toQueryResult(r: Result): QueryResult {
  const rows = firstRows(r);
  if (rows !== undefined) return { rows: rows.map(toJsonRow), rowCount: rows.length };
  return { rows: [], rowCount: lastHeader(r)?.affectedRows ?? 0 };
}

function toExecResult(r: Result): ExecResult {
  const header = lastHeader(r);
  if (header === undefined) return { rowsAffected: firstRows(r)?.length ?? 0 };
  const id = header.insertId as number | string;
  return id === 0 || id === '0' ? { rowsAffected: header.affectedRows } : { rowsAffected: header.affectedRows, lastInsertId: id };
}

/** A connection checked out of the pool, watching for its socket dying while we hold it. */
class Lease {
  #broken: unknown;
  #released = false;
  readonly #onError = (err: Error): void => {
    this.#broken ??= err;
  };

  constructor(
    readonly conn: mysql.PoolConnection,
    private readonly timeoutMs: number,
    private readonly onTimeout: (threadId: number) => void,
  ) {
    conn.connection.on('error', this.#onError);
  }

  get broken(): unknown {
    return this.#broken;
  }

  async run(stmt: BoundStatement): Promise<Result> {
    if (this.#broken !== undefined) throw this.#broken;
    const options = { sql: stmt.sql, timeout: this.timeoutMs };
    try {
      const [result] =
        stmt.values.length === 0
          ? await this.conn.query<Result>(options)
          : await this.conn.execute<Result>(options, toBindValues(stmt.values, 'mysql') as mysql.ExecuteValues);
      return result;
    } catch (err) {
      const e = err as { errno?: unknown; fatal?: unknown; code?: unknown };
      // mysql2's client-side timeout leaves the statement running on the
      // server and this connection waiting for its answer: stop the statement
      // and throw the connection away. Any non-server error is likewise fatal.
      if (e.code === 'PROTOCOL_SEQUENCE_TIMEOUT') this.onTimeout(this.conn.threadId);
      if (e.fatal === true || typeof e.errno !== 'number' || e.errno <= 0 || e.code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
        this.#broken ??= err;
      }
      throw err;
    }
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.conn.connection.off('error', this.#onError);
    if (this.#broken === undefined) this.conn.release();
    else this.conn.destroy();
  }
}

const START: BoundStatement = { sql: 'START TRANSACTION', values: [] };
const COMMIT: BoundStatement = { sql: 'COMMIT', values: [] };
const ROLLBACK: BoundStatement = { sql: 'ROLLBACK', values: [] };

class MysqlTransaction implements SqlTransaction {
  #finished = false;
  // A deadlock rolls back the whole transaction on the server; later
  // statements would silently autocommit, so they are refused instead.
  #aborted: unknown;

  constructor(
    private readonly lease: Lease,
    private readonly context: SqlErrorContext,
    private readonly onFinish: (tx: MysqlTransaction) => void,
  ) {}

  async query(sql: string, params?: SqlParams): Promise<QueryResult> {
    return toQueryResult(await this.#run(sql, params));
  }

  async execute(sql: string, params?: SqlParams): Promise<ExecResult> {
    return toExecResult(await this.#run(sql, params));
  }

  async commit(): Promise<void> {
    if (this.#finished) throw finishedError(this.context);
    try {
      if (this.#aborted !== undefined) throw abortedError(this.context, this.#aborted);
      await this.lease.run(COMMIT);
    } catch (err) {
      throw classifySqlError(err, 'mysql', this.context);
    } finally {
      this.#finish();
    }
  }

  async rollback(): Promise<void> {
    if (this.#finished) return;
    try {
      if (this.lease.broken === undefined) await this.lease.run(ROLLBACK);
    } catch {
      // The connection is gone: the server rolls the transaction back itself.
    } finally {
      this.#finish();
    }
  }

  async #run(sql: string, params: SqlParams | undefined): Promise<Result> {
    if (this.#finished) throw finishedError(this.context);
    if (this.#aborted !== undefined) throw abortedError(this.context, this.#aborted);
    const stmt = bindParameters(sql, params, 'mysql', this.context);
    try {
      return await this.lease.run(stmt);
    } catch (err) {
      if ((err as { errno?: unknown }).errno === ER_LOCK_DEADLOCK) this.#aborted = err;
      throw classifySqlError(err, 'mysql', this.context);
    }
  }

  #finish(): void {
    this.#finished = true;
    this.lease.release();
    this.onFinish(this);
  }
}

export class MysqlConnection implements ManagedSqlConnection {
  readonly driver = 'mysql' as const;
  readonly name: string;
  readonly #config: DatabaseConnectionConfig;
  readonly #context: SqlErrorContext;
  readonly #transactions = new OpenTransactions();
  #pool: mysql.Pool | undefined;
  #closed = false;

  constructor(config: DatabaseConnectionConfig) {
    this.name = config.name;
    this.#config = config;
    this.#context = errorContext(config);
  }

  async query(sql: string, params?: SqlParams): Promise<QueryResult> {
    return toQueryResult(await this.#runOnce(bindParameters(sql, params, 'mysql', this.#context)));
  }

  async execute(sql: string, params?: SqlParams): Promise<ExecResult> {
    return toExecResult(await this.#runOnce(bindParameters(sql, params, 'mysql', this.#context)));
  }

  async begin(): Promise<SqlTransaction> {
    const lease = await this.#checkout();
    try {
      await lease.run(START);
    } catch (err) {
      lease.release();
      throw classifySqlError(err, 'mysql', this.#context);
    }
    const tx = new MysqlTransaction(lease, this.#context, (t) => this.#transactions.delete(t));
    this.#transactions.add(tx);
    return tx;
  }

  /** OUT parameters cannot be bound; a procedure returns data with SELECT (its first result set is returned). */
  async callProcedure(name: string, args: readonly unknown[]): Promise<QueryResult> {
    const proc = procedureName(name, this.#context);
    const values = [...procedureArgs(args, this.#context)];
    return this.query(`CALL ${proc}(${values.map(() => '?').join(', ')})`, values);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#transactions.rollbackAll();
    await this.#pool?.end();
  }

  async #checkout(): Promise<Lease> {
    if (this.#closed) throw closedError(this.#context);
    const pool = (this.#pool ??= createPool(this.#config));
    try {
      return new Lease(await pool.getConnection(), this.#config.timeoutMs, (id) => this.#killQuery(id));
    } catch (err) {
      throw classifySqlError(err, 'mysql', this.#context);
    }
  }

  async #runOnce(stmt: BoundStatement): Promise<Result> {
    const lease = await this.#checkout();
    try {
      return await lease.run(stmt);
    } catch (err) {
      throw classifySqlError(err, 'mysql', this.#context);
    } finally {
      lease.release();
    }
  }

  /** Best effort: stops a statement whose client gave up on it, so it stops holding locks. */
  #killQuery(threadId: number): void {
    const pool = this.#pool;
    if (this.#closed || pool === undefined || !Number.isSafeInteger(threadId)) return;
    // threadId is the server's integer connection id, not user input.
    void pool.query(`KILL QUERY ${threadId}`).catch(() => undefined);
  }
}
