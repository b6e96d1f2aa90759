// A database that goes away for real and comes back: backends killed by the
// server, and a loopback TCP proxy in front of the real server that is
// stopped (connections cut, new ones refused) and restarted.
import pg from 'pg';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MYSQL, PG, createMysqlDatabase, createPgDatabase } from '../../support/index.js';
import { SqlConnections, SqlErrorCode, executeCachedWrite, type SqlConnection } from '../../../src/integrations/sql/index.js';
import { TcpProxy, mysqlConfig, pgConfig, rejection } from './support.js';

const OP_ID = '01890a5d-ac96-774b-bcce-b302099a8057';

/** Either the call succeeds, or it fails transient: never permanent, never a crash. */
async function succeedsOrTransient(p: Promise<unknown>): Promise<'ok' | string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    const e = err as { classification?: string; code?: string };
    expect(e.classification).toBe('transient');
    return e.code ?? 'unknown';
  }
}

/**
 * After the server killed pooled connections, each call either finds a dead
 * pooled connection (transient) or a live one; within a few calls the pool
 * has replaced them all.
 */
async function recovers(conn: SqlConnection, attempts: number): Promise<string[]> {
  const outcomes: string[] = [];
  for (let i = 0; i < attempts; i++) {
    const outcome = await succeedsOrTransient(conn.query('SELECT 1'));
    outcomes.push(outcome);
    if (outcome === 'ok') break;
  }
  expect(outcomes.at(-1)).toBe('ok');
  return outcomes;
}

/** The outage scenario shared by both servers behind the proxy. */
async function proxyOutage(conn: SqlConnection, proxy: TcpProxy, insert: string): Promise<void> {
  expect((await conn.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  const tx = await conn.begin();
  await tx.execute('SELECT 1');

  await proxy.stop();
  // The open transaction lost its connection: transient, and rollback does not throw.
  const inTx = await rejection(tx.execute('SELECT 1'));
  expect(inTx.transient).toBe(true);
  await tx.rollback();
  // Every call while the server is away fails fast and transient; a cached
  // write would stay buffered.
  for (let i = 0; i < 3; i++) {
    const started = Date.now();
    const err = await rejection(executeCachedWrite(conn, insert, { v: 1 }, OP_ID));
    expect(err.transient).toBe(true);
    expect(err.code).toBe(SqlErrorCode.Connection);
    expect(Date.now() - started).toBeLessThan(1_500);
  }

  await proxy.start();
  // Back: the retried write lands once; a duplicate attempt changes nothing.
  expect((await executeCachedWrite(conn, insert, { v: 1 }, OP_ID)).rowsAffected).toBe(1);
  expect((await executeCachedWrite(conn, insert, { v: 1 }, OP_ID)).rowsAffected).toBe(0);
  const tx2 = await conn.begin();
  await tx2.execute('SELECT 1');
  await tx2.commit();
}

describe('postgres outage', () => {
  let db: { database: string; drop: () => Promise<void> };
  let admin: pg.Client;

  beforeAll(async () => {
    db = await createPgDatabase();
    admin = new pg.Client({ ...PG, database: db.database });
    await admin.connect();
    await admin.query('CREATE TABLE w (op_id uuid PRIMARY KEY, v int)');
  });

  afterAll(async () => {
    await admin.end();
    await db.drop();
  });

  async function terminateBackends(): Promise<number> {
    const r = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = $1 AND application_name = 'scadalink' AND pid <> pg_backend_pid()`,
      [db.database],
    );
    return r.rowCount ?? 0;
  }

  it('recovers after pg_terminate_backend kills every pooled connection', async () => {
    const c = new SqlConnections({ t: pgConfig(db.database, { name: 't', poolSize: 3 }) });
    const conn = c.get('t');
    try {
      await Promise.all([1, 2, 3].map(() => conn.query('SELECT pg_sleep(0.05)')));
      const tx = await conn.begin();
      await tx.execute('INSERT INTO w VALUES (gen_random_uuid(), 1)');
      expect(await terminateBackends()).toBeGreaterThanOrEqual(1);

      // The transaction's connection is gone: transient, nothing committed.
      const err = await rejection(tx.execute('SELECT 1'));
      expect(err.transient).toBe(true);
      expect([SqlErrorCode.Unavailable, SqlErrorCode.Connection]).toContain(err.code);
      await tx.rollback();

      await recovers(conn, 4);
      expect((await conn.query('SELECT count(*) AS n FROM w')).rows).toEqual([{ n: 0 }]);
    } finally {
      await c.close();
    }
  });

  it('fails transient while the server is unreachable and recovers when it is back', async () => {
    const proxy = new TcpProxy(PG.port);
    await proxy.start();
    const c = new SqlConnections({ p: pgConfig(db.database, { name: 'p', port: proxy.port, timeoutMs: 2_000 }) });
    try {
      await proxyOutage(
        c.get('p'),
        proxy,
        'INSERT INTO w (op_id, v) VALUES (@TrackedOperationId, @v) ON CONFLICT DO NOTHING',
      );
    } finally {
      await c.close();
      await proxy.stop();
    }
  });
});

describe('mysql outage', () => {
  let db: { database: string; drop: () => Promise<void> };
  let admin: mysql.Connection;

  beforeAll(async () => {
    db = await createMysqlDatabase();
    admin = await mysql.createConnection({ ...MYSQL, database: db.database });
    await admin.query('CREATE TABLE w (op_id CHAR(36) PRIMARY KEY, v INT) ENGINE=InnoDB');
  });

  afterAll(async () => {
    await admin.end();
    await db.drop();
  });

  it('recovers after KILL of every pooled connection', async () => {
    const c = new SqlConnections({ t: mysqlConfig(db.database, { name: 't', poolSize: 2 }) });
    const conn = c.get('t');
    try {
      const tx = await conn.begin();
      await tx.execute('INSERT INTO w VALUES (UUID(), 1)');
      const ids = (await conn.query('SELECT CONNECTION_ID() AS id')).rows;
      const [procs] = await admin.query<mysql.RowDataPacket[]>(
        'SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()',
        [db.database],
      );
      expect(procs.length).toBeGreaterThanOrEqual(ids.length);
      for (const p of procs) await admin.query(`KILL ${Number(p.id)}`);

      const err = await rejection(tx.execute('SELECT 1'));
      expect(err.transient).toBe(true);
      await tx.rollback();
      await recovers(conn, 3);
      expect((await conn.query('SELECT COUNT(*) AS n FROM w')).rows).toEqual([{ n: 0 }]);
    } finally {
      await c.close();
    }
  });

  it('fails transient while the server is unreachable and recovers when it is back', async () => {
    const proxy = new TcpProxy(MYSQL.port);
    await proxy.start();
    const c = new SqlConnections({ p: mysqlConfig(db.database, { name: 'p', port: proxy.port, timeoutMs: 2_000 }) });
    try {
      await proxyOutage(c.get('p'), proxy, 'INSERT IGNORE INTO w (op_id, v) VALUES (@TrackedOperationId, @v)');
    } finally {
      await c.close();
      await proxy.stop();
    }
  });
});
