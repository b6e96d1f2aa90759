// The central database on PostgreSQL. Each telemetry batch is one transaction
// of two statements (DESIGN §12: a batch goes in one `INSERT … SELECT FROM
// unnest(…)` per table, not row by row). AuditLog is partitioned by month.
import { createHash, randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  type AuditEvent,
  ScadaLinkError,
  type OperationSnapshot,
  describeError,
  readMigrations,
} from '../../commons/index.js';
import { foreignRows, ingestRows, ownEvents, reconcileRows } from './ingest-rows.js';
import { PositionalFilter, keysetPage } from './keyset.js';
import { insertAudit, ownersOf, upsertSiteCalls } from './postgres-ingest.js';
import { Checkout, createCentralPool, describeTarget, inTransaction, whileUnreachable } from './pg-connection.js';
import { ENDED_STATUSES, OPEN_STATUSES, foldKpis, type EndedRow, type OpenRow } from './kpis.js';
import { PostgresAdminStore } from './postgres-admin.js';
import type {
  AuditLogRow,
  CentralRepository,
  IngestResult,
  KpiOptions,
  ReconcileResult,
  PurgeResult,
  SiteCallFilter,
  SiteCallKpis,
  SiteCallPage,
  SiteCallRow,
} from './types.js';
import { PostgresClusterStore } from './postgres-cluster.js';
import { PostgresUiStore } from './postgres-ui.js';
import { SCHEMA_LOCK, centralPostgresMigrationsDir, migratePostgres, monthOf, nextMonth } from './postgres-schema.js';
import { type PgAudit, type PgSiteCall, auditOf, siteCallOf } from './postgres-rows.js';

/** First key of the two-key advisory locks that make jobs cluster singletons. */
const EXCLUSIVE_SPACE = 7_305_002;
/** Months of AuditLog partitions created ahead of the current one. */
const MONTHS_AHEAD = 3;

/** An admin command pointed at a database central never used (issue 9, point 4). */
export function noCentralStore(what: string): ScadaLinkError {
  return new ScadaLinkError('NO_CENTRAL_STORE', `${what}: point --data or --database-url at central's database, or pass --create to make a new one`);
}

function lockLost(name: string, why: unknown): ScadaLinkError {
  return new ScadaLinkError('SINGLETON_LOCK_LOST', `the lock of ${name} was lost with its database connection: ${describeError(why)}`, {
    cause: why,
  });
}


export class PostgresCentralRepository extends PostgresAdminStore implements CentralRepository {
  readonly engine = 'postgres' as const;
  readonly cluster: PostgresClusterStore;
  readonly ui: PostgresUiStore;
  /** This replica's id, in /info (its cluster-wide jobs are held by advisory locks, which need none). */
  readonly replicaId = randomUUID();
  /** Months known to have an AuditLog partition. */
  readonly #months = new Set<string>();

  private constructor(pool: pg.Pool) {
    super(pool);
    this.cluster = new PostgresClusterStore(pool);
    this.ui = new PostgresUiStore(pool);
  }

  /**
   * Connects, migrates and creates the AuditLog partitions of last month to
   * MONTHS_AHEAD ahead. While the server cannot be reached this is retried for
   * `waitMs` (default 0: fail at once), then DATABASE_UNREACHABLE. Migrations
   * are one transaction, so one cut off half-way is retried from its start.
   * `mustExist`: a database without central's schema is NO_CENTRAL_STORE
   * rather than migrated from nothing (the admin commands).
   */
  static async open(
    connectionString: string,
    options: { waitMs?: number; onRetry?: (err: unknown) => void; mustExist?: boolean } = {},
  ): Promise<PostgresCentralRepository> {
    const pool = createCentralPool(connectionString);
    try {
      const repo = new PostgresCentralRepository(pool);
      await whileUnreachable(describeTarget(connectionString), options.waitMs ?? 0, async () => {
        if (options.mustExist === true) {
          const { rows } = await pool.query<{ ok: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS ok`);
          if (rows[0]?.ok !== true) throw noCentralStore(`the database at ${describeTarget(connectionString)} has no central schema`);
        }
        await migratePostgres(pool, readMigrations(centralPostgresMigrationsDir()));
        const now = new Date();
        const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString();
        let month = monthOf(start);
        const months = [month];
        for (let i = 0; i < MONTHS_AHEAD + 1; i++) months.push((month = nextMonth(month)));
        await repo.ensurePartitions(months);
      }, options.onRetry);
      return repo;
    } catch (err) {
      await pool.end();
      throw err;
    }
  }

  /** Resolves when the server answers `SELECT 1` within `timeoutMs`. */
  async schemaVersion(): Promise<number> {
    const { rows } = await this.pool.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    return rows[0]?.v ?? 0;
  }

  async ping(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ScadaLinkError('DATABASE_TIMEOUT', `no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.pool.query('SELECT 1'), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Creates the monthly AuditLog partitions that do not exist yet. */
  async ensurePartitions(months: Iterable<string>): Promise<void> {
    const missing = [...new Set(months)].filter((m) => !this.#months.has(m)).sort();
    if (missing.length === 0) return;
    await inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      for (const m of missing) {
        const name = `audit_log_${m.replace('-', '_')}`;
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF audit_log
             FOR VALUES FROM ('${m}-01T00:00:00Z') TO ('${nextMonth(m)}-01T00:00:00Z')`,
        );
      }
    });
    for (const m of missing) this.#months.add(m);
  }

  async ingest(site: string, events: readonly AuditEvent[]): Promise<IngestResult> {
    const rows = ingestRows(events);
    await this.ensurePartitions(rows.events.map((e) => monthOf(e.occurredAtUtc)));
    return inTransaction(this.pool, async (client) => {
      // Upsert first, then read the owners (issue 8, point 3). Two sites sending
      // the same new id at once: the second upsert waits on the first one's row
      // lock, finds the row the first committed and leaves it alone; the owner
      // query (a new snapshot under READ COMMITTED) then names the first site.
      await upsertSiteCalls(client, site, rows.snapshots);
      const owners = await ownersOf(client, rows.snapshots.map((op) => op.trackedOperationId));
      const own = ownEvents(site, rows.events, owners);
      await insertAudit(client, site, own.events);
      return { accepted: own.events.map((e) => e.eventId), rejected: [...rows.rejected, ...own.rejected] };
    });
  }

  async reconcile(site: string, input: readonly OperationSnapshot[], cursor: number): Promise<ReconcileResult> {
    const { rows, rejected } = reconcileRows(input);
    return inTransaction(this.pool, async (client) => {
      await upsertSiteCalls(client, site, rows);
      const foreign = foreignRows(site, rows, await ownersOf(client, rows.map((op) => op.trackedOperationId)));
      await client.query('UPDATE sites SET reconcile_version = GREATEST(reconcile_version, $1) WHERE name = $2', [cursor, site]);
      return { applied: rows.length - foreign.length, rejected: [...rejected, ...foreign] };
    });
  }

  async siteCall(trackedOperationId: string): Promise<SiteCallRow | undefined> {
    const { rows } = await this.pool.query<PgSiteCall>('SELECT * FROM site_calls WHERE tracked_operation_id = $1', [
      trackedOperationId,
    ]);
    return rows[0] === undefined ? undefined : siteCallOf(rows[0]);
  }

  async auditOf(trackedOperationId: string): Promise<AuditLogRow[]> {
    // Only the owner's events, should another site's ever have been stored (before issue 8, point 3).
    const { rows } = await this.pool.query<PgAudit>(
      `SELECT * FROM audit_log WHERE tracked_operation_id = $1
         AND source_site = COALESCE((SELECT source_site FROM site_calls WHERE tracked_operation_id = $1), source_site)
       ORDER BY occurred_at_utc, event_id`,
      [trackedOperationId],
    );
    return rows.map(auditOf);
  }

  async listSiteCalls(filter: SiteCallFilter, page: { after?: string; limit: number }): Promise<SiteCallPage> {
    const f = new PositionalFilter()
      .add('source_site', '=', filter.site)
      .add('channel', '=', filter.channel)
      .add('status', '=', filter.status)
      .add('created_at_utc', '>=', filter.from, '::timestamptz')
      .add('created_at_utc', '<', filter.to, '::timestamptz')
      .add('tracked_operation_id', '<', page.after, '::uuid');
    const limit = f.limit(page.limit);
    const { rows } = await this.pool.query<PgSiteCall>(`SELECT * FROM site_calls ${f.where} ORDER BY tracked_operation_id DESC LIMIT ${limit}`, f.values);
    return keysetPage(rows.map(siteCallOf), page.limit, (r) => r.trackedOperationId);
  }

  async kpis(options: KpiOptions): Promise<{ global: SiteCallKpis; sites: Record<string, SiteCallKpis> }> {
    const now = options.now ?? new Date();
    const since = new Date(now.getTime() - options.intervalMs).toISOString();
    const stuckBefore = new Date(now.getTime() - options.stuckAfterMs).toISOString();
    const open = await this.pool.query<{ site: string; status: string; n: string; oldest: Date | null; stuck: string }>(
      `SELECT source_site AS site, status, COUNT(*) AS n, MIN(created_at_utc) AS oldest,
         COUNT(*) FILTER (WHERE created_at_utc < $2::timestamptz) AS stuck
       FROM site_calls WHERE status = ANY($1::text[]) GROUP BY source_site, status`,
      [OPEN_STATUSES, stuckBefore],
    );
    const ended = await this.pool.query<{ site: string; status: string; n: string }>(
      `SELECT source_site AS site, status, COUNT(*) AS n
       FROM site_calls WHERE status = ANY($1::text[]) AND updated_at_utc >= $2::timestamptz GROUP BY source_site, status`,
      [ENDED_STATUSES, since],
    );
    const openRows: OpenRow[] = open.rows.map((r) => ({
      site: r.site,
      status: r.status,
      n: Number(r.n),
      oldest: r.oldest === null ? null : r.oldest.toISOString(),
      stuck: Number(r.stuck),
    }));
    const endedRows: EndedRow[] = ended.rows.map((r) => ({ site: r.site, status: r.status, n: Number(r.n) }));
    return foldKpis(openRows, endedRows, now);
  }

  async purge(cutoffs: { siteCallsBefore: string; auditBefore?: string }): Promise<PurgeResult> {
    const deleted = await this.pool.query(
      `DELETE FROM site_calls WHERE status IN ('Delivered', 'Failed', 'Discarded') AND updated_at_utc < $1::timestamptz`,
      [cutoffs.siteCallsBefore],
    );
    let auditRows = 0;
    if (cutoffs.auditBefore !== undefined) {
      // Partitions are named audit_log_YYYY_MM; one whose month ends by the cutoff is dropped whole.
      const { rows } = await this.pool.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'audit_log'`,
      );
      const cutoffMonth = monthOf(cutoffs.auditBefore);
      for (const { name } of rows) {
        const m = /^audit_log_(\d{4})_(\d{2})$/.exec(name);
        if (m === null) continue;
        const month = `${m[1]}-${m[2]}`;
        // The partition covers [month, nextMonth): it may go when nextMonth <= the cutoff's day.
        if (`${nextMonth(month)}-01T00:00:00.000Z` > cutoffs.auditBefore || month >= cutoffMonth) continue;
        const count = await this.pool.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${name}`);
        await this.pool.query(`DROP TABLE ${name}`);
        auditRows += Number(count.rows[0]?.n ?? 0);
        this.#months.delete(month);
      }
    }
    return { siteCalls: deleted.rowCount ?? 0, auditRows };
  }

  async claimRun(name: string, now: string, notBefore: string): Promise<boolean> {
    const r = await this.pool.query(
      `INSERT INTO jobs (name, last_run_at_utc) VALUES ($1, $2::timestamptz)
       ON CONFLICT (name) DO UPDATE SET last_run_at_utc = excluded.last_run_at_utc WHERE jobs.last_run_at_utc < $3::timestamptz`,
      [name, now, notBefore],
    );
    return r.rowCount === 1;
  }

  async exclusive(name: string, job: (lost: AbortSignal) => Promise<void>): Promise<boolean> {
    const key = createHash('sha256').update(`scadalink:${name}`).digest().readInt32BE(0);
    const c = await Checkout.of(this.pool);
    let broken: unknown;
    try {
      const { rows } = await c.client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [EXCLUSIVE_SPACE, key]);
      if (rows[0]?.ok !== true) return false;
      try {
        await job(c.lost);
      } finally {
        await c.client.query('SELECT pg_advisory_unlock($1, $2)', [EXCLUSIVE_SPACE, key]).catch((e: unknown) => (broken = e));
      }
      // A session lock dies with its connection: another node may have taken
      // it and run the job alongside this one, so the run is not reported as
      // a clean singleton run.
      if (c.lost.aborted) throw lockLost(name, c.lost.reason);
      if (broken !== undefined) throw lockLost(name, broken);
      return true;
    } finally {
      c.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
