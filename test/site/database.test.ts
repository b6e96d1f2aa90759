import { join } from 'node:path';
import pg from 'pg';
import mysql from 'mysql2/promise';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/index.js';
import { SiteRuntime } from '../../src/site/index.js';
import { MYSQL, PG, createMysqlDatabase, createPgDatabase, tempDir } from '../support/index.js';
import { writeProject } from '../support/project.js';
import { TcpProxy, closedPort } from '../support/net.js';

const logger = pino({ level: 'silent' });

interface Engine {
  readonly name: 'postgres' | 'mysql';
  readonly port: number;
  create(): Promise<{ database: string; drop: () => Promise<void> }>;
  /** Runs SQL against the test database directly (not through ScadaLink). */
  admin(database: string, sql: string): Promise<Record<string, unknown>[]>;
  readonly user: string;
  readonly createTable: string;
  readonly insert: string;
  readonly procedure: string;
}

const engines: Engine[] = [
  {
    name: 'postgres',
    port: PG.port,
    user: 'postgres',
    create: () => createPgDatabase(),
    async admin(database, sql) {
      const c = new pg.Client({ ...PG, database });
      await c.connect();
      try {
        return (await c.query(sql)).rows as Record<string, unknown>[];
      } finally {
        await c.end();
      }
    },
    createTable: 'CREATE TABLE readings (op_id TEXT PRIMARY KEY, pump TEXT NOT NULL, flow DOUBLE PRECISION)',
    insert: 'INSERT INTO readings (op_id, pump, flow) VALUES (@TrackedOperationId, @pump, @flow) ON CONFLICT DO NOTHING',
    procedure: `CREATE FUNCTION pump_total(p TEXT) RETURNS TABLE(total DOUBLE PRECISION) AS $$ SELECT SUM(flow) FROM readings WHERE pump = p $$ LANGUAGE SQL`,
  },
  {
    name: 'mysql',
    port: MYSQL.port,
    user: 'root',
    create: () => createMysqlDatabase(),
    async admin(database, sql) {
      const c = await mysql.createConnection({ ...MYSQL, database });
      try {
        return (await c.query(sql))[0] as Record<string, unknown>[];
      } finally {
        await c.end();
      }
    },
    createTable: 'CREATE TABLE readings (op_id VARCHAR(36) PRIMARY KEY, pump VARCHAR(20) NOT NULL, flow DOUBLE)',
    insert: 'INSERT IGNORE INTO readings (op_id, pump, flow) VALUES (@TrackedOperationId, @pump, @flow)',
    procedure: 'CREATE PROCEDURE pump_total(IN p VARCHAR(20)) SELECT SUM(flow) AS total FROM readings WHERE pump = p',
  },
];

const scripts = (e: Engine) => ({
  'query.js': `
    const db = await Database.Connection('Plant');
    await db.Execute('INSERT INTO readings (op_id, pump, flow) VALUES (@id, @pump, @flow)', { id: 'a', pump: 'P1', flow: 1.5 });
    const tx = await db.BeginTransaction();
    await tx.Execute('INSERT INTO readings (op_id, pump, flow) VALUES (@id, @pump, @flow)', { id: 'b', pump: 'P1', flow: 2 });
    await tx.Commit();
    const rolled = await db.BeginTransaction();
    await rolled.Execute('INSERT INTO readings (op_id, pump, flow) VALUES (@id, @pump, @flow)', { id: 'c', pump: 'P1', flow: 99 });
    await rolled.Rollback();
    const total = await db.CallProcedure('pump_total', ['P1']);
    const rows = await db.Query("SELECT op_id, flow FROM readings WHERE pump = 'P1' ORDER BY op_id", []);
    return { rows, total };`,
  'abandon.js': `
    const db = await Database.Connection('Plant');
    const tx = await db.BeginTransaction();
    await tx.Execute('INSERT INTO readings (op_id, pump, flow) VALUES (@id, @pump, @flow)', { id: 'z', pump: 'P9', flow: 1 });
    throw new Error('script failed mid-transaction');`,
  'cached-write.js': `return await Database.CachedWrite('Plant', ${JSON.stringify(e.insert)}, { pump: Parameters.pump, flow: Parameters.flow });`,
  'cached-noparams.js': `return await Database.CachedWrite('Plant', "INSERT INTO readings (op_id, pump, flow) VALUES (@TrackedOperationId, 'NP', 0)");`,
  'unreachable.js': `
    try { const db = await Database.Connection('Nowhere'); await db.Query('SELECT 1', []); return 'no error'; }
    catch (err) { return { code: err.code, classification: err.classification }; }`,
});

function project(e: Engine, database: string, port: number, deadPort: number): object {
  // 300 ms between retries: the tests below act between two attempts.
  const conn = { driver: e.name, host: '127.0.0.1', database, user: e.user, timeout: '2s', maxRetries: 50, retryInterval: '300ms' };
  return {
    sites: { plant1: {} },
    instances: {
      Pump1: {
        site: 'plant1',
        scripts: Object.fromEntries(['query', 'abandon', 'cached-write', 'cached-noparams', 'unreachable'].map((s) => [s, { file: `${s}.js`, triggers: ['call'] }])),
      },
    },
    databases: { Plant: { ...conn, port }, Nowhere: { ...conn, port: deadPort, maxRetries: 1 } },
  };
}

describe.each(engines)('site database access on $name (seed 003 WP-14)', (e) => {
  let tmp: ReturnType<typeof tempDir>;
  let db: { database: string; drop: () => Promise<void> };
  let proxy: TcpProxy;
  let site: SiteRuntime;

  beforeAll(async () => {
    tmp = tempDir();
    db = await e.create();
    await e.admin(db.database, e.createTable);
    await e.admin(db.database, e.procedure);
    proxy = new TcpProxy(e.port);
    await proxy.start();
    const dir = writeProject(join(tmp.dir, 'project'), project(e, db.database, proxy.port, await closedPort()), scripts(e));
    site = new SiteRuntime({ project: loadProject(dir), dataDir: join(tmp.dir, 'data'), logger, pollIntervalMs: 20 });
    site.start();
  });
  afterAll(async () => {
    await site.stop(2000);
    await proxy.stop();
    await db.drop();
    tmp.cleanup();
  });
  afterEach(async () => {
    await proxy.start().catch(() => undefined);
  });

  it('scenario 6: Database.Connection queries, executes, commits and rolls back transactions, calls procedures', async () => {
    const result = (await site.callScript('Pump1', 'query')) as { rows: { op_id: string; flow: number }[]; total: { total: unknown }[] };
    expect(result.rows).toEqual([{ op_id: 'a', flow: 1.5 }, { op_id: 'b', flow: 2 }]);
    expect(Number(result.total[0]!.total)).toBe(3.5);
  });

  it('a transaction left open by a failing script is rolled back', async () => {
    await expect(site.callScript('Pump1', 'abandon')).rejects.toMatchObject({ code: 'SCRIPT_ERROR' });
    expect(await e.admin(db.database, `SELECT op_id FROM readings WHERE op_id = 'z'`)).toEqual([]);
  });

  it('scenario 7: CachedWrite while the database is unreachable is buffered, retried and delivered exactly once', async () => {
    await proxy.stop();
    const id = (await site.callScript('Pump1', 'cached-write', { pump: 'P7', flow: 7 })) as string;
    expect(site.store.status(id)).toMatchObject({ status: 'Forwarded' });
    await site.store.waitFor(id, ['Attempted']);
    await proxy.start();
    await site.store.waitFor(id, ['Delivered']);
    expect(await e.admin(db.database, `SELECT op_id, pump FROM readings WHERE pump = 'P7'`)).toEqual([{ op_id: id, pump: 'P7' }]);
    const kinds = site.store.outbox.forOperation(id).map((ev) => `${ev.kind}/${ev.status}`);
    expect(kinds[0]).toBe('CachedSubmit/Submitted');
    expect(kinds[1]).toBe('DbWriteCached/Forwarded');
    expect(kinds.at(-1)).toBe('CachedResolve/Delivered');
    expect(kinds.slice(2, -1).every((k) => k === 'DbWriteCached/Attempted')).toBe(true);
  });

  it('seed 000 G3 at site level: a cached write failing twice then succeeding yields exactly 5 audit rows', async () => {
    // The database is unreachable for the immediate attempt and the first
    // retry; it is back (well inside the 300 ms retry interval) for the second.
    await proxy.stop();
    const id = (await site.callScript('Pump1', 'cached-write', { pump: 'G3', flow: 3 })) as string;
    const failedRetry = await site.store.waitFor(id, ['Attempted']);
    expect(failedRetry.retryCount).toBe(1);
    await proxy.start();
    await site.store.waitFor(id, ['Delivered']);
    const kinds = site.store.outbox.forOperation(id).map((ev) => `${ev.kind}/${ev.status}`);
    expect(kinds).toEqual([
      'CachedSubmit/Submitted',
      'DbWriteCached/Forwarded',
      'DbWriteCached/Attempted',
      'DbWriteCached/Attempted',
      'CachedResolve/Delivered',
    ]);
  });

  it('a CachedWrite given no parameters still has @TrackedOperationId bound', async () => {
    const id = (await site.callScript('Pump1', 'cached-noparams')) as string;
    expect(site.store.status(id)).toMatchObject({ status: 'Delivered' });
    expect(await e.admin(db.database, `SELECT op_id FROM readings WHERE pump = 'NP'`)).toEqual([{ op_id: id }]);
  });

  it('negative: Database.Connection to an unreachable server returns a transient error to the script', async () => {
    expect(await site.callScript('Pump1', 'unreachable')).toEqual({ code: 'SQL_CONNECTION', classification: 'transient' });
  });
});
