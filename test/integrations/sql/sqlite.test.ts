// Real SQLite files in a temporary directory.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../support/index.js';
import { SqlConnections, SqlErrorCode, executeCachedWrite, type SqlConnection } from '../../../src/integrations/sql/index.js';
import { rejection, sqliteConfig } from './support.js';

let tmp: { dir: string; cleanup: () => void };
let file: string;
let connections: SqlConnections;
let conn: SqlConnection;

beforeAll(async () => {
  tmp = tempDir();
  file = join(tmp.dir, 'site.db');
  connections = new SqlConnections({ lite: sqliteConfig(file, { timeoutMs: 200 }) });
  conn = connections.get('lite');
  await conn.execute('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, qty INTEGER)');
});

afterAll(async () => {
  await connections.close();
  tmp.cleanup();
});

describe('sqlite: statements', () => {
  it('opens the file in WAL mode', async () => {
    expect((await conn.query('PRAGMA journal_mode')).rows).toEqual([{ journal_mode: 'wal' }]);
  });

  it('queries with positional ? parameters', async () => {
    const r = await conn.query('SELECT ? + ? AS sum, ? AS s', [1, 2, 'x']);
    expect(r).toEqual({ rows: [{ sum: 3, s: 'x' }], rowCount: 1 });
  });

  it('executes with named @params and reports the inserted rowid', async () => {
    const ins = await conn.execute("INSERT INTO items (name, qty) VALUES (@name || '@home', @qty)", { name: 'bolt', qty: 7 });
    expect(ins).toEqual({ rowsAffected: 1, lastInsertId: 1 });
    await conn.execute('INSERT INTO items (name, qty) VALUES (@name, @qty)', { name: 'bolt', qty: 7 });
    const up = await conn.execute('UPDATE items SET qty = @qty + 1 WHERE qty = @qty', { qty: 7 });
    expect(up).toEqual({ rowsAffected: 2 });
    const r = await conn.query('SELECT name, qty FROM items ORDER BY name');
    expect(r.rows).toEqual([
      { name: 'bolt', qty: 8 },
      { name: 'bolt@home', qty: 8 },
    ]);
  });

  it('returns plain JSON values and binds booleans, dates, bigints and objects', async () => {
    await conn.execute('CREATE TABLE vals (b BLOB, big INTEGER, small INTEGER, flag INTEGER, at TEXT, doc TEXT, r REAL)');
    await conn.execute('INSERT INTO vals VALUES (@b, @big, @small, @flag, @at, @doc, @r)', {
      b: Buffer.from([1, 2, 255]),
      big: 9007199254740993n,
      small: 42,
      flag: true,
      at: new Date('2024-03-01T12:00:00Z'),
      doc: { a: 1 },
      r: 0.5,
    });
    const row = (await conn.query('SELECT * FROM vals')).rows[0]!;
    expect(row).toEqual({
      b: Buffer.from([1, 2, 255]).toString('base64'),
      big: '9007199254740993',
      small: 42,
      flag: 1,
      at: '2024-03-01T12:00:00.000Z',
      doc: '{"a":1}',
      r: 0.5,
    });
  });
});

describe('sqlite: transactions', () => {
  it('commits, and queues other callers until the transaction ends', async () => {
    const tx = await conn.begin();
    await tx.execute('INSERT INTO items (name) VALUES (@n)', { n: 'tx-commit' });
    const order: string[] = [];
    const outside = conn.query('SELECT COUNT(*) AS n FROM items WHERE name = ?', ['tx-commit']).then((r) => {
      order.push('outside');
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    order.push('commit');
    await tx.commit();
    // The outside query ran after the commit, not inside the open transaction.
    expect((await outside).rows).toEqual([{ n: 1 }]);
    expect(order).toEqual(['commit', 'outside']);
    expect((await rejection(tx.execute('SELECT 1'))).code).toBe(SqlErrorCode.TransactionFinished);
  });

  it('rolls back', async () => {
    const tx = await conn.begin();
    await tx.execute('INSERT INTO items (name) VALUES (@n)', { n: 'tx-rollback' });
    await tx.rollback();
    expect((await conn.query('SELECT 1 FROM items WHERE name = ?', ['tx-rollback'])).rowCount).toBe(0);
  });
});

describe('sqlite: classification', () => {
  const cases: [string, string, unknown[] | undefined, string][] = [
    ['syntax error', 'SELEC 1', undefined, SqlErrorCode.Syntax],
    ['unknown table', 'SELECT * FROM missing_table', undefined, SqlErrorCode.UnknownObject],
    ['unique violation', 'INSERT INTO items (name) VALUES (?)', ['bolt'], SqlErrorCode.Constraint],
    ['not-null violation', 'INSERT INTO items (qty) VALUES (1)', undefined, SqlErrorCode.Constraint],
    ['wrong parameter count', 'SELECT ? + ?', [1], SqlErrorCode.InvalidParameters],
    ['unbindable value', 'SELECT ?', [() => 1], SqlErrorCode.InvalidParameters],
  ];
  for (const [what, sql, params, code] of cases) {
    it(`${what} → permanent ${code}`, async () => {
      const err = await rejection(conn.execute(sql, params));
      expect(err.code).toBe(code);
      expect(err.classification).toBe('permanent');
    });
  }

  it('stored procedures are permanent UNSUPPORTED', async () => {
    const err = await rejection(conn.callProcedure('anything', []));
    expect(err.code).toBe(SqlErrorCode.Unsupported);
    expect(err.classification).toBe('permanent');
  });

  it('a file locked by another writer past busy_timeout is transient SQL_BUSY, then works', async () => {
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      const err = await rejection(conn.execute('INSERT INTO items (name) VALUES (?)', ['while-locked']));
      expect(err.code).toBe(SqlErrorCode.Busy);
      expect(err.transient).toBe(true);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect((await conn.execute('INSERT INTO items (name) VALUES (?)', ['after-lock'])).rowsAffected).toBe(1);
  });

  it('a file that cannot be opened is transient SQL_CONNECTION', async () => {
    const c = new SqlConnections({ gone: sqliteConfig(join(tmp.dir, 'no-such-dir', 'x.db'), { name: 'gone' }) });
    const err = await rejection(c.get('gone').query('SELECT 1'));
    expect(err.code).toBe(SqlErrorCode.Connection);
    expect(err.transient).toBe(true);
    await c.close();
  });

  it('close() rolls back an open transaction', async () => {
    const c = new SqlConnections({ x: sqliteConfig(file, { name: 'x' }) });
    const tx = await c.get('x').begin();
    await tx.execute('INSERT INTO items (name) VALUES (?)', ['open-at-close']);
    await c.close();
    expect((await conn.query('SELECT 1 FROM items WHERE name = ?', ['open-at-close'])).rowCount).toBe(0);
    expect((await rejection(tx.commit())).code).toBe(SqlErrorCode.TransactionFinished);
  });

  it('calls after close fail transient', async () => {
    const c = new SqlConnections({ x: sqliteConfig(join(tmp.dir, 'closed.db'), { name: 'x' }) });
    const x = c.get('x');
    await x.query('SELECT 1');
    await c.close();
    expect((await rejection(x.query('SELECT 1'))).transient).toBe(true);
  });
});

describe('sqlite: executeCachedWrite', () => {
  it('binds @TrackedOperationId so a repeated attempt is a no-op', async () => {
    await conn.execute('CREATE TABLE readings (op_id TEXT PRIMARY KEY, value REAL)');
    const sql = 'INSERT INTO readings (op_id, value) VALUES (@TrackedOperationId, @value) ON CONFLICT DO NOTHING';
    const id = '01890a5d-ac96-774b-bcce-b302099a8057';
    expect((await executeCachedWrite(conn, sql, { value: 2 }, id)).rowsAffected).toBe(1);
    expect((await executeCachedWrite(conn, sql, { value: 2 }, id)).rowsAffected).toBe(0);
    expect((await conn.query('SELECT * FROM readings')).rows).toEqual([{ op_id: id, value: 2 }]);
  });
});

// A recursive count that keeps SQLite busy for about `ms` on this machine
// (calibrated, so that the tests below hold on faster and slower machines).
async function slowCount(ms: number): Promise<{ sql: string; n: number }> {
  const cte = (n: number) => `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n}) SELECT count(*) AS n FROM c`;
  const probe = 300_000;
  const started = performance.now();
  await conn.query(cte(probe));
  const n = Math.ceil((probe * ms) / Math.max(performance.now() - started, 1));
  return { sql: cte(n), n };
}

describe('sqlite: statements run in a worker thread', () => {
  it('a slow statement stalls neither the event loop nor another connection', async () => {
    const c = new SqlConnections({ slow: sqliteConfig(file, { name: 'slow' }), quick: sqliteConfig(file, { name: 'quick' }) });
    try {
      const slow = c.get('slow');
      const quick = c.get('quick');
      await Promise.all([slow.query('SELECT 1'), quick.query('SELECT 1')]); // both threads started
      const { sql, n } = await slowCount(1_000);

      let ticks = 0;
      let last = performance.now();
      let maxGap = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
        ticks += 1;
      }, 10);
      const order: string[] = [];
      const started = performance.now();
      try {
        const slowDone = slow.query(sql).then((r) => {
          order.push('slow');
          return r;
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
        const counted = await quick.query('SELECT COUNT(*) AS n FROM items');
        order.push('quick');
        expect(counted.rowCount).toBe(1);
        expect((await slowDone).rows).toEqual([{ n }]);
      } finally {
        clearInterval(timer);
      }
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThan(300);
      expect(order).toEqual(['quick', 'slow']);
      // In the main thread, the statement would have been one gap of ~1 s and no ticks.
      expect(ticks).toBeGreaterThanOrEqual(Math.min(20, elapsed / 40));
      expect(maxGap).toBeLessThan(250);
    } finally {
      await c.close();
    }
  });

  it('a statement past timeoutMs + grace is transient SQL_TIMEOUT and takes its transaction with it', async () => {
    const timeoutFile = join(tmp.dir, 'timeout.db');
    const c = new SqlConnections({ t: sqliteConfig(timeoutFile, { name: 't', timeoutMs: 50 }) });
    try {
      const t = c.get('t');
      await t.execute('CREATE TABLE marks (name TEXT)');
      const { sql } = await slowCount(3_000); // well past the deadline of 50 ms + 1 s grace
      const tx = await t.begin();
      await tx.execute('INSERT INTO marks VALUES (?)', ['in-timed-out-tx']);
      const started = performance.now();
      const err = await rejection(tx.query(sql));
      expect(err.code).toBe(SqlErrorCode.Timeout);
      expect(err.transient).toBe(true);
      expect(performance.now() - started).toBeLessThan(2_500);
      // The transaction went with the abandoned thread; the lock is released.
      expect((await rejection(tx.execute('SELECT 1'))).code).toBe(SqlErrorCode.TransactionAborted);
      expect((await rejection(tx.commit())).code).toBe(SqlErrorCode.TransactionAborted);
      // SQLite cannot be interrupted: until the statement returns, the
      // connection refuses instead of opening a second handle beside it.
      const refused = await rejection(t.query('SELECT 1'));
      expect(refused.code).toBe(SqlErrorCode.Unavailable);
      expect(refused.transient).toBe(true);
      // Then a fresh thread opens; nothing of the transaction was committed.
      await vi.waitFor(async () => expect((await t.query('SELECT COUNT(*) AS n FROM marks')).rows).toEqual([{ n: 0 }]), {
        timeout: 20_000,
        interval: 100,
      });
      await t.execute('INSERT INTO marks VALUES (?)', ['after']);
    } finally {
      await c.close();
    }
  });
});

describe('issue 8: sqlite connection stays on its own file', () => {
  it('issue 8: a file: URI as the configured file is refused with SQL_FORBIDDEN and opens nothing', async () => {
    const target = join(tmp.dir, 'uri-target.db');
    const uri = new SqlConnections({ u: sqliteConfig(`file:${target}?mode=rwc`) });
    try {
      await expect(uri.get('u').execute('CREATE TABLE x (v)')).rejects.toMatchObject({ code: SqlErrorCode.Forbidden, classification: 'permanent' });
      expect(existsSync(target)).toBe(false);
    } finally {
      await uri.close();
    }
  });
});
