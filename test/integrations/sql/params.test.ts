import { describe, expect, it } from 'vitest';
import { bindParameters, rewriteNamedPlaceholders } from '../../../src/integrations/sql/params.js';
import { SqlErrorCode } from '../../../src/integrations/sql/index.js';
import { DeliveryError } from '../../../src/commons/index.js';

/** Marks each parameter as <name> so the scanner's choices are visible. */
function mark(sql: string, driver: 'postgres' | 'mysql' | 'sqlite'): string {
  return rewriteNamedPlaceholders(sql, driver, (name) => `<${name}>`);
}

describe('named parameter scanner', () => {
  it('rewrites @name in code on every driver', () => {
    for (const driver of ['postgres', 'mysql', 'sqlite'] as const) {
      expect(mark('SELECT * FROM t WHERE a = @a AND b=@b_2,(@c)', driver)).toBe(
        'SELECT * FROM t WHERE a = <a> AND b=<b_2>,(<c>)',
      );
    }
  });

  it('skips single-quoted literals, with doubled quotes', () => {
    expect(mark("SELECT 'x@a', 'it''s @b', @c", 'postgres')).toBe("SELECT 'x@a', 'it''s @b', <c>");
    expect(mark("SELECT 'it''s @b', @c", 'sqlite')).toBe("SELECT 'it''s @b', <c>");
  });

  it('honours backslash escapes in mysql strings and postgres E-strings only', () => {
    expect(mark("SELECT 'a\\' @x', @y", 'mysql')).toBe("SELECT 'a\\' @x', <y>");
    expect(mark("SELECT E'a\\' @x', @y", 'postgres')).toBe("SELECT E'a\\' @x', <y>");
    // A standard postgres string ends at the first quote: the backslash is literal.
    expect(mark("SELECT 'a\\', @y", 'postgres')).toBe("SELECT 'a\\', <y>");
  });

  it('skips quoted identifiers', () => {
    expect(mark('SELECT "col@a", @b FROM "t@""x"', 'postgres')).toBe('SELECT "col@a", <b> FROM "t@""x"');
    expect(mark('SELECT `col@a`, @b', 'mysql')).toBe('SELECT `col@a`, <b>');
    expect(mark('SELECT [col@a], `c@d`, @b', 'sqlite')).toBe('SELECT [col@a], `c@d`, <b>');
    // In postgres a bracket is an array subscript, so a parameter inside it is real.
    expect(mark('SELECT arr[@i]', 'postgres')).toBe('SELECT arr[<i>]');
  });

  it('skips line and block comments', () => {
    expect(mark('SELECT @a -- where @b\n, @c', 'postgres')).toBe('SELECT <a> -- where @b\n, <c>');
    expect(mark('SELECT /* @x */ @a', 'sqlite')).toBe('SELECT /* @x */ <a>');
    expect(mark('SELECT /* outer /* inner @x */ still @y */ @a', 'postgres')).toBe(
      'SELECT /* outer /* inner @x */ still @y */ <a>',
    );
    expect(mark('SELECT @a # note @b\n, @c', 'mysql')).toBe('SELECT <a> # note @b\n, <c>');
    expect(mark('SELECT @a -- note @b\n', 'mysql')).toBe('SELECT <a> -- note @b\n');
    // mysql: "--" without a following space is two minus signs, not a comment.
    expect(mark('SELECT 1--@a', 'mysql')).toBe('SELECT 1--<a>');
  });

  it('skips postgres dollar-quoted bodies', () => {
    const body = 'CREATE FUNCTION f() RETURNS int AS $fn$ SELECT @x; $$ @y $$ $fn$ LANGUAGE sql; SELECT $$@z$$, @w';
    expect(mark(body, 'postgres')).toBe(
      'CREATE FUNCTION f() RETURNS int AS $fn$ SELECT @x; $$ @y $$ $fn$ LANGUAGE sql; SELECT $$@z$$, <w>',
    );
  });

  it('leaves system variables, operators and words containing @ alone', () => {
    expect(mark('SELECT @@version, @@session.sql_mode, @a', 'mysql')).toBe('SELECT @@version, @@session.sql_mode, <a>');
    expect(mark("SELECT doc @> '{}' AND v @@ q AND x = @a", 'postgres')).toBe("SELECT doc @> '{}' AND v @@ q AND x = <a>");
    expect(mark('GRANT ALL TO bob@localhost', 'mysql')).toBe('GRANT ALL TO bob@localhost');
    expect(mark('SELECT @a::int', 'postgres')).toBe('SELECT <a>::int');
  });
});

describe('bindParameters', () => {
  it('numbers postgres placeholders and reuses one for a repeated name', () => {
    expect(bindParameters('SELECT @a, @b, @a', { a: 1, b: 'x' }, 'postgres')).toEqual({
      sql: 'SELECT $1, $2, $1',
      values: [1, 'x'],
    });
  });

  it('uses ? on mysql and sqlite, repeating the value for a repeated name', () => {
    for (const driver of ['mysql', 'sqlite'] as const) {
      expect(bindParameters('SELECT @a, @b, @a', { a: 1, b: 'x' }, driver)).toEqual({
        sql: 'SELECT ?, ?, ?',
        values: [1, 'x', 1],
      });
    }
  });

  it('passes positional arrays and absent parameters through untouched', () => {
    expect(bindParameters('SELECT $1, @a', [5], 'postgres')).toEqual({ sql: 'SELECT $1, @a', values: [5] });
    expect(bindParameters('SET @v = 1', undefined, 'mysql')).toEqual({ sql: 'SET @v = 1', values: [] });
  });

  it('binds a present-but-undefined value and never interpolates', () => {
    const evil = "'); DROP TABLE t; --";
    expect(bindParameters('INSERT INTO t VALUES (@a, @b)', { a: evil, b: undefined }, 'sqlite')).toEqual({
      sql: 'INSERT INTO t VALUES (?, ?)',
      values: [evil, undefined],
    });
  });

  it('rejects a missing named parameter as permanent INVALID_PARAMETERS', () => {
    let caught: unknown;
    try {
      bindParameters('SELECT @a, @missing', { a: 1 }, 'postgres', { connection: 'erp' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DeliveryError);
    const e = caught as DeliveryError;
    expect(e.code).toBe(SqlErrorCode.InvalidParameters);
    expect(e.classification).toBe('permanent');
    expect(e.message).toContain('@missing');
    expect(e.details).toMatchObject({ connection: 'erp', parameter: 'missing' });
  });

  it('rejects parameters that are neither an array nor a plain object', () => {
    expect(() => bindParameters('SELECT 1', 'x' as never, 'mysql')).toThrow(/array or a plain object/);
    expect(() => bindParameters('SELECT 1', new Date() as never, 'mysql')).toThrow(/array or a plain object/);
  });
});
