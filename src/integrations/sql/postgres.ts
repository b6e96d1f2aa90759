// PostgreSQL through a pg.Pool of `poolSize` clients.
import pg from 'pg';
import { DeliveryError } from '../../commons/index.js';
import type { DatabaseConnectionConfig } from '../../config/index.js';
import { Lease } from './lease.js';
import type { BoundStatement } from './params.js';
import { PooledConnection, type PooledDriver } from './pooled.js';
import type { QueryResult } from './types.js';
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

/** A client checked out of the pool. */
class PgLease extends Lease<pg.QueryResult> {
  constructor(private readonly client: pg.PoolClient) {
    super();
    client.on('error', this.onError);
  }

  protected async send(stmt: BoundStatement): Promise<pg.QueryResult> {
    const result = (await this.client.query(stmt.sql, stmt.values)) as pg.QueryResult | pg.QueryResult[];
    // Without parameters pg uses the simple protocol, which allows several
    // statements; the last one's result is the statement's result.
    return Array.isArray(result) ? result[result.length - 1]! : result;
  }

  // A server error leaves the connection usable; anything else (read
  // timeout, socket error) means its state is unknown.
  protected leavesUnusable(err: unknown): boolean {
    return !(err instanceof pg.DatabaseError);
  }

  protected giveBack(broken: unknown): void {
    this.client.off('error', this.onError);
    this.client.release(broken === undefined ? undefined : (broken as Error));
  }
}

function isDriverCode(err: unknown, code: string): boolean {
  return err instanceof DeliveryError && err.details.driverCode === code;
}

const POSTGRES: PooledDriver<pg.QueryResult, 'postgres'> = {
  name: 'postgres',
  begin: { sql: 'BEGIN', values: [] },
  toQueryResult(r) {
    const rows = r.rows.map(toJsonRow);
    return { rows, rowCount: r.command === 'SELECT' ? rows.length : (r.rowCount ?? rows.length) };
  },
  toExecResult(r) {
    return { rowsAffected: r.rowCount ?? r.rows.length };
  },
  // COMMIT of a transaction that already failed succeeds as ROLLBACK.
  commitRolledBack: (r) => r.command === 'ROLLBACK',
};

export class PostgresConnection extends PooledConnection<pg.QueryResult, 'postgres', pg.Pool> {
  constructor(config: DatabaseConnectionConfig) {
    super(config, POSTGRES);
  }

  protected async call(proc: string, values: unknown[]): Promise<QueryResult> {
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

  protected createPool(): pg.Pool {
    return createPool(this.config);
  }

  protected async connect(pool: pg.Pool): Promise<Lease<pg.QueryResult>> {
    return new PgLease(await pool.connect());
  }
}
