// The central database on SQLite: one file, WAL, synchronous=FULL; each
// telemetry batch is one IMMEDIATE transaction.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { type AuditEvent, type OperationSnapshot, migrateSqlite, packageRoot, readMigrations } from '../../commons/index.js';
import { foreignRows, ingestRows, ownEvents, reconcileRows, seedKind } from './ingest-rows.js';
import { ENDED_STATUSES, OPEN_STATUSES, foldKpis, type EndedRow, type OpenRow } from './kpis.js';
import { NamedFilter, keysetPage } from './keyset.js';
import { SqliteAdminStore } from './sqlite-admin.js';
import { SqliteClusterStore } from './sqlite-cluster.js';
import { SqliteUiStore } from './sqlite-ui.js';
import { type AuditDbRow, type SiteCallDbRow, auditOf, siteCallOf } from './sqlite-rows.js';
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

const TERMINAL = `('Delivered', 'Failed', 'Discarded')`;
/** A lease left by a node that died is taken over after this long. */
const LEASE_MS = 3_600_000;

export function centralSqliteMigrationsDir(): string {
  return join(packageRoot(), 'sql', 'central', 'sqlite');
}

/** Opens (creating it if need be) and migrates the file. */
function openDatabase(file: string): Database.Database {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  migrateSqlite(db, readMigrations(centralSqliteMigrationsDir()));
  return db;
}

export class SqliteCentralRepository extends SqliteAdminStore implements CentralRepository {
  readonly engine = 'sqlite' as const;
  readonly cluster: SqliteClusterStore;
  readonly ui: SqliteUiStore;
  readonly #insertAudit: Database.Statement;
  readonly #upsertCall: Database.Statement;
  readonly #ingest: (site: string, events: readonly AuditEvent[], now: string) => IngestResult;

  constructor(file: string) {
    super(openDatabase(file));
    this.cluster = new SqliteClusterStore(this.db);
    this.ui = new SqliteUiStore(this.db);

    this.#insertAudit = this.db.prepare(`INSERT INTO AuditLog
      (EventId, OccurredAtUtc, SourceSite, TrackedOperationId, Kind, Status, Channel, Target, Actor,
       SourceNode, Error, HttpStatus, DurationMs, IngestedAtUtc)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (EventId) DO NOTHING`);
    // DESIGN §4.1: only a newer version of a row that is not terminal, and only from the row's own site.
    this.#upsertCall = this.db.prepare(`INSERT INTO SiteCalls
      (TrackedOperationId, SourceSite, Kind, Channel, TargetSummary, Status, RetryCount, LastError, HttpStatus,
       SourceInstanceId, SourceScript, SourceNode, CreatedAtUtc, UpdatedAtUtc, TerminalAtUtc, Version, IngestedAtUtc)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (TrackedOperationId) DO UPDATE SET
        Status = excluded.Status, RetryCount = excluded.RetryCount, LastError = excluded.LastError,
        HttpStatus = excluded.HttpStatus, UpdatedAtUtc = excluded.UpdatedAtUtc,
        TerminalAtUtc = excluded.TerminalAtUtc, Version = excluded.Version, IngestedAtUtc = excluded.IngestedAtUtc
      WHERE excluded.Version > SiteCalls.Version
        AND SiteCalls.Status NOT IN ${TERMINAL}
        AND SiteCalls.SourceSite = excluded.SourceSite`);

    const ownerOf = this.db.prepare('SELECT SourceSite FROM SiteCalls WHERE TrackedOperationId = ?').pluck();
    const owners = (ids: Iterable<string>): Map<string, string> => {
      const map = new Map<string, string>();
      for (const id of ids) {
        const owner = ownerOf.get(id) as string | undefined;
        if (owner !== undefined) map.set(id, owner);
      }
      return map;
    };

    // Upsert first, then read the owners (issue 8, point 3): a row this batch
    // created is the site's own; the upsert itself never touches another site's row.
    const tx = this.db.transaction((site: string, events: readonly AuditEvent[], now: string): IngestResult => {
      const rows = ingestRows(events);
      for (const op of rows.snapshots) this.#upsert(site, op, now);
      const own = ownEvents(site, rows.events, owners(rows.snapshots.map((op) => op.trackedOperationId)));
      for (const e of own.events) {
        this.#insertAudit.run(
          e.eventId, e.occurredAtUtc, site, e.trackedOperationId, e.kind, e.status, e.channel, e.target,
          JSON.stringify(e.actor), e.sourceNode, e.error, e.httpStatus, e.durationMs, now,
        );
      }
      return { accepted: own.events.map((e) => e.eventId), rejected: [...rows.rejected, ...own.rejected] };
    });
    this.#ingest = (site, events, now) => tx.immediate(site, events, now);

    const setCursor = this.db.prepare('UPDATE Sites SET ReconcileVersion = MAX(ReconcileVersion, ?) WHERE Name = ?');
    const reconcileTx = this.db.transaction(
      (site: string, input: readonly OperationSnapshot[], cursor: number, now: string): ReconcileResult => {
        const { rows, rejected } = reconcileRows(input);
        for (const op of rows) this.#upsert(site, op, now);
        const foreign = foreignRows(site, rows, owners(rows.map((op) => op.trackedOperationId)));
        setCursor.run(cursor, site);
        return { applied: rows.length - foreign.length, rejected: [...rejected, ...foreign] };
      },
    );
    this.#reconcile = (site, rows, cursor, now) => reconcileTx.immediate(site, rows, cursor, now);
  }

  readonly #reconcile: (site: string, rows: readonly OperationSnapshot[], cursor: number, now: string) => ReconcileResult;

  #upsert(site: string, op: OperationSnapshot, now: string): void {
    this.#upsertCall.run(
      op.trackedOperationId, site, seedKind(op.channel), op.channel, op.target, op.status, op.retryCount,
      op.lastError, op.httpStatus, op.sourceInstanceId, op.sourceScript, op.sourceNode,
      op.createdAtUtc, op.updatedAtUtc, op.terminalAtUtc, op.version, now,
    );
  }

  reconcile(site: string, rows: readonly OperationSnapshot[], cursor: number): Promise<ReconcileResult> {
    try {
      return Promise.resolve(this.#reconcile(site, rows, cursor, new Date().toISOString()));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  ingest(site: string, events: readonly AuditEvent[]): Promise<IngestResult> {
    try {
      return Promise.resolve(this.#ingest(site, events, new Date().toISOString()));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  siteCall(trackedOperationId: string): Promise<SiteCallRow | undefined> {
    const row = this.db.prepare('SELECT * FROM SiteCalls WHERE TrackedOperationId = ?').get(trackedOperationId) as
      | SiteCallDbRow
      | undefined;
    return Promise.resolve(row === undefined ? undefined : siteCallOf(row));
  }

  auditOf(trackedOperationId: string): Promise<AuditLogRow[]> {
    // Only the owner's events, should another site's ever have been stored (before issue 8, point 3).
    const rows = this.db
      .prepare(`SELECT * FROM AuditLog WHERE TrackedOperationId = @id
          AND SourceSite = COALESCE((SELECT SourceSite FROM SiteCalls WHERE TrackedOperationId = @id), SourceSite)
        ORDER BY OccurredAtUtc, EventId`)
      .all({ id: trackedOperationId }) as AuditDbRow[];
    return Promise.resolve(rows.map(auditOf));
  }

  listSiteCalls(filter: SiteCallFilter, page: { after?: string; limit: number }): Promise<SiteCallPage> {
    const f = new NamedFilter(page.limit)
      .add('SourceSite = @site', 'site', filter.site)
      .add('Channel = @channel', 'channel', filter.channel)
      .add('Status = @status', 'status', filter.status)
      .add('CreatedAtUtc >= @from', 'from', filter.from)
      .add('CreatedAtUtc < @to', 'to', filter.to)
      .add('TrackedOperationId < @after', 'after', page.after);
    const sql = `SELECT * FROM SiteCalls ${f.where} ORDER BY TrackedOperationId DESC LIMIT @limit`;
    const rows = (this.db.prepare(sql).all(f.params) as SiteCallDbRow[]).map(siteCallOf);
    return Promise.resolve(keysetPage(rows, page.limit, (r) => r.trackedOperationId));
  }

  kpis(options: KpiOptions): Promise<{ global: SiteCallKpis; sites: Record<string, SiteCallKpis> }> {
    const now = options.now ?? new Date();
    const since = new Date(now.getTime() - options.intervalMs).toISOString();
    const stuckBefore = new Date(now.getTime() - options.stuckAfterMs).toISOString();
    const list = (xs: readonly string[]): string => xs.map((x) => `'${x}'`).join(', ');
    const open = this.db
      .prepare(`SELECT SourceSite AS site, Status AS status, COUNT(*) AS n, MIN(CreatedAtUtc) AS oldest,
          SUM(CreatedAtUtc < ?) AS stuck
        FROM SiteCalls WHERE Status IN (${list(OPEN_STATUSES)}) GROUP BY SourceSite, Status`)
      .all(stuckBefore) as OpenRow[];
    const ended = this.db
      .prepare(`SELECT SourceSite AS site, Status AS status, COUNT(*) AS n
        FROM SiteCalls WHERE Status IN (${list(ENDED_STATUSES)}) AND UpdatedAtUtc >= ? GROUP BY SourceSite, Status`)
      .all(since) as EndedRow[];
    return Promise.resolve(foldKpis(open, ended, now));
  }

  purge(cutoffs: { siteCallsBefore: string; auditBefore?: string }): Promise<PurgeResult> {
    const siteCalls = this.db
      .prepare(`DELETE FROM SiteCalls WHERE Status IN ${TERMINAL} AND UpdatedAtUtc < ?`)
      .run(cutoffs.siteCallsBefore).changes;
    const auditRows =
      cutoffs.auditBefore === undefined ? 0 : this.db.prepare('DELETE FROM AuditLog WHERE OccurredAtUtc < ?').run(cutoffs.auditBefore).changes;
    return Promise.resolve({ siteCalls, auditRows });
  }

  claimRun(name: string, now: string, notBefore: string): Promise<boolean> {
    const changes = this.db
      .prepare(`INSERT INTO Jobs (Name, LastRunAtUtc) VALUES (?, ?)
        ON CONFLICT (Name) DO UPDATE SET LastRunAtUtc = excluded.LastRunAtUtc WHERE Jobs.LastRunAtUtc < ?`)
      .run(name, now, notBefore).changes;
    return Promise.resolve(changes === 1);
  }

  /** This replica's id: its name as the holder of a Leases row (a cluster-wide job), and in /info. */
  readonly replicaId = randomUUID();

  schemaVersion(): Promise<number> {
    return Promise.resolve((this.db.prepare('SELECT MAX(Version) FROM schema_migrations').pluck().get() as number | null) ?? 0);
  }

  async exclusive(name: string, job: (lost: AbortSignal) => Promise<void>): Promise<boolean> {
    const now = Date.now();
    const taken = this.db
      .prepare(`INSERT INTO Leases (Name, Holder, ExpiresAtMs) VALUES (?, ?, ?)
        ON CONFLICT (Name) DO UPDATE SET Holder = excluded.Holder, ExpiresAtMs = excluded.ExpiresAtMs
        WHERE Leases.ExpiresAtMs < ?`)
      .run(name, this.replicaId, now + LEASE_MS, now).changes;
    if (taken === 0) return false;
    try {
      // A lease row is not tied to a connection, so nothing takes it away mid-job.
      await job(new AbortController().signal);
      return true;
    } finally {
      if (this.db.open) this.db.prepare('DELETE FROM Leases WHERE Name = ? AND Holder = ?').run(name, this.replicaId);
    }
  }

  /** A local file answers unless it is closed or unreadable. */
  ping(): Promise<void> {
    try {
      this.db.prepare('SELECT 1').get();
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}
