// The thread that holds one SQLite connection's better-sqlite3 handle, and the
// messages it speaks. better-sqlite3 is synchronous, so its statements (and
// its busy_timeout waits for another process's lock) run here instead of
// stalling the node's event loop (site issue: "Blocking I/O never stalls
// other scripts"). The thread only runs statements and reports what happened;
// sqlite-thread.ts drives it, and classify.ts classifies its failures in the
// main thread from the fields sent back.
import type Database from 'better-sqlite3';
import type { MessagePort } from 'node:worker_threads';

export type SqliteRequest =
  | { readonly op: 'open'; readonly file: string; readonly timeoutMs: number }
  /** `query` returns the rows of a statement that has them; `execute` only counts them. */
  | { readonly op: 'query' | 'execute'; readonly sql: string; readonly values: readonly unknown[] }
  /** A statement without parameters or results: BEGIN IMMEDIATE, COMMIT, ROLLBACK. */
  | { readonly op: 'exec'; readonly sql: string }
  | { readonly op: 'close' };

export type SqliteOutcome =
  /** Raw rows: 64-bit integers as bigint, blobs as bytes (values.ts converts them). */
  | { readonly kind: 'rows'; readonly rows: object[] }
  | { readonly kind: 'returned'; readonly count: number }
  | { readonly kind: 'changes'; readonly changes: number; readonly lastInsertRowid: number | bigint }
  | { readonly kind: 'cannot-open'; readonly failure: SqliteFailure }
  | { readonly kind: 'done' };

/** A thrown error as data; the main thread rebuilds it for classifySqlError. */
export interface SqliteFailure {
  /** `SqliteError`, or `TypeError` / `RangeError` for values that cannot be bound. */
  readonly name: string;
  readonly message: string;
  /** better-sqlite3's `SQLITE_…` code. */
  readonly code: string | undefined;
  readonly stack: string | undefined;
}

export type SqliteReply =
  | { readonly ok: true; readonly outcome: SqliteOutcome; readonly inTransaction: boolean }
  | { readonly ok: false; readonly failure: SqliteFailure; readonly inTransaction: boolean };

/**
 * The worker's body. It is started from its source text (sqlite-thread.ts),
 * the one way that runs the same code from dist/ and under vitest, so it must
 * not refer to anything outside itself: no imports other than types, no
 * module-level values (nor coverage counters: v8 coverage is fine, istanbul's
 * instrumentation is not). The tests fail at once with a ReferenceError if it does.
 */
export function serveSqlite(port: MessagePort, Driver: typeof Database): void {
  const STATEMENT_CACHE_SIZE = 256;
  const statements = new Map<string, Database.Statement>();
  let db: Database.Database | undefined;

  const describe = (err: unknown): SqliteFailure => {
    const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
    return {
      name: err instanceof Error ? err.name : 'Error',
      message: err instanceof Error ? err.message : String(err),
      code: typeof code === 'string' ? code : undefined,
      stack: err instanceof Error ? err.stack : undefined,
    };
  };

  const open = (file: string, timeoutMs: number): SqliteOutcome => {
    let handle: Database.Database;
    try {
      handle = new Driver(file, { timeout: timeoutMs });
    } catch (err) {
      return { kind: 'cannot-open', failure: describe(err) };
    }
    try {
      handle.pragma('journal_mode = WAL');
      // Enforce foreign keys as the other drivers do (SQLite defaults to off per connection).
      handle.pragma('foreign_keys = ON');
      // 64-bit integers come back exact, then as number-or-string (values.ts).
      handle.defaultSafeIntegers(true);
    } catch (err) {
      handle.close();
      throw err;
    }
    db = handle;
    return { kind: 'done' };
  };

  // A script's connection must not reach any other file (the site's own
  // store, the file system): ATTACH / DETACH compile to a Function call of
  // sqlite_attach / sqlite_detach, VACUUM INTO to a Vacuum opcode with a
  // target register, load_extension() to a Function call. Reading the
  // compiled program sees through every spelling, comment or quoting trick
  // a text filter would have to anticipate. It runs once per SQL text: a
  // statement found in the cache was checked when it was prepared.
  const FORBIDDEN_FUNCTIONS = /^(?:sqlite_attach|sqlite_detach|load_extension)\(/;
  // What SQLite skips before a statement (its whitespace, comments, empty
  // statements); `EXPLAIN ;SELECT …` would not compile.
  const LEADING_TRIVIA = /^(?:[ \t\n\f\r;]+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?(?:\*\/|$))*/;
  const forbidden = (what: string): Error =>
    Object.assign(new Error(`${what} is not allowed: a script's connection may use only its own database file`), {
      name: 'SqliteForbidden',
      code: 'SQL_FORBIDDEN',
    });
  const check = (handle: Database.Database, s: Database.Statement, sql: string, values: readonly unknown[]): void => {
    let explain: Database.Statement;
    try {
      explain = handle.prepare(`EXPLAIN ${sql.replace(LEADING_TRIVIA, '')}`);
    } catch {
      // The statement compiled but cannot be explained: an EXPLAIN itself, or
      // text before it that SQLite reads otherwise than the pattern above.
      // Only a statement that returns rows is let through: ATTACH, DETACH and
      // VACUUM return none (and SQLite refuses load_extension() on its own).
      if (s.reader) return;
      throw forbidden('a statement that cannot be checked');
    }
    // Bound like the statement itself, so a parameter mistake fails the same way.
    const program = explain.all(...values) as { opcode: string; p2: number | bigint; p4: unknown }[];
    for (const op of program) {
      if ((op.opcode === 'Function' || op.opcode === 'PureFunc') && typeof op.p4 === 'string') {
        const fn = FORBIDDEN_FUNCTIONS.exec(op.p4);
        if (fn !== null) throw forbidden(fn[0] === 'load_extension(' ? 'load_extension()' : fn[0] === 'sqlite_attach(' ? 'ATTACH' : 'DETACH');
      }
      if (op.opcode === 'Vacuum' && Number(op.p2) !== 0) throw forbidden('VACUUM INTO');
    }
  };

  const prepare = (handle: Database.Database, sql: string, values: readonly unknown[]): Database.Statement => {
    let s = statements.get(sql);
    if (s === undefined) {
      s = handle.prepare(sql);
      check(handle, s, sql, values);
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      statements.set(sql, s);
    }
    return s;
  };

  const perform = (req: SqliteRequest): SqliteOutcome => {
    if (req.op === 'open') return open(req.file, req.timeoutMs);
    if (req.op === 'close') {
      db?.close();
      db = undefined;
      statements.clear();
      return { kind: 'done' };
    }
    if (db === undefined) throw new Error('database is not open');
    if (req.op === 'exec') {
      db.exec(req.sql);
      return { kind: 'done' };
    }
    const s = prepare(db, req.sql, req.values);
    if (s.reader) {
      const rows = s.all(...req.values) as object[];
      return req.op === 'query' ? { kind: 'rows', rows } : { kind: 'returned', count: rows.length };
    }
    const info = s.run(...req.values);
    return { kind: 'changes', changes: info.changes, lastInsertRowid: info.lastInsertRowid };
  };

  port.on('message', (req: SqliteRequest) => {
    let reply: SqliteReply;
    try {
      const outcome = perform(req);
      reply = { ok: true, outcome, inTransaction: db?.inTransaction ?? false };
    } catch (err) {
      reply = { ok: false, failure: describe(err), inTransaction: db?.inTransaction ?? false };
    }
    port.postMessage(reply);
  });
}
