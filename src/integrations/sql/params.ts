// Named parameters: `@name` in the SQL, an object of values. They are
// rewritten to the driver's own placeholders and bound, never interpolated.
// The scanner skips everything that is not code, so an `@` inside a string
// literal, a quoted identifier, a comment or a postgres dollar-quoted body is
// left alone, as are mysql `@@system` variables and postgres `@>`/`@@` operators.
import type { DatabaseDriver } from '../../config/index.js';
import { SqlErrorCode, sqlError, type SqlErrorContext } from './classify.js';
import type { SqlParams } from './types.js';

/** A statement ready for the driver: SQL with native placeholders and the values in order. */
export interface BoundStatement {
  readonly sql: string;
  readonly values: unknown[];
}

interface Dialect {
  /** `\'` escapes inside '…' (mysql; postgres only in E'…'). */
  readonly backslashEscapes: boolean;
  readonly backtickIdentifiers: boolean;
  readonly bracketIdentifiers: boolean;
  readonly hashComments: boolean;
  /** mysql: `--` starts a comment only when followed by whitespace. */
  readonly dashCommentNeedsSpace: boolean;
  readonly nestedBlockComments: boolean;
  readonly dollarQuotes: boolean;
  readonly eStrings: boolean;
}

const DIALECTS: Readonly<Record<DatabaseDriver, Dialect>> = {
  postgres: {
    backslashEscapes: false,
    backtickIdentifiers: false,
    bracketIdentifiers: false,
    hashComments: false,
    dashCommentNeedsSpace: false,
    nestedBlockComments: true,
    dollarQuotes: true,
    eStrings: true,
  },
  mysql: {
    backslashEscapes: true,
    backtickIdentifiers: true,
    bracketIdentifiers: false,
    hashComments: true,
    dashCommentNeedsSpace: true,
    nestedBlockComments: false,
    dollarQuotes: false,
    eStrings: false,
  },
  sqlite: {
    backslashEscapes: false,
    backtickIdentifiers: true,
    bracketIdentifiers: true,
    hashComments: false,
    dashCommentNeedsSpace: false,
    nestedBlockComments: false,
    dollarQuotes: false,
    eStrings: false,
  },
};

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
// A character that, just before `@`, makes it part of a word or an operator rather than a parameter.
const NOT_BEFORE_PARAM = /[A-Za-z0-9_$@]/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/;

/** End index (exclusive) of a quoted run starting at `start` with `quote`; `''`-style doubling escapes. */
function skipQuoted(sql: string, start: number, quote: string, backslash: boolean): number {
  let j = start + 1;
  while (j < sql.length) {
    const ch = sql[j];
    if (backslash && ch === '\\') {
      j += 2;
      continue;
    }
    if (ch === quote) {
      if (sql[j + 1] === quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return sql.length;
}

function skipBlockComment(sql: string, start: number, nested: boolean): number {
  let depth = 1;
  let j = start + 2;
  while (j < sql.length) {
    if (sql.startsWith('*/', j)) {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else if (nested && sql.startsWith('/*', j)) {
      depth++;
      j += 2;
    } else {
      j++;
    }
  }
  return sql.length;
}

function skipLine(sql: string, start: number): number {
  const nl = sql.indexOf('\n', start);
  return nl === -1 ? sql.length : nl + 1;
}

/** End of the non-code run (literal, identifier, comment) starting at `i`, or `i` when code starts there. */
function skipNonCode(sql: string, i: number, d: Dialect): number {
  const ch = sql[i]!;
  const prev = i > 0 ? sql[i - 1]! : '';
  if (ch === "'") {
    const eString = d.eStrings && (prev === 'E' || prev === 'e') && !IDENT_PART.test(i > 1 ? sql[i - 2]! : '');
    return skipQuoted(sql, i, "'", d.backslashEscapes || eString);
  }
  if (ch === '"') return skipQuoted(sql, i, '"', d.backslashEscapes);
  if (ch === '`' && d.backtickIdentifiers) return skipQuoted(sql, i, '`', false);
  if (ch === '[' && d.bracketIdentifiers) {
    const end = sql.indexOf(']', i + 1);
    return end === -1 ? sql.length : end + 1;
  }
  if (ch === '-' && sql[i + 1] === '-') {
    if (!d.dashCommentNeedsSpace || i + 2 >= sql.length || /\s/.test(sql[i + 2]!)) return skipLine(sql, i);
  }
  if (ch === '#' && d.hashComments) return skipLine(sql, i);
  if (ch === '/' && sql[i + 1] === '*') return skipBlockComment(sql, i, d.nestedBlockComments);
  if (ch === '$' && d.dollarQuotes && !NOT_BEFORE_PARAM.test(prev)) {
    const tag = DOLLAR_TAG.exec(sql.slice(i, i + 65))?.[0];
    if (tag !== undefined) {
      const end = sql.indexOf(tag, i + tag.length);
      return end === -1 ? sql.length : end + tag.length;
    }
  }
  return i;
}

/**
 * Calls `placeholder(name)` for each `@name` in code and splices in what it
 * returns. Exported for tests of the scanner.
 */
export function rewriteNamedPlaceholders(
  sql: string,
  driver: DatabaseDriver,
  placeholder: (name: string) => string,
): string {
  const d = DIALECTS[driver];
  const out: string[] = [];
  let copied = 0;
  let i = 0;
  while (i < sql.length) {
    const skipped = skipNonCode(sql, i, d);
    if (skipped > i) {
      i = skipped;
      continue;
    }
    if (sql[i] === '@') {
      if (sql[i + 1] === '@') {
        i += 2; // mysql @@system_variable, postgres @@ operator
        continue;
      }
      if (IDENT_START.test(sql[i + 1] ?? '') && !NOT_BEFORE_PARAM.test(i > 0 ? sql[i - 1]! : '')) {
        let end = i + 2;
        while (end < sql.length && IDENT_PART.test(sql[end]!)) end++;
        out.push(sql.slice(copied, i), placeholder(sql.slice(i + 1, end)));
        copied = end;
        i = end;
        continue;
      }
    }
    i++;
  }
  out.push(sql.slice(copied));
  return out.join('');
}

function isPlainObject(v: unknown): v is Readonly<Record<string, unknown>> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Turns SQL and parameters into what the driver binds. A positional array
 * passes through untouched (driver-native placeholders); a named object
 * rewrites every `@name` (postgres `$n`, reused for a repeated name; mysql
 * and sqlite `?`, the value repeated). Without parameters the SQL is not
 * scanned at all, so a mysql `@user_variable` still works there.
 */
export function bindParameters(
  sql: string,
  params: SqlParams | undefined,
  driver: DatabaseDriver,
  context: SqlErrorContext = {},
): BoundStatement {
  if (params === undefined) return { sql, values: [] };
  if (Array.isArray(params)) return { sql, values: [...(params as readonly unknown[])] };
  if (!isPlainObject(params)) {
    throw sqlError(SqlErrorCode.InvalidParameters, 'parameters must be an array or a plain object', context);
  }
  const values: unknown[] = [];
  const indexByName = new Map<string, number>();
  const rewritten = rewriteNamedPlaceholders(sql, driver, (name) => {
    if (!Object.hasOwn(params, name)) {
      throw sqlError(SqlErrorCode.InvalidParameters, `missing named parameter @${name}`, context, {
        details: { parameter: name },
      });
    }
    if (driver !== 'postgres') {
      values.push(params[name]);
      return '?';
    }
    let index = indexByName.get(name);
    if (index === undefined) {
      values.push(params[name]);
      index = values.length;
      indexByName.set(name, index);
    }
    return `$${index}`;
  });
  return { sql: rewritten, values };
}
