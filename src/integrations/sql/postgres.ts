// PostgreSQL through a pg.Pool of `poolSize` clients.
import pg from 'pg';
import { DeliveryError } from '../../commons/index.js';
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
import { fromIntegerText, toJsonRow } from './values.js';

// The server-side statement_timeout answers first with a clean 57014 and keeps
// the connection usable; the client-side query_timeout only catches a server
// that stopped answering at all, and such a client is then discarded.
const QUERY_TIMEOUT_GRACE_MS = 2_000;

const OID = { int8: 20, date: 1082, timestamp: 1114 } as const;

// Results go to the sandbox as JSON (values.ts). int8 (COUNT(*), bigserial)
// becomes a number when exact. `date` and `timestamp` carry no time zone, so
// they stay the server's text (ISO-shaped) instead of being read as local time.
const getTypeParser = ((oid: number, format?: 'text' | 'binary') => {
  if (format === undefined || format === 'text') {
    if (oid === OID.int8) return fromIntegerText;
    if (oid === OID.date) return (text: string) => text;
    if (oid === OID.timestamp) return (text: string) => text.replace(' ', 'T');
  }
  return pg.types.getTypeParser(oid, format);
}) as typeof pg.types.getTypeParser;

function createPool(config: DatabaseConnectionConfig): pg.Pool {
  const pool = new pg.Pool({
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.user,
    password: config.password,
    max: config.poolSize,
    connectionTimeoutMillis: config.timeoutMs,
    statement_timeout: config.timeoutMs,
    query_timeout: config.timeoutMs + QUERY_TIMEOUT_GRACE_MS,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'scadalink',
    types: { getTypeParser },
  });
  // An idle client whose server went away (restart, pg_terminate_backend)
  // reports here; the pool drops it and the next call connects afresh.
  // Without a listener the error would crash the process.
  pool.on('error', () => undefined);
  return pool;
}

/** A client checked out of the pool, watching for its connection dying while we hold it. */
class Lease {
  #broken: unknown;
  #released = false;
  readonly #onError = (err: Error): void => {
    this.#broken ??= err;
  };

  constructor(readonly client: pg.PoolClient) {
    client.on('error', this.#onError);
  }

  get broken(): unknown {
    return this.#broken;
  }

  async run(stmt: BoundStatement): Promise<pg.QueryResult> {
    if (this.#broken !== undefined) throw this.#broken;
    try {
      const result = (await this.client.query(stmt.sql, stmt.values)) as pg.QueryResult | pg.QueryResult[];
      // Without parameters pg uses the simple protocol, which allows several
      // statements; the last one's result is the statement's result.
      return Array.isArray(result) ? result[result.length - 1]! : result;
    } catch (err) {
      // A server error leaves the connection usable; anything else (read
      // timeout, socket error) means its state is unknown.
      if (!(err instanceof pg.DatabaseError)) this.#broken ??= err;
      throw err;
    }
  }

  /** Back to the pool; a broken client is destroyed instead. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.client.off('error', this.#onError);
    this.client.release(this.#broken === undefined ? undefined : (this.#broken as Error));
  }
}

function isDriverCode(err: unknown, code: string): boolean {
  return err instanceof DeliveryError && err.details.driverCode === code;
}

function toQueryResult(r: pg.QueryResult): QueryResult {
  const rows = r.rows.map(toJsonRow);
  return { rows, rowCount: r.command === 'SELECT' ? rows.length : (r.rowCount ?? rows.length) };
}

function toExecResult(r: pg.QueryResult): ExecResult {
  return { rowsAffected: r.rowCount ?? r.rows.length };
}

const BEGIN: BoundStatement = { sql: 'BEGIN', values: [] };
const COMMIT: BoundStatement = { sql: 'COMMIT', values: [] };
const ROLLBACK: BoundStatement = { sql: 'ROLLBACK', values: [] };

class PostgresTransaction implements SqlTransaction {
  #finished = false;

  constructor(
    private readonly lease: Lease,
    private readonly context: SqlErrorContext,
    private readonly onFinish: (tx: PostgresTransaction) => void,
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
      const result = await this.lease.run(COMMIT);
      // COMMIT of a transaction that already failed succeeds as ROLLBACK.
      if (result.command === 'ROLLBACK') throw abortedError(this.context);
    } catch (err) {
      throw classifySqlError(err, 'postgres', this.context);
    } finally {
      this.#finish();
    }
  }

  async rollback(): Promise<void> {
    if (this.#finished) return;
    try {
      if (this.lease.broken === undefined) await this.lease.run(ROLLBACK);
    } catch {
      // The connection is gone or unusable: the server discards the
      // transaction with it, and the lease destroys the client.
    } finally {
      this.#finish();
    }
  }

  async #run(sql: string, params: SqlParams | undefined): Promise<pg.QueryResult> {
    if (this.#finished) throw finishedError(this.context);
    const stmt = bindParameters(sql, params, 'postgres', this.context);
    try {
      return await this.lease.run(stmt);
    } catch (err) {
      throw classifySqlError(err, 'postgres', this.context);
    }
  }

  #finish(): void {
    this.#finished = true;
    this.lease.release();
    this.onFinish(this);
  }
}

export class PostgresConnection implements ManagedSqlConnection {
  readonly driver = 'postgres' as const;
  readonly name: string;
  readonly #config: DatabaseConnectionConfig;
  readonly #context: SqlErrorContext;
  readonly #transactions = new OpenTransactions();
  #pool: pg.Pool | undefined;
  #closed = false;

  constructor(config: DatabaseConnectionConfig) {
    this.name = config.name;
    this.#config = config;
    this.#context = errorContext(config);
  }

  async query(sql: string, params?: SqlParams): Promise<QueryResult> {
    return toQueryResult(await this.#runOnce(bindParameters(sql, params, 'postgres', this.#context)));
  }

  async execute(sql: string, params?: SqlParams): Promise<ExecResult> {
    return toExecResult(await this.#runOnce(bindParameters(sql, params, 'postgres', this.#context)));
  }

  async begin(): Promise<SqlTransaction> {
    const lease = await this.#checkout();
    try {
      await lease.run(BEGIN);
    } catch (err) {
      lease.release();
      throw classifySqlError(err, 'postgres', this.#context);
    }
    const tx = new PostgresTransaction(lease, this.#context, (t) => this.#transactions.delete(t));
    this.#transactions.add(tx);
    return tx;
  }

  async callProcedure(name: string, args: readonly unknown[]): Promise<QueryResult> {
    const proc = procedureName(name, this.#context);
    const values = [...procedureArgs(args, this.#context)];
    const placeholders = values.map((_, i) => `$${i + 1}`).join(', ');
    try {
      return await this.query(`CALL ${proc}(${placeholders})`, values);
    } catch (callErr) {
      // CALL resolves procedures only: a function answers 42809
      // (wrong_object_type) or, with untyped arguments, 42883 (undefined
      // function). CALL failed before running anything, so calling the name
      // as a function is safe; if that is unknown too, the CALL's error stands.
      if (!isDriverCode(callErr, '42809') && !isDriverCode(callErr, '42883')) throw callErr;
      try {
        return await this.query(`SELECT * FROM ${proc}(${placeholders})`, values);
      } catch (selectErr) {
        throw isDriverCode(selectErr, '42883') ? callErr : selectErr;
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#transactions.rollbackAll();
    await this.#pool?.end();
  }

  async #checkout(): Promise<Lease> {
    if (this.#closed) throw closedError(this.#context);
    this.#pool ??= createPool(this.#config);
    try {
      return new Lease(await this.#pool.connect());
    } catch (err) {
      throw classifySqlError(err, 'postgres', this.#context);
    }
  }

  async #runOnce(stmt: BoundStatement): Promise<pg.QueryResult> {
    const lease = await this.#checkout();
    try {
      return await lease.run(stmt);
    } catch (err) {
      throw classifySqlError(err, 'postgres', this.#context);
    } finally {
      lease.release();
    }
  }
}
