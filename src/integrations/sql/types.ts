import type { DatabaseDriver } from '../../config/index.js';

/**
 * Statement parameters. A positional array uses the driver's own placeholders
 * (`$1` for postgres, `?` for mysql and sqlite); a named object is used with
 * `@name` placeholders on every driver. Values are always bound, never
 * interpolated into the SQL text.
 */
export type SqlParams = readonly unknown[] | Readonly<Record<string, unknown>>;

/**
 * Rows of a statement. Every value is plain JSON (string, number, boolean,
 * null, arrays and objects of those) because results cross into the script
 * sandbox: dates become ISO strings, binary becomes base64, 64-bit integers
 * become numbers when safe and decimal strings otherwise.
 */
export interface QueryResult {
  readonly rows: Record<string, unknown>[];
  /** Rows returned; for a statement that returns none, rows affected. */
  readonly rowCount: number;
}

export interface ExecResult {
  /** Rows changed; for a statement that returns rows (`RETURNING`), rows returned. */
  readonly rowsAffected: number;
  /** mysql: the AUTO_INCREMENT id; sqlite: the rowid of an INSERT. postgres: use `RETURNING`. */
  readonly lastInsertId?: number | string;
}

export interface SqlQueryable {
  query(sql: string, params?: SqlParams): Promise<QueryResult>;
  execute(sql: string, params?: SqlParams): Promise<ExecResult>;
}

/**
 * One transaction on one dedicated connection, held until `commit()` or
 * `rollback()`. `rollback()` never throws and is a no-op once the
 * transaction is finished, so it is safe in `finally`.
 */
export interface SqlTransaction extends SqlQueryable {
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/** A named database connection (a pool, or one SQLite handle). Every failure is a classified DeliveryError. */
export interface SqlConnection extends SqlQueryable {
  readonly name: string;
  readonly driver: DatabaseDriver;
  begin(): Promise<SqlTransaction>;
  /**
   * mysql: `CALL name(?, …)`, returning the procedure's first result set.
   * OUT parameters cannot be bound there, so a procedure returns data with SELECT.
   * postgres: `CALL name($1, …)` (a procedure's OUT/INOUT values come back as
   * one row); when the server says the name is not a procedure (42809/42883),
   * it is called as a function, `SELECT * FROM name($1, …)`, instead.
   * sqlite: permanent `UNSUPPORTED`. The name must be a plain identifier,
   * optionally schema-qualified, else permanent `INVALID_PARAMETERS`.
   */
  callProcedure(name: string, args: readonly unknown[]): Promise<QueryResult>;
}
