// Pieces shared by the three driver adapters.
import type { DatabaseConnectionConfig } from '../../config/index.js';
import { SqlErrorCode, sqlError, type SqlErrorContext } from './classify.js';
import type { SqlConnection, SqlTransaction } from './types.js';

/** What SqlConnections holds: a connection it can close. */
export interface ManagedSqlConnection extends SqlConnection {
  close(): Promise<void>;
}

export function errorContext(config: DatabaseConnectionConfig): SqlErrorContext {
  return { connection: config.name, secrets: [config.password] };
}

// A procedure name is spliced into the SQL, so it must be a plain (optionally
// schema-qualified) identifier. It is left unquoted so that the server folds
// its case as it would in a hand-written CALL.
const PROCEDURE_NAME = /^[A-Za-z_][A-Za-z0-9_$]*(?:\.[A-Za-z_][A-Za-z0-9_$]*)?$/;

export function procedureName(name: string, context: SqlErrorContext): string {
  if (!PROCEDURE_NAME.test(name)) {
    throw sqlError(SqlErrorCode.InvalidParameters, `invalid procedure name ${JSON.stringify(name)}`, context);
  }
  return name;
}

export function procedureArgs(args: unknown, context: SqlErrorContext): readonly unknown[] {
  if (!Array.isArray(args)) throw sqlError(SqlErrorCode.InvalidParameters, 'procedure arguments must be an array', context);
  return args as readonly unknown[];
}

/** Transient: the node is shutting down; the operation stays buffered and is retried after restart. */
export function closedError(context: SqlErrorContext): Error {
  return sqlError(SqlErrorCode.Connection, 'connection is closed', context);
}

export function finishedError(context: SqlErrorContext): Error {
  return sqlError(SqlErrorCode.TransactionFinished, 'transaction is already committed or rolled back', context);
}

export function abortedError(context: SqlErrorContext, cause?: unknown): Error {
  return sqlError(
    SqlErrorCode.TransactionAborted,
    'transaction was rolled back by the server after an earlier error; nothing was committed',
    context,
    { cause },
  );
}

/** Open transactions of one connection, so that close() can roll them back instead of waiting forever. */
export class OpenTransactions {
  readonly #open = new Set<SqlTransaction>();

  add(tx: SqlTransaction): void {
    this.#open.add(tx);
  }

  delete(tx: SqlTransaction): void {
    this.#open.delete(tx);
  }

  async rollbackAll(): Promise<void> {
    await Promise.all([...this.#open].map((tx) => tx.rollback()));
  }
}
