// Real PostgreSQL on 127.0.0.1:5432, one fresh database for this file.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG, createPgDatabase } from '../../support/index.js';
import { SqlConnections, SqlErrorCode, executeCachedWrite, type SqlConnection } from '../../../src/integrations/sql/index.js';
import { closedPort, pgConfig, rejection } from './support.js';

let db: { database: string; drop: () => Promise<void> };
let connections: SqlConnections;
let conn: SqlConnection;

beforeAll(async () => {
  db = await createPgDatabase();
  connections = new SqlConnections({ pg: pgConfig(db.database) });
  conn = connections.get('pg');
  await conn.execute('CREATE TABLE items (id serial PRIMARY KEY, name text UNIQUE NOT NULL, qty int)');
});

afterAll(async () => {
  await connections.close();
  await db.drop();
});

describe('postgres: statements', () => {
  it('queries with positional $n parameters', async () => {
    const r = await conn.query('SELECT $1::int + $2::int AS sum, $3::text AS s', [1, 2, 'x']);
    expect(r).toEqual({ rows: [{ sum: 3, s: 'x' }], rowCount: 1 });
  });

  it('executes with named @params, including a repeated one and an @ in a literal', async () => {
    const ins = await conn.execute("INSERT INTO items (name, qty) VALUES (@name || '@home', @qty), (@name, @qty)", {
      name: 'bolt',
      qty: 7,
    });
    expect(ins).toEqual({ rowsAffected: 2 });
    const r = await conn.query('SELECT name, qty FROM items WHERE qty = @qty ORDER BY name', { qty: 7 });
    expect(r.rows).toEqual([
      { name: 'bolt', qty: 7 },
      { name: 'bolt@home', qty: 7 },
    ]);
    expect(r.rowCount).toBe(2);
  });

  it('reports rows changed, and rows returned for RETURNING', async () => {
    const up = await conn.execute('UPDATE items SET qty = qty + 1 WHERE qty = $1', [7]);
    expect(up.rowsAffected).toBe(2);
    const ret = await conn.query('INSERT INTO items (name) VALUES (@n) RETURNING id, name', { n: 'nut' });
    expect(ret.rowCount).toBe(1);
    expect(typeof ret.rows[0]!.id).toBe('number');
  });

  it('binds hostile values instead of interpolating them', async () => {
    const evil = "x'); DROP TABLE items; --";
    await conn.execute('INSERT INTO items (name) VALUES (@evil)', { evil });
    const r = await conn.query('SELECT count(*) AS n FROM items WHERE name = @evil', { evil });
    expect(r.rows).toEqual([{ n: 1 }]);
  });

  it('returns plain JSON values', async () => {
    const r = await conn.query(
      `SELECT TIMESTAMPTZ '2024-03-01 12:00:00+00' AS tstz,
              TIMESTAMP '2024-03-01 12:34:56.5' AS ts,
              DATE '2024-03-01' AS d,
              '\\x0102ff'::bytea AS bin,
              9007199254740993::int8 AS big, 42::int8 AS small,
              12.50::numeric AS dec, 'NaN'::float8 AS nan,
              '{"a":[1,{"b":true}]}'::jsonb AS doc, ARRAY[1,2] AS arr, true AS flag, NULL AS nothing`,
    );
    const row = r.rows[0]!;
    expect(row).toEqual({
      tstz: '2024-03-01T12:00:00.000Z',
      ts: '2024-03-01T12:34:56.5',
      d: '2024-03-01',
      bin: Buffer.from([1, 2, 255]).toString('base64'),
      big: '9007199254740993',
      small: 42,
      dec: '12.50',
      nan: 'NaN',
      doc: { a: [1, { b: true }] },
      arr: [1, 2],
      flag: true,
      nothing: null,
    });
    expect(JSON.parse(JSON.stringify(row))).toEqual(row);
  });
});

describe('postgres: transactions', () => {
  it('commits on one dedicated connection, invisible to others until then', async () => {
    const tx = await conn.begin();
    await tx.execute('INSERT INTO items (name) VALUES (@n)', { n: 'tx-commit' });
    expect((await tx.query('SELECT 1 FROM items WHERE name = $1', ['tx-commit'])).rowCount).toBe(1);
    expect((await conn.query('SELECT 1 FROM items WHERE name = $1', ['tx-commit'])).rowCount).toBe(0);
    await tx.commit();
    expect((await conn.query('SELECT 1 FROM items WHERE name = $1', ['tx-commit'])).rowCount).toBe(1);
    const again = await rejection(tx.commit());
    expect(again.code).toBe(SqlErrorCode.TransactionFinished);
    await tx.rollback(); // no-op once finished
  });

  it('rolls back', async () => {
    const tx = await conn.begin();
    await tx.execute('INSERT INTO items (name) VALUES (@n)', { n: 'tx-rollback' });
    await tx.rollback();
    expect((await conn.query('SELECT 1 FROM items WHERE name = $1', ['tx-rollback'])).rowCount).toBe(0);
    expect((await rejection(tx.query('SELECT 1'))).code).toBe(SqlErrorCode.TransactionFinished);
  });

  it('refuses to report a failed transaction as committed', async () => {
    const tx = await conn.begin();
    await tx.execute('INSERT INTO items (name) VALUES ($1)', ['tx-aborted']);
    expect((await rejection(tx.execute('INSERT INTO items (name) VALUES ($1)', ['tx-aborted']))).code).toBe(
      SqlErrorCode.Constraint,
    );
    const next = await rejection(tx.query('SELECT 1'));
    expect(next.code).toBe(SqlErrorCode.TransactionAborted);
    const commit = await rejection(tx.commit());
    expect(commit.code).toBe(SqlErrorCode.TransactionAborted);
    expect(commit.classification).toBe('permanent');
    expect((await conn.query('SELECT 1 FROM items WHERE name = $1', ['tx-aborted'])).rowCount).toBe(0);
  });

  it('classifies a deadlock as transient SQL_DEADLOCK', async () => {
    await conn.execute('CREATE TABLE dl (id int PRIMARY KEY, v int)');
    await conn.execute('INSERT INTO dl VALUES (1, 0), (2, 0)');
    const a = await conn.begin();
    const b = await conn.begin();
    await a.execute('UPDATE dl SET v = v + 1 WHERE id = 1');
    await b.execute('UPDATE dl SET v = v + 1 WHERE id = 2');
    const results = await Promise.allSettled([
      a.execute('UPDATE dl SET v = v + 1 WHERE id = 2'),
      b.execute('UPDATE dl SET v = v + 1 WHERE id = 1'),
    ]);
    await Promise.all([a.rollback(), b.rollback()]);
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    const err = (failed[0] as PromiseRejectedResult).reason as { code: string; classification: string; message: string };
    expect(err.code).toBe(SqlErrorCode.Deadlock);
    expect(err.classification).toBe('transient');
    expect(err.message).toContain('40P01');
  });

  it('classifies a serialization failure as transient SQL_SERIALIZATION', async () => {
    await conn.execute('CREATE TABLE ser (id int PRIMARY KEY, v int)');
    await conn.execute('INSERT INTO ser VALUES (1, 0)');
    const a = await conn.begin();
    await a.execute('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await a.query('SELECT v FROM ser WHERE id = 1');
    await conn.execute('UPDATE ser SET v = 5 WHERE id = 1');
    const err = await rejection(a.execute('UPDATE ser SET v = v + 1 WHERE id = 1'));
    await a.rollback();
    expect(err.code).toBe(SqlErrorCode.Serialization);
    expect(err.transient).toBe(true);
    expect(err.details).toMatchObject({ driver: 'postgres', driverCode: '40001', connection: 'pg' });
  });
});

describe('postgres: procedures', () => {
  it('calls a procedure with CALL and returns its INOUT values', async () => {
    await conn.execute(`CREATE PROCEDURE add_item(p_name text, INOUT p_id int DEFAULT NULL)
      LANGUAGE plpgsql AS $$ BEGIN INSERT INTO items (name) VALUES (p_name) RETURNING id INTO p_id; END $$`);
    const r = await conn.callProcedure('add_item', ['from-proc', null]);
    expect(r.rowCount).toBe(1);
    expect(typeof r.rows[0]!.p_id).toBe('number');
    expect((await conn.query('SELECT 1 FROM items WHERE name = $1', ['from-proc'])).rowCount).toBe(1);
  });

  it('calls a function the function way', async () => {
    await conn.execute(`CREATE FUNCTION pairs(n int) RETURNS TABLE (i int, sq int)
      LANGUAGE sql AS $$ SELECT g, g * g FROM generate_series(1, n) g $$`);
    const r = await conn.callProcedure('pairs', [3]);
    expect(r.rows).toEqual([
      { i: 1, sq: 1 },
      { i: 2, sq: 4 },
      { i: 3, sq: 9 },
    ]);
  });

  it('rejects an unknown procedure and an unsafe name as permanent', async () => {
    expect((await rejection(conn.callProcedure('no_such_proc', [1]))).code).toBe(SqlErrorCode.UnknownObject);
    const bad = await rejection(conn.callProcedure('x(); DROP TABLE items; --', []));
    expect(bad.code).toBe(SqlErrorCode.InvalidParameters);
  });
});

describe('postgres: classification', () => {
  const cases: [string, string, unknown[] | undefined, string][] = [
    ['syntax error', 'SELEC 1', undefined, SqlErrorCode.Syntax],
    ['unknown table', 'SELECT * FROM missing_table', undefined, SqlErrorCode.UnknownObject],
    ['unique violation', 'INSERT INTO items (name) VALUES ($1)', ['bolt'], SqlErrorCode.Constraint],
    ['not-null violation', 'INSERT INTO items (qty) VALUES (1)', undefined, SqlErrorCode.Constraint],
    ['type error', "SELECT 'abc'::int", undefined, SqlErrorCode.Type],
    ['wrong parameter count', 'SELECT $1::int, $2::int', [1], SqlErrorCode.InvalidParameters],
  ];
  for (const [what, sql, params, code] of cases) {
    it(`${what} → permanent ${code}`, async () => {
      const err = await rejection(conn.execute(sql, params));
      expect(err.code).toBe(code);
      expect(err.classification).toBe('permanent');
      expect(err.message).toMatch(/^database "pg": postgres [0-9A-Z]{5}: /);
    });
  }

  it('keeps the pool usable after errors', async () => {
    expect((await conn.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('a missing named parameter is permanent INVALID_PARAMETERS', async () => {
    const err = await rejection(conn.query('SELECT @a', { b: 1 }));
    expect(err.code).toBe(SqlErrorCode.InvalidParameters);
    expect(err.classification).toBe('permanent');
  });

  it('an unreachable server is transient SQL_CONNECTION, fast, without the password', async () => {
    const port = await closedPort();
    const c = new SqlConnections({ down: pgConfig(db.database, { name: 'down', port, password: 'S3cret-pw' }) });
    const started = Date.now();
    const err = await rejection(c.get('down').query('SELECT 1'));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err.code).toBe(SqlErrorCode.Connection);
    expect(err.transient).toBe(true);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).not.toContain('S3cret-pw');
    await c.close();
  });

  it('a statement over timeoutMs is transient SQL_TIMEOUT and the connection recovers', async () => {
    const c = new SqlConnections({ slow: pgConfig(db.database, { name: 'slow', timeoutMs: 300, poolSize: 1 }) });
    const started = Date.now();
    const err = await rejection(c.get('slow').query('SELECT pg_sleep(5)'));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err.code).toBe(SqlErrorCode.Timeout);
    expect(err.transient).toBe(true);
    expect((await c.get('slow').query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    await c.close();
  });

  it('an unknown connection name is permanent UNKNOWN_CONNECTION', () => {
    expect(() => connections.get('nope')).toThrow(expect.objectContaining({ code: SqlErrorCode.UnknownConnection }));
  });
});

describe('postgres: pool', () => {
  it('never opens more than poolSize connections', async () => {
    const c = new SqlConnections({ small: pgConfig(db.database, { name: 'small', poolSize: 2 }) });
    const small = c.get('small');
    const admin = new pg.Client({ ...PG, database: 'postgres' });
    await admin.connect();
    try {
      let peak = 0;
      const watch = (async () => {
        for (let i = 0; i < 8; i++) {
          const r = await admin.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'scadalink' AND query LIKE '%pool-probe%'",
            [db.database],
          );
          peak = Math.max(peak, (r.rows[0] as { n: number }).n);
          await new Promise((resolve) => setTimeout(resolve, 40));
        }
      })();
      const results = await Promise.all(
        Array.from({ length: 6 }, () => small.query('SELECT pg_backend_pid() AS pid, pg_sleep(0.15) /* pool-probe */')),
      );
      await watch;
      const pids = new Set(results.map((r) => r.rows[0]!.pid));
      expect(pids.size).toBe(2);
      expect(peak).toBeLessThanOrEqual(2);
    } finally {
      await admin.end();
      await c.close();
    }
  });
});

describe('postgres: executeCachedWrite', () => {
  it('binds @TrackedOperationId so a repeated attempt is a no-op', async () => {
    await conn.execute('CREATE TABLE readings (op_id uuid PRIMARY KEY, value float8)');
    const sql = 'INSERT INTO readings (op_id, value) VALUES (@TrackedOperationId, @value) ON CONFLICT DO NOTHING';
    const id = '01890a5d-ac96-774b-bcce-b302099a8057';
    expect(await executeCachedWrite(conn, sql, { value: 1.5 }, id)).toEqual({ rowsAffected: 1 });
    expect(await executeCachedWrite(conn, sql, { value: 1.5 }, id)).toEqual({ rowsAffected: 0 });
    const r = await conn.query('SELECT op_id::text AS id, value FROM readings');
    expect(r.rows).toEqual([{ id, value: 1.5 }]);
  });

  it('offers the id without other parameters, and adds nothing to a positional array', async () => {
    const id = '01890a5d-ac96-774b-bcce-b302099a8058';
    await executeCachedWrite(conn, 'INSERT INTO readings (op_id) VALUES (@TrackedOperationId)', undefined, id);
    const positional = await executeCachedWrite(conn, 'UPDATE readings SET value = $1 WHERE op_id = $2', [9, id], 'ignored');
    expect(positional.rowsAffected).toBe(1);
  });
});
