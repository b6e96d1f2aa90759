// Issue 8 point 1: a script's SQLite connection reaches its own file and no
// other: not the site's store, not the file system. Real scripts, real files.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/index.js';
import { SiteRuntime } from '../../src/site/index.js';
import { tempDir } from '../support/index.js';
import { writeProject } from '../support/project.js';

const logger = pino({ level: 'silent' });

// Runs one statement and reports what happened, so that one run can try one trick.
const TRY = `
  const db = await Database.Connection(Parameters.connection ?? 'Local');
  try {
    const rows = Parameters.query ? await db.Query(Parameters.sql, Parameters.params ?? []) : await db.Execute(Parameters.sql, Parameters.params ?? []);
    return { ok: true, rows };
  } catch (err) { return { ok: false, code: err.code, classification: err.classification, message: err.message }; }`;

const TRY_IN_TX = `
  const db = await Database.Connection('Local');
  const tx = await db.BeginTransaction();
  try { await tx.Execute(Parameters.sql, []); await tx.Commit(); return { ok: true }; }
  catch (err) { await tx.Rollback(); return { ok: false, code: err.code }; }`;

const CACHED = `
  try { return { ok: true, id: await Database.CachedWrite('Local', Parameters.sql) }; }
  catch (err) { return { ok: false, code: err.code, classification: err.classification, id: err.trackedOperationId }; }`;

interface Outcome {
  readonly ok: boolean;
  readonly code?: string;
  readonly classification?: string;
  readonly message?: string;
  readonly id?: string;
  readonly rows?: unknown;
}

describe('issue 8: a script SQLite connection cannot reach another file', () => {
  let tmp: ReturnType<typeof tempDir>;
  let site: SiteRuntime;
  let dataDir: string;
  let outside: string;
  let storeFile: string;
  let dataFilesBefore: string[];

  const run = async (script: string, params: Record<string, unknown>): Promise<Outcome> =>
    (await site.callScript('Pump1', script, params as never)) as unknown as Outcome;

  beforeAll(async () => {
    tmp = tempDir();
    dataDir = join(tmp.dir, 'data');
    outside = join(tmp.dir, 'outside');
    mkdirSync(outside);
    const dir = writeProject(
      join(tmp.dir, 'project'),
      {
        sites: { plant1: {} },
        instances: {
          Pump1: {
            site: 'plant1',
            scripts: { try: { file: 'try.js', triggers: ['call'] }, tx: { file: 'tx.js', triggers: ['call'] }, cached: { file: 'cached.js', triggers: ['call'] } },
          },
          Pump2: { site: 'plant1', attributes: { Speed: { type: 'number', initial: 42 } } },
        },
        databases: {
          Local: { driver: 'sqlite', file: 'local.db', maxRetries: 1, retryInterval: '50ms' },
          // A URI in the configured path: resolved as a plain path inside the project, never as a URI.
          Uri: { driver: 'sqlite', file: `file:${join('..', 'outside', 'uri.db')}?mode=rwc` },
        },
      },
      { 'try.js': TRY, 'tx.js': TRY_IN_TX, 'cached.js': CACHED },
    );
    site = new SiteRuntime({ project: loadProject(dir), dataDir, logger, pollIntervalMs: 20 });
    site.start();
    storeFile = join(dataDir, 'site.db');
    await site.store.logEvent({ level: 'info', category: 'Lifecycle', message: 'marker' });
    dataFilesBefore = readdirSync(dataDir).sort();
    expect(await run('try', { sql: 'CREATE TABLE t (v TEXT)' })).toMatchObject({ ok: true });
  });

  afterAll(async () => {
    await site.stop(2000);
    tmp.cleanup();
  });

  /** What an ATTACH of the site's store could have changed, read straight from the file. */
  const storeState = () => {
    const db = new Database(storeFile, { readonly: true });
    try {
      return {
        speed: db.prepare("SELECT Value FROM attribute_values WHERE Instance = 'Pump2' AND Attribute = 'Speed'").all(),
        markers: db.prepare("SELECT COUNT(*) AS n FROM event_log WHERE Message = 'marker'").get(),
      };
    } finally {
      db.close();
    }
  };

  const attachSpellings = (path: string): string[] => [
    `ATTACH '${path}' AS other`,
    `attach database '${path}' as other`,
    `/* c */ AtTaCh /* c */ DATABASE '${path}' -- c\n AS other`,
    `;ATTACH '${path}' AS other`,
    ` ; ; ATTACH '${path}' AS other`,
    `ATTACH '${path.slice(0, 3)}' || '${path.slice(3)}' AS other`,
    `ATTACH "${path}" AS other`,
  ];

  it('issue 8: ATTACH of the site store (every spelling, plain, in a transaction, cached) is refused with SQL_FORBIDDEN and changes nothing', async () => {
    await site.setAttribute('Pump2', 'Speed', 7);
    const before = storeState();
    expect(before.speed).toEqual([{ Value: '7' }]);
    for (const sql of attachSpellings(storeFile)) {
      expect(await run('try', { sql }), sql).toMatchObject({ ok: false, code: 'SQL_FORBIDDEN', classification: 'permanent' });
    }
    expect(await run('try', { sql: 'ATTACH ? AS other', params: [storeFile] })).toMatchObject({ ok: false, code: 'SQL_FORBIDDEN' });
    expect(await run('try', { sql: 'ATTACH @p AS other', params: { p: storeFile } })).toMatchObject({ ok: false, code: 'SQL_FORBIDDEN' });
    expect(await run('tx', { sql: `ATTACH '${storeFile}' AS other` })).toEqual({ ok: false, code: 'SQL_FORBIDDEN' });
    const cached = await run('cached', { sql: `ATTACH '${storeFile}' AS other` });
    expect(cached).toMatchObject({ ok: false, code: 'SQL_FORBIDDEN', classification: 'permanent' });
    expect(site.store.status(cached.id!)).toMatchObject({ status: 'Failed' });
    // Nothing attached, so the store's tables are out of reach.
    expect(await run('try', { sql: "UPDATE other.attribute_values SET Value = '0'" })).toMatchObject({ ok: false, code: 'SQL_UNKNOWN_OBJECT' });
    expect(await run('try', { sql: 'DETACH other' })).toMatchObject({ ok: false, code: 'SQL_FORBIDDEN' });
    expect(storeState()).toEqual(before);
    expect(site.getAttribute('Pump2', 'Speed')).toBe(7);
  });

  it('issue 8: ATTACH of an outside path, plain or as a file: URI, is refused and creates no file', async () => {
    const target = join(outside, 'evil.db');
    for (const sql of [...attachSpellings(target), `ATTACH 'file:${target}?mode=rwc' AS other`, `ATTACH 'file:${target}?vfs=unix-none&mode=rwc' AS u`]) {
      expect(await run('try', { sql }), sql).toMatchObject({ ok: false, code: 'SQL_FORBIDDEN' });
    }
    expect(readdirSync(outside)).toEqual([]);
  });

  it('issue 8: VACUUM INTO an outside path or the data dir is refused and creates no file', async () => {
    for (const sql of [
      `VACUUM INTO '${join(outside, 'copy.db')}'`,
      `vacuum main into '${join(dataDir, 'copy.db')}'`,
      `/**/VaCuUm/**/INTO/**/'file:${join(outside, 'uri-copy.db')}?mode=rwc'`,
    ]) {
      expect(await run('try', { sql }), sql).toMatchObject({ ok: false, code: 'SQL_FORBIDDEN' });
    }
    expect(await run('try', { sql: 'VACUUM INTO ?', params: [join(outside, 'p.db')] })).toMatchObject({ ok: false, code: 'SQL_FORBIDDEN' });
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(dataDir).sort()).toEqual(dataFilesBefore);
  });

  it('issue 8: load_extension() is refused with SQL_FORBIDDEN, in a query or a write', async () => {
    for (const [sql, query] of [
      ["SELECT load_extension('/lib/x86_64-linux-gnu/libc.so.6')", true],
      ["SELECT LOAD_EXTENSION(?)", true],
      ["INSERT INTO t (v) SELECT load_extension('x')", false],
      [" ;/* c */; SELECT load_extension('x')", true],
    ] as const) {
      expect(await run('try', { sql, query, params: sql.includes('?') ? ['x'] : [] }), sql).toMatchObject({ ok: false, code: 'SQL_FORBIDDEN' });
    }
  });

  it('issue 8: a file: URI as the configured path opens no file outside the project', async () => {
    const out = await run('try', { connection: 'Uri', sql: 'CREATE TABLE x (v)' });
    // Resolved as a path inside the project (whose "file:.." folder does not exist), never as a URI.
    expect(out).toMatchObject({ ok: false, code: 'SQL_CONNECTION' });
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(join(tmp.dir, 'outside', 'uri.db'))).toBe(false);
  });

  it('issue 8: ordinary statements still run: reads, writes, PRAGMA, EXPLAIN QUERY PLAN, VACUUM of its own file', async () => {
    expect(await run('try', { sql: 'INSERT INTO t (v) VALUES (?)', params: ['attach'] })).toMatchObject({ ok: true });
    expect(await run('try', { sql: "SELECT v, 'ATTACH x' AS s FROM t", query: true })).toMatchObject({ ok: true, rows: [{ v: 'attach', s: 'ATTACH x' }] });
    expect(await run('try', { sql: 'PRAGMA table_info(t)', query: true })).toMatchObject({ ok: true });
    expect(await run('try', { sql: 'EXPLAIN QUERY PLAN SELECT * FROM t', query: true })).toMatchObject({ ok: true });
    expect(await run('try', { sql: 'VACUUM' })).toMatchObject({ ok: true });
    expect(await run('try', { sql: 'INSERT INTO t (v) VALUES (?)', params: [] })).toMatchObject({ ok: false, code: 'INVALID_PARAMETERS' });
  });
});
