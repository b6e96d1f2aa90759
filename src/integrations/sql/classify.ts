// DESIGN §3.2 (normative): SQL transient = connection failure, timeout,
// deadlock, serialization failure, "server shutting down"; permanent = syntax
// error, constraint violation, type error, unknown table, and anything else
// the server reports that we do not recognise. Callers read
// `DeliveryError.classification`, never the message (STYLE §5).
import { DeliveryError, type FailureClass, createRedactor } from '../../commons/index.js';
import type { DatabaseDriver } from '../../config/index.js';

/** Stable codes of every DeliveryError the SQL integration throws. */
export const SqlErrorCode = {
  /** Could not connect, or the connection dropped (refused, reset, connect timeout). Transient. */
  Connection: 'SQL_CONNECTION',
  /** The server is shutting down, starting up, or out of resources (too many connections). Transient. */
  Unavailable: 'SQL_UNAVAILABLE',
  /** The statement ran longer than the connection's timeout. Transient. */
  Timeout: 'SQL_TIMEOUT',
  /** Gave up waiting for a row or table lock (mysql 1205, postgres 55P03). Transient. */
  LockTimeout: 'SQL_LOCK_TIMEOUT',
  /** Chosen as a deadlock victim (postgres 40P01, mysql 1213). Transient. */
  Deadlock: 'SQL_DEADLOCK',
  /** Serialization failure (postgres 40001). Transient. */
  Serialization: 'SQL_SERIALIZATION',
  /** sqlite: the file stayed locked by another writer past busy_timeout. Transient. */
  Busy: 'SQL_BUSY',
  /** Syntax error in the statement. Permanent. */
  Syntax: 'SQL_SYNTAX',
  /** Unique, foreign key, not-null or check constraint violated. Permanent. */
  Constraint: 'SQL_CONSTRAINT',
  /** A value does not fit its column or cannot be converted. Permanent. */
  Type: 'SQL_TYPE',
  /** Unknown table, column, function, procedure, schema or database. Permanent. */
  UnknownObject: 'SQL_UNKNOWN_OBJECT',
  /** Login rejected. Permanent: a retry with the same credentials cannot succeed. */
  Auth: 'SQL_AUTH',
  /** The user lacks a privilege, or the database is read-only. Permanent. */
  Permission: 'SQL_PERMISSION',
  /** The transaction was rolled back by the server after an error; start a new one. Permanent. */
  TransactionAborted: 'SQL_TRANSACTION_ABORTED',
  /** The transaction was already committed or rolled back. Permanent. */
  TransactionFinished: 'SQL_TRANSACTION_FINISHED',
  /** sqlite: the statement would reach another file (ATTACH, DETACH, VACUUM INTO, load_extension). Permanent. */
  Forbidden: 'SQL_FORBIDDEN',
  /** Any other error the server or driver reported. Permanent. */
  Error: 'SQL_ERROR',
  /** Parameters do not match the statement (missing `@name`, wrong count, unbindable value). Permanent. */
  InvalidParameters: 'INVALID_PARAMETERS',
  /** The driver cannot do this (sqlite stored procedures). Permanent. */
  Unsupported: 'UNSUPPORTED',
  /** No database connection of that name is configured. Permanent. */
  UnknownConnection: 'UNKNOWN_CONNECTION',
} as const;
export type SqlErrorCode = (typeof SqlErrorCode)[keyof typeof SqlErrorCode];

const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  SqlErrorCode.Connection,
  SqlErrorCode.Unavailable,
  SqlErrorCode.Timeout,
  SqlErrorCode.LockTimeout,
  SqlErrorCode.Deadlock,
  SqlErrorCode.Serialization,
  SqlErrorCode.Busy,
]);

export function classificationOf(code: SqlErrorCode): FailureClass {
  return TRANSIENT_CODES.has(code) ? 'transient' : 'permanent';
}

/** What a connection adds to the error: its name, and secrets to scrub from driver text. */
export interface SqlErrorContext {
  readonly connection?: string;
  readonly secrets?: readonly (string | undefined)[];
}

/** Builds one of our own errors (not a driver's), classified by its code. */
export function sqlError(
  code: SqlErrorCode,
  message: string,
  context: SqlErrorContext = {},
  extra: { cause?: unknown; details?: Record<string, unknown> } = {},
): DeliveryError {
  const prefix = context.connection === undefined ? '' : `database "${context.connection}": `;
  return new DeliveryError(code, prefix + message, classificationOf(code), {
    cause: extra.cause,
    details: { ...(context.connection === undefined ? {} : { connection: context.connection }), ...extra.details },
  });
}

// Socket-level failures, as node:net / node:dns report them.
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// mysql2's own client-side codes for a dead or unusable connection.
const MYSQL_CLIENT_CONNECTION_CODES: ReadonlySet<string> = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'PROTOCOL_ENQUEUE_AFTER_DESTROY',
  'POOL_CLOSED',
]);

const MYSQL_ERRNO: ReadonlyMap<number, SqlErrorCode> = new Map<number, SqlErrorCode>([
  [1213, SqlErrorCode.Deadlock],
  [1205, SqlErrorCode.LockTimeout],
  // Server shutting down / gone away / lost during query / cannot connect.
  [1053, SqlErrorCode.Unavailable],
  [1927, SqlErrorCode.Connection], // MariaDB: connection was killed
  [2002, SqlErrorCode.Connection],
  [2003, SqlErrorCode.Connection],
  [2006, SqlErrorCode.Connection],
  [2013, SqlErrorCode.Connection],
  [1040, SqlErrorCode.Unavailable], // too many connections
  [1203, SqlErrorCode.Unavailable], // user has too many connections
  // Statement interrupted by a server-side time limit.
  [1969, SqlErrorCode.Timeout], // MariaDB max_statement_time
  [3024, SqlErrorCode.Timeout], // MySQL max_execution_time
  [1317, SqlErrorCode.Timeout], // query execution was interrupted
  [1064, SqlErrorCode.Syntax],
  [1149, SqlErrorCode.Syntax],
  [1062, SqlErrorCode.Constraint], // duplicate entry
  [1586, SqlErrorCode.Constraint],
  [1169, SqlErrorCode.Constraint],
  [1451, SqlErrorCode.Constraint], // foreign key: parent row referenced
  [1452, SqlErrorCode.Constraint], // foreign key: no parent row
  [1216, SqlErrorCode.Constraint],
  [1217, SqlErrorCode.Constraint],
  [1048, SqlErrorCode.Constraint], // column cannot be null
  [1364, SqlErrorCode.Constraint], // field has no default value
  [3819, SqlErrorCode.Constraint], // MySQL check constraint
  [4025, SqlErrorCode.Constraint], // MariaDB check constraint
  [1146, SqlErrorCode.UnknownObject], // table doesn't exist
  [1051, SqlErrorCode.UnknownObject],
  [1054, SqlErrorCode.UnknownObject], // unknown column
  [1305, SqlErrorCode.UnknownObject], // procedure/function doesn't exist
  [1049, SqlErrorCode.UnknownObject], // unknown database
  [1366, SqlErrorCode.Type],
  [1292, SqlErrorCode.Type],
  [1264, SqlErrorCode.Type],
  [1265, SqlErrorCode.Type],
  [1367, SqlErrorCode.Type],
  [1406, SqlErrorCode.Type], // data too long
  [1045, SqlErrorCode.Auth],
  [1698, SqlErrorCode.Auth],
  [1044, SqlErrorCode.Permission],
  [1142, SqlErrorCode.Permission],
  [1143, SqlErrorCode.Permission],
  [1227, SqlErrorCode.Permission],
  [1370, SqlErrorCode.Permission],
  [1210, SqlErrorCode.InvalidParameters], // wrong number of arguments to a prepared statement
]);

const PG_SQLSTATE: ReadonlyMap<string, SqlErrorCode> = new Map<string, SqlErrorCode>([
  ['40P01', SqlErrorCode.Deadlock],
  ['40001', SqlErrorCode.Serialization],
  ['40003', SqlErrorCode.Connection], // statement completion unknown
  ['55P03', SqlErrorCode.LockTimeout],
  ['57014', SqlErrorCode.Timeout], // query_canceled: statement_timeout
  ['57P01', SqlErrorCode.Unavailable], // admin shutdown (also pg_terminate_backend)
  ['57P02', SqlErrorCode.Unavailable], // crash shutdown
  ['57P03', SqlErrorCode.Unavailable], // cannot connect now (starting up)
  // 08P01 protocol_violation sits in the connection class, but the pg driver
  // only provokes it with a wrong parameter count: retrying cannot help.
  ['08P01', SqlErrorCode.InvalidParameters],
  ['42601', SqlErrorCode.Syntax],
  ['42P01', SqlErrorCode.UnknownObject],
  ['42703', SqlErrorCode.UnknownObject],
  ['42883', SqlErrorCode.UnknownObject],
  ['42704', SqlErrorCode.UnknownObject],
  ['3F000', SqlErrorCode.UnknownObject],
  ['3D000', SqlErrorCode.UnknownObject],
  ['42804', SqlErrorCode.Type],
  ['42846', SqlErrorCode.Type],
  ['42P18', SqlErrorCode.Type],
  ['42501', SqlErrorCode.Permission],
  ['25006', SqlErrorCode.Permission], // read-only transaction
  ['25P02', SqlErrorCode.TransactionAborted],
]);

const PG_SQLSTATE_CLASS: ReadonlyMap<string, SqlErrorCode> = new Map<string, SqlErrorCode>([
  ['08', SqlErrorCode.Connection],
  ['53', SqlErrorCode.Unavailable], // insufficient resources, incl. too many connections
  ['23', SqlErrorCode.Constraint],
  ['22', SqlErrorCode.Type],
  ['28', SqlErrorCode.Auth],
]);

// node-postgres raises these client-side errors without a code.
const PG_CLIENT_MESSAGES: readonly [RegExp, SqlErrorCode][] = [
  [/^Query read timeout/, SqlErrorCode.Timeout],
  [/timeout exceeded when trying to connect/i, SqlErrorCode.Connection],
  [/^Connection terminated/, SqlErrorCode.Connection],
  [/^timeout expired/, SqlErrorCode.Connection],
  [/not queryable/, SqlErrorCode.Connection],
  [/^Cannot use a pool after calling end/, SqlErrorCode.Connection],
  [/^Client was closed and is not queryable/, SqlErrorCode.Connection],
];

const SQLITE_MESSAGES: readonly [RegExp, SqlErrorCode][] = [
  [/syntax error|incomplete input|unrecognized token/, SqlErrorCode.Syntax],
  [/^no such (table|column|function|index|view|module|collation)/, SqlErrorCode.UnknownObject],
  [/datatype mismatch/, SqlErrorCode.Type],
];

interface DriverFailure {
  readonly code: string | undefined;
  readonly errno: number | undefined;
  readonly sqlState: string | undefined;
  readonly message: string;
  readonly fatal: boolean;
}

function prop(err: unknown, key: string): unknown {
  return typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[key] : undefined;
}

function readFailure(err: unknown): DriverFailure {
  let code = prop(err, 'code');
  let message = err instanceof Error ? err.message : String(err);
  // node:net reports a multi-address connect failure as an AggregateError,
  // sometimes with an empty message: describe it from its parts.
  if (err instanceof AggregateError && err.errors.length > 0) {
    if (typeof code !== 'string') code = prop(err.errors[0], 'code');
    if (message === '') message = err.errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
  }
  const errno = prop(err, 'errno');
  const sqlState = prop(err, 'sqlState');
  return {
    code: typeof code === 'string' ? code : undefined,
    errno: typeof errno === 'number' ? errno : undefined,
    sqlState: typeof sqlState === 'string' ? sqlState : undefined,
    message,
    fatal: prop(err, 'fatal') === true,
  };
}

function classifyPostgres(f: DriverFailure): SqlErrorCode | undefined {
  if (f.code !== undefined && /^[0-9A-Z]{5}$/.test(f.code)) {
    return PG_SQLSTATE.get(f.code) ?? PG_SQLSTATE_CLASS.get(f.code.slice(0, 2)) ?? SqlErrorCode.Error;
  }
  if (f.code === undefined) return PG_CLIENT_MESSAGES.find(([re]) => re.test(f.message))?.[1];
  return undefined;
}

function classifyMysql(f: DriverFailure): SqlErrorCode | undefined {
  if (f.code === 'PROTOCOL_SEQUENCE_TIMEOUT') return SqlErrorCode.Timeout;
  if (f.code !== undefined && MYSQL_CLIENT_CONNECTION_CODES.has(f.code)) return SqlErrorCode.Connection;
  if (f.errno !== undefined && f.errno > 0) return MYSQL_ERRNO.get(f.errno) ?? SqlErrorCode.Error;
  if (f.code === undefined && /^Pool is closed/.test(f.message)) return SqlErrorCode.Connection;
  // A fatal error without a server errno is the socket going away.
  if (f.fatal) return SqlErrorCode.Connection;
  return undefined;
}

function classifySqlite(f: DriverFailure, err: unknown): SqlErrorCode | undefined {
  const code = f.code;
  // Set by the connection's own check in sqlite-worker.ts, not by SQLite.
  if (code === SqlErrorCode.Forbidden) return SqlErrorCode.Forbidden;
  if (code === undefined || !code.startsWith('SQLITE_')) {
    // better-sqlite3 raises TypeError/RangeError for values it cannot bind
    // and for a wrong parameter count.
    if (err instanceof TypeError || err instanceof RangeError) return SqlErrorCode.InvalidParameters;
    return undefined;
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return SqlErrorCode.Busy;
  if (code.startsWith('SQLITE_CONSTRAINT')) return SqlErrorCode.Constraint;
  // A database file that cannot be opened (missing mount, network share) is
  // this driver's connection failure.
  if (code.startsWith('SQLITE_CANTOPEN')) return SqlErrorCode.Connection;
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL' || code === 'SQLITE_NOMEM') return SqlErrorCode.Unavailable;
  if (code === 'SQLITE_MISMATCH') return SqlErrorCode.Type;
  if (code === 'SQLITE_RANGE') return SqlErrorCode.InvalidParameters;
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_AUTH' || code === 'SQLITE_PERM') return SqlErrorCode.Permission;
  return SQLITE_MESSAGES.find(([re]) => re.test(f.message))?.[1] ?? SqlErrorCode.Error;
}

function classifyCode(f: DriverFailure, err: unknown, driver: DatabaseDriver): SqlErrorCode {
  if (f.code !== undefined && NETWORK_CODES.has(f.code)) return SqlErrorCode.Connection;
  const byDriver =
    driver === 'postgres' ? classifyPostgres(f) : driver === 'mysql' ? classifyMysql(f) : classifySqlite(f, err);
  return byDriver ?? SqlErrorCode.Error;
}

function scrub(text: string, secrets: readonly (string | undefined)[] | undefined): string {
  return createRedactor(secrets ?? []).text(text);
}

/**
 * Maps an error thrown by pg, mysql2 or better-sqlite3 to a DeliveryError with
 * a stable `SqlErrorCode` and its §3.2 classification. The message carries the
 * driver's code and text (never the password); `details` carry `driverCode`,
 * `errno` and `sqlState` for programs. A DeliveryError passes through unchanged.
 */
export function classifySqlError(err: unknown, driver: DatabaseDriver, context: SqlErrorContext = {}): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const f = readFailure(err);
  const code = classifyCode(f, err, driver);
  const driverCode = f.code ?? (f.errno === undefined ? undefined : String(f.errno));
  const tag = [driverCode, f.errno !== undefined && String(f.errno) !== driverCode ? `(${f.errno})` : undefined]
    .filter((s) => s !== undefined)
    .join(' ');
  const text = scrub(f.message, context.secrets);
  const message = tag === '' ? `${driver}: ${text}` : `${driver} ${tag}: ${text}`;
  const details: Record<string, unknown> = { driver };
  if (driverCode !== undefined) details.driverCode = driverCode;
  if (f.errno !== undefined) details.errno = f.errno;
  if (f.sqlState !== undefined) details.sqlState = f.sqlState;
  const detail = prop(err, 'detail');
  if (typeof detail === 'string') details.detail = scrub(detail, context.secrets);
  return sqlError(code, message, context, { cause: err, details });
}
