// Real MariaDB on 127.0.0.1:3306, one fresh database for this file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlDatabase } from '../../support/index.js';
import { SqlConnections, SqlErrorCode, executeCachedWrite, type SqlConnection } from '../../../src/integrations/sql/index.js';
import { closedPort, mysqlConfig, rejection } from './support.js';

let db: { database: string; drop: () => Promise<void> };
let connections: SqlConnections;
let conn: SqlConnection;

beforeAll(async () => {
  db = await createMysqlDatabase();
  connections = new SqlConnections({ my: mysqlConfig(db.database) });
  conn = connections.get('my');
  await conn.execute(
    'CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL UNIQUE, qty INT) ENGINE=InnoDB',
  );
});

afterAll(async () => {
  await connections.close();
  await db.drop();
});

describe('mysql: statements', () => {
  it('queries with positional ? parameters', async () => {
    const r = await conn.query('SELECT ? + ? AS sum, ? AS s', [1, 2, 'x']);
    expect(r).toEqual({ rows: [{ sum: 3, s: 'x' }], rowCount: 1 });
  });

  it('executes with named @params, leaving @@system variables and literals alone', async () => {
    const ins = await conn.execute("INSERT INTO items (name, qty) VALUES (CONCAT(@name, '@home'), @qty), (@name, @qty)", {
      name: 'bolt',
      qty: 7,
    });
    expect(ins.rowsAffected).toBe(2);
    expect(typeof ins.lastInsertId).toBe('number');
    const r = await conn.query('SELECT name, qty, @@autocommit AS ac FROM items WHERE qty = @qty ORDER BY name', { qty: 7 });
    expect(r.rows).toEqual([
      { name: 'bolt', qty: 7, ac: 1 },
      { name: 'bolt@home', qty: 7, ac: 1 },
    ]);
  });

  it('keeps user variables working when no parameters are given', async () => {
    const tx = await conn.begin();
    await tx.execute('SET @counter = 41');
    expect((await tx.query('SELECT @counter + 1 AS n')).rows).toEqual([{ n: 42 }]);
    await tx.rollback();
  });

  it('binds hostile values instead of interpolating them', async () => {
    const evil = "x'); DROP TABLE items; -- \\";
    await conn.execute('INSERT INTO items (name) VALUES (@evil)', { evil });
    const r = await conn.query('SELECT COUNT(*) AS n FROM items WHERE name = @evil', { evil });
    expect(r.rows).toEqual([{ n: 1 }]);
  });

  it('returns plain JSON values', async () => {
    await conn.execute(`CREATE TABLE vals (dt DATETIME(3), d DATE, bin BLOB, big BIGINT, small BIGINT,
      dec_ DECIMAL(10,2), doc JSON, flag TINYINT(1))`);
    await conn.execute('INSERT INTO vals VALUES (@dt, @d, @bin, @big, @small, @dec, @doc, @flag)', {
      dt: new Date('2024-03-01T12:34:56.789Z'),
      d: '2024-03-01',
      bin: Buffer.from([1, 2, 255]),
      big: 9007199254740993n,
      small: 42,
      dec: '12.50',
      doc: { a: [1, { b: true }] },
      flag: true,
    });
    const row = (await conn.query('SELECT * FROM vals')).rows[0]!;
    expect(row).toEqual({
      dt: '2024-03-01T12:34:56.789Z',
      d: '2024-03-01',
      bin: Buffer.from([1, 2, 255]).toString('base64'),
      big: '9007199254740993',
      small: 42,
      dec_: '12.50',
      doc: { a: [1, { b: true }] },
      flag: 1,
    });
    expect(JSON.parse(JSON.stringify(row))).toEqual(row);
  });
});

describe('mysql: transactions', () => {
  it('commits on one dedicated connection, invisible to others until then', async () => {
    const tx = await conn.begin();
    await tx.execute('INSERT INTO items (name) VALUES (@n)', { n: 'tx-commit' });
    expect((await tx.query('SELECT 1 FROM items WHERE name = ?', ['tx-commit'])).rowCount).toBe(1);
    expect((await conn.query('SELECT 1 FROM items WHERE name = ?', ['tx-commit'])).rowCount).toBe(0);
    await tx.commit();
    expect((await conn.query('SELECT 1 FROM items WHERE name = ?', ['tx-commit'])).rowCount).toBe(1);
    expect((await rejection(tx.commit())).code).toBe(SqlErrorCode.TransactionFinished);
  });

  it('rolls back', async () => {
    const tx = await conn.begin();
    await tx.execute('INSERT INTO items (name) VALUES (@n)', { n: 'tx-rollback' });
    await tx.rollback();
    await tx.rollback();
    expect((await conn.query('SELECT 1 FROM items WHERE name = ?', ['tx-rollback'])).rowCount).toBe(0);
  });

  it('classifies a deadlock as transient SQL_DEADLOCK and refuses to go on autocommitting', async () => {
    await conn.execute('CREATE TABLE dl (id INT PRIMARY KEY, v INT) ENGINE=InnoDB');
    await conn.execute('INSERT INTO dl VALUES (1, 0), (2, 0)');
    const a = await conn.begin();
    const b = await conn.begin();
    await a.execute('UPDATE dl SET v = v + 1 WHERE id = 1');
    await b.execute('UPDATE dl SET v = v + 1 WHERE id = 2');
    const pa = a.execute('UPDATE dl SET v = v + 1 WHERE id = 2');
    await new Promise((resolve) => setTimeout(resolve, 100)); // a is now waiting for b
    const results = await Promise.allSettled([pa, b.execute('UPDATE dl SET v = v + 1 WHERE id = 1')]);
    const failed = results.findIndex((r) => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    const err = (results[failed] as PromiseRejectedResult).reason as { code: string; classification: string; message: string };
    expect(err.code).toBe(SqlErrorCode.Deadlock);
    expect(err.classification).toBe('transient');
    expect(err.message).toContain('1213');
    const victim = failed === 0 ? a : b;
    const survivor = failed === 0 ? b : a;
    expect((await rejection(victim.execute('UPDATE dl SET v = 100 WHERE id = 1'))).code).toBe(
      SqlErrorCode.TransactionAborted,
    );
    expect((await rejection(victim.commit())).code).toBe(SqlErrorCode.TransactionAborted);
    await survivor.commit();
    const rows = (await conn.query('SELECT v FROM dl ORDER BY id')).rows;
    expect(rows).not.toContainEqual({ v: 100 });
  });

  it('classifies a lock wait timeout as transient SQL_LOCK_TIMEOUT', async () => {
    await conn.execute('CREATE TABLE lw (id INT PRIMARY KEY, v INT) ENGINE=InnoDB');
    await conn.execute('INSERT INTO lw VALUES (1, 0)');
    const holder = await conn.begin();
    await holder.execute('UPDATE lw SET v = 1 WHERE id = 1');
    // A separate pool, so the session setting does not leak into the shared one.
    const other = new SqlConnections({ w: mysqlConfig(db.database, { name: 'w', poolSize: 1 }) });
    const waiter = await other.get('w').begin();
    await waiter.execute('SET SESSION innodb_lock_wait_timeout = 1');
    const err = await rejection(waiter.execute('UPDATE lw SET v = 2 WHERE id = 1'));
    await waiter.rollback();
    await holder.rollback();
    await other.close();
    expect(err.code).toBe(SqlErrorCode.LockTimeout);
    expect(err.transient).toBe(true);
  });
});

describe('mysql: procedures', () => {
  it('calls a procedure and returns its first result set', async () => {
    await conn.execute(`CREATE PROCEDURE add_item(IN p_name VARCHAR(100), IN p_qty INT)
      BEGIN INSERT INTO items (name, qty) VALUES (p_name, p_qty); SELECT id, name, qty FROM items WHERE name = p_name; END`);
    const r = await conn.callProcedure('add_item', ['from-proc', 3]);
    expect(r.rowCount).toBe(1);
    expect(r.rows[0]).toMatchObject({ name: 'from-proc', qty: 3 });
  });

  it('calls a procedure without a result set', async () => {
    await conn.execute('CREATE PROCEDURE bump(IN p_by INT) BEGIN UPDATE items SET qty = qty + p_by WHERE qty IS NOT NULL; END');
    const r = await conn.callProcedure('bump', [1]);
    expect(r.rows).toEqual([]);
  });

  it('rejects an unknown procedure as permanent SQL_UNKNOWN_OBJECT', async () => {
    const err = await rejection(conn.callProcedure('no_such_proc', []));
    expect(err.code).toBe(SqlErrorCode.UnknownObject);
    expect(err.classification).toBe('permanent');
  });
});

describe('mysql: classification', () => {
  const cases: [string, string, unknown[] | undefined, string][] = [
    ['syntax error', 'SELEC 1', undefined, SqlErrorCode.Syntax],
    ['syntax error (prepared)', 'SELEC ?', [1], SqlErrorCode.Syntax],
    ['unknown table', 'SELECT * FROM missing_table', undefined, SqlErrorCode.UnknownObject],
    ['duplicate key', 'INSERT INTO items (name) VALUES (?)', ['bolt'], SqlErrorCode.Constraint],
    ['not-null violation', 'INSERT INTO items (name) VALUES (?)', [null], SqlErrorCode.Constraint],
    ['wrong parameter count', 'SELECT ? + ?', [1], SqlErrorCode.InvalidParameters],
  ];
  for (const [what, sql, params, code] of cases) {
    it(`${what} → permanent ${code}`, async () => {
      const err = await rejection(conn.execute(sql, params));
      expect(err.code).toBe(code);
      expect(err.classification).toBe('permanent');
      expect(err.message).toMatch(/^database "my": mysql [A-Z_]+ \(\d+\): /);
    });
  }

  it('a type error in strict mode → permanent SQL_TYPE', async () => {
    const err = await rejection(conn.execute('INSERT INTO items (name, qty) VALUES (?, ?)', ['typed', 'not a number']));
    expect(err.code).toBe(SqlErrorCode.Type);
    expect(err.classification).toBe('permanent');
  });

  it('an unreachable server is transient SQL_CONNECTION, fast', async () => {
    const port = await closedPort();
    const c = new SqlConnections({ down: mysqlConfig(db.database, { name: 'down', port }) });
    const started = Date.now();
    const err = await rejection(c.get('down').query('SELECT 1'));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err.code).toBe(SqlErrorCode.Connection);
    expect(err.transient).toBe(true);
    await c.close();
  });

  it('a rejected login is permanent SQL_AUTH and does not reveal the password', async () => {
    const c = new SqlConnections({ bad: mysqlConfig(db.database, { name: 'bad', user: 'nobody_here', password: 'S3cret-pw' }) });
    const err = await rejection(c.get('bad').query('SELECT 1'));
    expect(err.code).toBe(SqlErrorCode.Auth);
    expect(err.classification).toBe('permanent');
    expect(err.message).toContain('1045');
    expect(err.message).not.toContain('S3cret-pw');
    await c.close();
  });

  it('a statement over timeoutMs is transient SQL_TIMEOUT and is stopped on the server', async () => {
    const c = new SqlConnections({ slow: mysqlConfig(db.database, { name: 'slow', timeoutMs: 400, poolSize: 2 }) });
    const slow = c.get('slow');
    const started = Date.now();
    const err = await rejection(slow.query('SELECT SLEEP(5) /* sleep-probe */'));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err.code).toBe(SqlErrorCode.Timeout);
    expect(err.transient).toBe(true);
    expect((await slow.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const running = await conn.query(
      "SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = ? AND info LIKE '%sleep-probe%' AND info NOT LIKE '%processlist%'",
      [db.database],
    );
    expect(running.rows).toEqual([{ n: 0 }]);
    await c.close();
  });
});

describe('mysql: pool', () => {
  it('never opens more than poolSize connections', async () => {
    const c = new SqlConnections({ small: mysqlConfig(db.database, { name: 'small', poolSize: 2 }) });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => c.get('small').query('SELECT CONNECTION_ID() AS id, SLEEP(0.15) AS s')),
    );
    expect(new Set(results.map((r) => r.rows[0]!.id)).size).toBe(2);
    await c.close();
  });
});

describe('mysql: executeCachedWrite', () => {
  it('binds @TrackedOperationId so a repeated attempt is a no-op', async () => {
    await conn.execute('CREATE TABLE readings (op_id CHAR(36) PRIMARY KEY, value DOUBLE)');
    const sql = 'INSERT IGNORE INTO readings (op_id, value) VALUES (@TrackedOperationId, @value)';
    const id = '01890a5d-ac96-774b-bcce-b302099a8057';
    expect((await executeCachedWrite(conn, sql, { value: 1.5 }, id)).rowsAffected).toBe(1);
    expect((await executeCachedWrite(conn, sql, { value: 1.5 }, id)).rowsAffected).toBe(0);
    expect((await conn.query('SELECT op_id, value FROM readings')).rows).toEqual([{ op_id: id, value: 1.5 }]);
  });
});
