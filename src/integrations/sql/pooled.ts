// The connection and transaction logic that postgres and mysql share: a lazily
// created pool, one leased connection per statement or per transaction, and a
// transaction that can be finished once. What differs between the two lives in
// their PooledDriver and in the hooks of their PooledConnection subclass.
// SQLite (one handle in a thread of its own, behind a lock) does not fit and stays apart.
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
import type { Lease } from './lease.js';
import { type BoundStatement, bindParameters } from './params.js';
import type { ExecResult, QueryResult, SqlParams, SqlTransaction } from './types.js';

export type PooledDriverName = 'postgres' | 'mysql';

/** How one pooled driver speaks: its transaction statement, its results and its transaction quirks. */
export interface PooledDriver<R, D extends PooledDriverName> {
  readonly name: D;
  /** The statement that opens a transaction. */
  readonly begin: BoundStatement;
  toQueryResult(result: R): QueryResult;
  toExecResult(result: R): ExecResult;
  /** The failed statement rolled the whole transaction back on the server; later statements are refused. */
  abortsTransaction?(err: unknown): boolean;
  /** COMMIT answered that it rolled back instead. */
  commitRolledBack?(result: R): boolean;
}

const COMMIT: BoundStatement = { sql: 'COMMIT', values: [] };
const ROLLBACK: BoundStatement = { sql: 'ROLLBACK', values: [] };

class PooledTransaction<R, D extends PooledDriverName> implements SqlTransaction {
  #finished = false;
  // Set when the server rolled the transaction back mid-way (mysql deadlock):
  // later statements would silently autocommit, so they are refused instead.
  #aborted: unknown;

  constructor(
    private readonly lease: Lease<R>,
    private readonly adapter: PooledDriver<R, D>,
    private readonly context: SqlErrorContext,
    private readonly onFinish: (tx: SqlTransaction) => void,
  ) {}

  async query(sql: string, params?: SqlParams): Promise<QueryResult> {
    return this.adapter.toQueryResult(await this.#run(sql, params));
  }

  async execute(sql: string, params?: SqlParams): Promise<ExecResult> {
    return this.adapter.toExecResult(await this.#run(sql, params));
  }

  async commit(): Promise<void> {
    if (this.#finished) throw finishedError(this.context);
    try {
      if (this.#aborted !== undefined) throw abortedError(this.context, this.#aborted);
      const result = await this.lease.run(COMMIT);
      if (this.adapter.commitRolledBack?.(result) === true) throw abortedError(this.context);
    } catch (err) {
      throw classifySqlError(err, this.adapter.name, this.context);
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
      // transaction with it, and the lease destroys the connection.
    } finally {
      this.#finish();
    }
  }

  async #run(sql: string, params: SqlParams | undefined): Promise<R> {
    if (this.#finished) throw finishedError(this.context);
    if (this.#aborted !== undefined) throw abortedError(this.context, this.#aborted);
    const stmt = bindParameters(sql, params, this.adapter.name, this.context);
    try {
      return await this.lease.run(stmt);
    } catch (err) {
      if (this.adapter.abortsTransaction?.(err) === true) this.#aborted = err;
      throw classifySqlError(err, this.adapter.name, this.context);
    }
  }

  #finish(): void {
    this.#finished = true;
    this.lease.release();
    this.onFinish(this);
  }
}

/**
 * A named connection backed by a pool of `poolSize` connections, created on
 * first use. A subclass says how to create the pool, how to check a connection
 * out of it, and how to call a procedure.
 */
export abstract class PooledConnection<R, D extends PooledDriverName, P extends { end(): Promise<void> }>
  implements ManagedSqlConnection
{
  readonly name: string;
  readonly driver: D;
  protected readonly config: DatabaseConnectionConfig;
  protected readonly context: SqlErrorContext;
  readonly #adapter: PooledDriver<R, D>;
  readonly #transactions = new OpenTransactions();
  #pool: P | undefined;
  #closed = false;

  protected constructor(config: DatabaseConnectionConfig, adapter: PooledDriver<R, D>) {
    this.name = config.name;
    this.driver = adapter.name;
    this.config = config;
    this.context = errorContext(config);
    this.#adapter = adapter;
  }

  async query(sql: string, params?: SqlParams): Promise<QueryResult> {
    return this.#adapter.toQueryResult(await this.#runOnce(bindParameters(sql, params, this.driver, this.context)));
  }

  async execute(sql: string, params?: SqlParams): Promise<ExecResult> {
    return this.#adapter.toExecResult(await this.#runOnce(bindParameters(sql, params, this.driver, this.context)));
  }

  async begin(): Promise<SqlTransaction> {
    const lease = await this.#checkout();
    try {
      await lease.run(this.#adapter.begin);
    } catch (err) {
      lease.release();
      throw classifySqlError(err, this.driver, this.context);
    }
    const tx = new PooledTransaction(lease, this.#adapter, this.context, (t) => this.#transactions.delete(t));
    this.#transactions.add(tx);
    return tx;
  }

  async callProcedure(name: string, args: readonly unknown[]): Promise<QueryResult> {
    return this.call(procedureName(name, this.context), [...procedureArgs(args, this.context)]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#transactions.rollbackAll();
    await this.#pool?.end();
  }

  protected get closed(): boolean {
    return this.#closed;
  }

  /** The pool, if it has been created. */
  protected get pool(): P | undefined {
    return this.#pool;
  }

  protected abstract createPool(): P;

  /** Checks a connection out of the pool; a failure is classified by the caller. */
  protected abstract connect(pool: P): Promise<Lease<R>>;

  /** Calls a procedure whose name and arguments are already validated. */
  protected abstract call(proc: string, values: unknown[]): Promise<QueryResult>;

  async #checkout(): Promise<Lease<R>> {
    if (this.#closed) throw closedError(this.context);
    const pool = (this.#pool ??= this.createPool());
    try {
      return await this.connect(pool);
    } catch (err) {
      throw classifySqlError(err, this.driver, this.context);
    }
  }

  async #runOnce(stmt: BoundStatement): Promise<R> {
    const lease = await this.#checkout();
    try {
      return await lease.run(stmt);
    } catch (err) {
      throw classifySqlError(err, this.driver, this.context);
    } finally {
      lease.release();
    }
  }
}
