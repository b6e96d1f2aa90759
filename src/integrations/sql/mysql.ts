// MySQL / MariaDB through a mysql2 pool of `poolSize` connections.
// Statements with parameters go through server-side prepared statements
// (`execute`), so values are bound, never escaped into the text.
import mysql from 'mysql2/promise';
import type { DatabaseConnectionConfig } from '../../config/index.js';
import { Lease } from './lease.js';
import type { BoundStatement } from './params.js';
import { PooledConnection, type PooledDriver } from './pooled.js';
import type { ExecResult, QueryResult } from './types.js';
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

/** A connection checked out of the pool. */
class MysqlLease extends Lease<Result> {
  constructor(
    private readonly conn: mysql.PoolConnection,
    private readonly timeoutMs: number,
    private readonly onTimeout: (threadId: number) => void,
  ) {
    super();
    conn.connection.on('error', this.onError);
  }

  protected async send(stmt: BoundStatement): Promise<Result> {
    const options = { sql: stmt.sql, timeout: this.timeoutMs };
    try {
      const [result] =
        stmt.values.length === 0
          ? await this.conn.query<Result>(options)
          : await this.conn.execute<Result>(options, toBindValues(stmt.values, 'mysql') as mysql.ExecuteValues);
      return result;
    } catch (err) {
      // mysql2's client-side timeout leaves the statement running on the
      // server and this connection waiting for its answer: stop the statement
      // (and leavesUnusable throws the connection away).
      if ((err as { code?: unknown }).code === 'PROTOCOL_SEQUENCE_TIMEOUT') this.onTimeout(this.conn.threadId);
      throw err;
    }
  }

  // Any non-server error, like the client-side timeout, is fatal to the connection.
  protected leavesUnusable(err: unknown): boolean {
    const e = err as { errno?: unknown; fatal?: unknown; code?: unknown };
    return e.fatal === true || typeof e.errno !== 'number' || e.errno <= 0 || e.code === 'PROTOCOL_SEQUENCE_TIMEOUT';
  }

  protected giveBack(broken: unknown): void {
    this.conn.connection.off('error', this.onError);
    if (broken === undefined) this.conn.release();
    else this.conn.destroy();
  }
}

const MYSQL: PooledDriver<Result, 'mysql'> = {
  name: 'mysql',
  begin: { sql: 'START TRANSACTION', values: [] },
  toQueryResult,
  toExecResult,
  // A deadlock rolls back the whole transaction on the server.
  abortsTransaction: (err) => (err as { errno?: unknown }).errno === ER_LOCK_DEADLOCK,
};

export class MysqlConnection extends PooledConnection<Result, 'mysql', mysql.Pool> {
  constructor(config: DatabaseConnectionConfig) {
    super(config, MYSQL);
  }

  /** OUT parameters cannot be bound; a procedure returns data with SELECT (its first result set is returned). */
  protected async call(proc: string, values: unknown[]): Promise<QueryResult> {
    return this.query(`CALL ${proc}(${values.map(() => '?').join(', ')})`, values);
  }

  protected createPool(): mysql.Pool {
    return createPool(this.config);
  }

  protected async connect(pool: mysql.Pool): Promise<Lease<Result>> {
    return new MysqlLease(await pool.getConnection(), this.config.timeoutMs, (id) => this.#killQuery(id));
  }

  /** Best effort: stops a statement whose client gave up on it, so it stops holding locks. */
  #killQuery(threadId: number): void {
    const pool = this.pool;
    if (this.closed || pool === undefined || !Number.isSafeInteger(threadId)) return;
    // threadId is the server's integer connection id, not user input.
    void pool.query(`KILL QUERY ${threadId}`).catch(() => undefined);
  }
}
