// The central database behind one interface (DESIGN §5, Central): SQLite by
// default, PostgreSQL with --database-url. Every method means the same on both
// engines; test/central/db/conformance.test.ts runs one suite against each.
import type { UiStore } from './ui-types.js';
import type { AuditEvent, Channel, OperationSnapshot, OperationStatus } from '../../commons/index.js';
import type { CentralAdminStore } from './admin-types.js';
import type { ClusterStore } from './cluster-types.js';

export type {
  SiteRecord,
  ConfigRevision,
  ConfigSummary,
  ConfigReport,
  OperatorRole,
  NewToken,
  TokenRecord,
  TokenSummary,
  OperatorAction,
  OperatorActionFilter,
  ApiKeyRecord,
  ApiKeySummary,
  ApiKeyStore,
  CentralAdminStore,
} from './admin-types.js';

export type CentralEngine = 'sqlite' | 'postgres';

/** One `SiteCalls` row: seed 001's columns plus Channel, HttpStatus, Version, IngestedAtUtc. */
export interface SiteCallRow {
  readonly trackedOperationId: string;
  readonly sourceSite: string;
  /** Seed 001's Kind: `ExternalCall`, `DatabaseWrite` or `Notification` (from the channel). */
  readonly kind: string;
  readonly channel: Channel;
  readonly targetSummary: string;
  readonly status: OperationStatus;
  readonly retryCount: number;
  readonly lastError: string | null;
  readonly httpStatus: number | null;
  readonly sourceInstanceId: string | null;
  readonly sourceScript: string | null;
  readonly sourceNode: string | null;
  readonly createdAtUtc: string;
  readonly updatedAtUtc: string;
  readonly terminalAtUtc: string | null;
  readonly version: number;
  readonly ingestedAtUtc: string;
}

/** One `AuditLog` row: the audit event as the site sent it, stamped with its site. */
export interface AuditLogRow {
  readonly eventId: string;
  readonly occurredAtUtc: string;
  readonly sourceSite: string;
  readonly trackedOperationId: string | null;
  readonly kind: string;
  readonly status: string;
  readonly channel: string;
  readonly target: string;
  readonly actor: unknown;
  readonly sourceNode: string;
  readonly error: string | null;
  readonly httpStatus: number | null;
  readonly durationMs: number | null;
  readonly ingestedAtUtc: string;
}

export interface RejectedEvent {
  readonly eventId: string;
  /** Why it can never be accepted (the site moves it aside and does not resend it). */
  readonly reason: string;
}

/** A reconciliation row central refused (issue 8, points 3 and 4). */
export interface RejectedRow {
  /** As the site sent it (cut to 128 characters). */
  readonly trackedOperationId: string;
  readonly reason: string;
}

export interface ReconcileResult {
  /** Rows upserted (or found already newer or terminal): every valid row of the site's own operations. */
  readonly applied: number;
  readonly rejected: RejectedRow[];
}

export interface IngestResult {
  /** Every event now in AuditLog: new ones and duplicates of ones already there. */
  readonly accepted: string[];
  readonly rejected: RejectedEvent[];
}

/** Point-in-time KPIs over SiteCalls (seed 001 "KPIs"), global or for one site. */
export interface SiteCallKpis {
  /** Submitted + Forwarded + Attempted. */
  readonly buffered: number;
  readonly parked: number;
  /** Reached Failed / Delivered within the last interval. */
  readonly failedLastInterval: number;
  readonly deliveredLastInterval: number;
  /** Age of the oldest buffered operation (0 when none). */
  readonly oldestPendingAgeSeconds: number;
  /** Buffered for longer than the stuck threshold. */
  readonly stuck: number;
}

export interface KpiOptions {
  /** The "last interval" of failed/delivered counts (ms). */
  readonly intervalMs: number;
  /** Buffered longer than this counts as stuck (ms; default 10 minutes). */
  readonly stuckAfterMs: number;
  readonly now?: Date;
}

export interface SiteCallFilter {
  readonly site?: string;
  readonly channel?: Channel;
  readonly status?: OperationStatus;
  /** CreatedAtUtc ≥ from, < to (ISO). */
  readonly from?: string;
  readonly to?: string;
}

export interface SiteCallPage {
  readonly items: SiteCallRow[];
  /** Pass as `after` for the next page; null on the last one. */
  readonly next: string | null;
}

export interface PurgeResult {
  readonly siteCalls: number;
  /** AuditLog rows deleted (SQLite) or in the partitions dropped (PostgreSQL). */
  readonly auditRows: number;
}

export interface CentralRepository extends CentralAdminStore {
  readonly engine: CentralEngine;
  /** Which node holds each site's stream, and the cluster secret (issue 11, point 6). */
  readonly cluster: ClusterStore;
  /** The web UI's users and sessions (issue 12, point 1). */
  readonly ui: UiStore;
  /** This replica's id, made at open (SQLite: the holder of its Leases rows). Shown in /info. */
  readonly replicaId: string;
  /** The newest migration applied to the database. */
  schemaVersion(): Promise<number>;

  /**
   * Dual write of one telemetry batch from `site` in ONE transaction (DESIGN
   * §5): AuditLog insert-if-absent, SiteCalls upsert-if-newer-version with
   * terminal rows immutable (§4.1). Invalid events, and events of an operation
   * that belongs to another site (issue 8, point 3), are rejected, never
   * written; a database failure rolls the whole batch back and rejects the promise.
   */
  ingest(site: string, events: readonly AuditEvent[]): Promise<IngestResult>;
  /**
   * Reconciliation (central issue, point 6): upserts tracking rows pulled from
   * the site under the same rule as ingest, and moves the site's cursor to
   * `cursor` in the same transaction. Invalid rows and rows of another site's
   * operations are rejected, never written.
   */
  reconcile(site: string, rows: readonly OperationSnapshot[], cursor: number): Promise<ReconcileResult>;
  siteCall(trackedOperationId: string): Promise<SiteCallRow | undefined>;
  /** The audit rows of one operation, oldest first: only those of the site that owns it (issue 8, point 3). */
  auditOf(trackedOperationId: string): Promise<AuditLogRow[]>;

  /**
   * SiteCalls newest first (TrackedOperationIds are UUIDv7, so id order is
   * creation order), keyset-paged: `after` is the last id of the previous page.
   */
  listSiteCalls(filter: SiteCallFilter, page: { readonly after?: string; readonly limit: number }): Promise<SiteCallPage>;
  kpis(options: KpiOptions): Promise<{ readonly global: SiteCallKpis; readonly sites: Readonly<Record<string, SiteCallKpis>> }>;

  /**
   * Retention (central issue, point 9): deletes terminal SiteCalls rows that
   * ended before `siteCallsBefore`, and AuditLog rows that occurred before
   * `auditBefore` (PostgreSQL drops whole monthly partitions, so only months
   * that end before the cutoff go).
   */
  purge(cutoffs: { readonly siteCallsBefore: string; readonly auditBefore?: string }): Promise<PurgeResult>;
  /**
   * Runs `job` unless another central node is running the job of that name,
   * so two nodes on one database never run it at once (PostgreSQL: a session
   * advisory lock; SQLite: a lease row, taken over after an hour if its node
   * died). Resolves with whether it ran. `lost` aborts when the lock is gone
   * before the job ends (PostgreSQL: its connection died); the job may stop
   * early, and `exclusive` then rejects with SINGLETON_LOCK_LOST.
   */
  exclusive(name: string, job: (lost: AbortSignal) => Promise<void>): Promise<boolean>;

  /** Resolves when the database answers a trivial query within `timeoutMs` (readiness). */
  ping(timeoutMs: number): Promise<void>;

  /**
   * Claims this period's run of a periodic job: true (and the job's last run
   * set to `now`) only if it has not run since `notBefore`. Atomic, so of
   * several nodes exactly one claims each period.
   */
  claimRun(name: string, now: string, notBefore: string): Promise<boolean>;

  close(): Promise<void>;
}
