// The two central database engines, each with a way to inject a real database
// error (a trigger that raises) for the rollback tests.
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach } from 'vitest';
import {
  type CentralRepository,
  PostgresCentralRepository,
  SqliteCentralRepository,
} from '../../../src/central/index.js';
import { PG, createPgDatabase, tempDir } from '../../support/index.js';

export interface EngineHarness {
  readonly repo: CentralRepository;
  /** Makes every insert and update of the table fail with a database error. */
  failWrites(table: 'AuditLog' | 'SiteCalls'): Promise<void>;
  /** Opens the same database again (a second node, or a restart). */
  reopen(): Promise<CentralRepository>;
  /** Runs raw SQL against the database. */
  exec(sql: string): Promise<void>;
  /** Runs a raw SELECT against the database and returns its rows. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** AuditLog rows with these event ids, looked up under the repository (which filters by owner). */
  countAudit(eventIds: readonly string[]): Promise<number>;
  dispose(): Promise<void>;
}

export const ENGINES: readonly (readonly [string, () => Promise<EngineHarness>])[] = [
  [
    'sqlite',
    async () => {
      const tmp = tempDir('scadalink-central-');
      const file = join(tmp.dir, 'central.db');
      const repo = new SqliteCentralRepository(file);
      const opened: CentralRepository[] = [repo];
      return {
        repo,
        failWrites: async (table) => {
          for (const op of ['INSERT', 'UPDATE']) {
            repo.db.exec(`CREATE TRIGGER fail_${table}_${op} BEFORE ${op} ON ${table}
              BEGIN SELECT RAISE(ABORT, 'injected ${table} failure'); END`);
          }
          await Promise.resolve();
        },
        reopen: async () => {
          const again = new SqliteCentralRepository(file);
          opened.push(again);
          return Promise.resolve(again);
        },
        exec: async (sql) => {
          repo.db.exec(sql);
          await Promise.resolve();
        },
        query: async (sql) => Promise.resolve(repo.db.prepare(sql).all() as Record<string, unknown>[]),
        countAudit: async (ids) => {
          const one = repo.db.prepare('SELECT COUNT(*) FROM AuditLog WHERE EventId = ?').pluck();
          return Promise.resolve(ids.reduce((n, id) => n + (one.get(id) as number), 0));
        },
        dispose: async () => {
          for (const r of opened) await r.close().catch(() => undefined);
          tmp.cleanup();
        },
      };
    },
  ],
  [
    'postgres',
    async () => {
      const db = await createPgDatabase('sl_central');
      const url = `postgres://${PG.user}@${PG.host}:${PG.port}/${db.database}`;
      const repo = await PostgresCentralRepository.open(url);
      const opened: CentralRepository[] = [repo];
      const exec = async (sql: string): Promise<void> => {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        try {
          await c.query(sql);
        } finally {
          await c.end();
        }
      };
      return {
        repo,
        failWrites: async (table) => {
          const t = table === 'AuditLog' ? 'audit_log' : 'site_calls';
          await exec(`CREATE FUNCTION fail_${t}() RETURNS trigger LANGUAGE plpgsql AS
              $$ BEGIN RAISE EXCEPTION 'injected ${table} failure'; END $$;
            CREATE TRIGGER fail_${t} BEFORE INSERT OR UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION fail_${t}();`);
        },
        reopen: async () => {
          const again = await PostgresCentralRepository.open(url);
          opened.push(again);
          return again;
        },
        exec,
        query: async (sql) => {
          const c = new pg.Client({ connectionString: url });
          await c.connect();
          try {
            return (await c.query<Record<string, unknown>>(sql)).rows;
          } finally {
            await c.end();
          }
        },
        countAudit: async (ids) => {
          const c = new pg.Client({ connectionString: url });
          await c.connect();
          try {
            const { rows } = await c.query<{ n: string }>('SELECT COUNT(*) AS n FROM audit_log WHERE event_id = ANY($1::uuid[])', [ids]);
            return Number(rows[0]!.n);
          } finally {
            await c.end();
          }
        },
        dispose: async () => {
          for (const r of opened) await r.close().catch(() => undefined);
          await db.drop();
        },
      };
    },
  ],
];

/**
 * Opens a fresh database with `open` before each test of the enclosing
 * describe block, hands it to `use`, and disposes it after the test.
 */
export function freshEachTest(open: () => Promise<EngineHarness>, use: (harness: EngineHarness) => void): void {
  let harness: EngineHarness | undefined;
  beforeEach(async () => {
    harness = await open();
    use(harness);
  });
  afterEach(async () => {
    await harness?.dispose();
    harness = undefined;
  });
}
