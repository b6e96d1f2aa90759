// A central node: the central database, the site link (gRPC) that sites dial,
// reconciliation of each site on connect and on an interval, and a small HTTP
// API (health, readiness, SiteCalls and the Retry/Discard relay).
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { describeError } from '../commons/index.js';
import { SiteLinkServer, type SiteSession } from '../transport/index.js';
import { type CentralRepository, type InboundPurgeResult, type PurgeResult, openCentralRepository } from './db/index.js';
import { Deployer } from './deploy.js';
import { centralHttp } from './http.js';
import { centralInfo } from './info.js';
import { centralMetrics } from './metrics.js';
import { centralNodeMetrics, reconcileFailure } from './node-metrics.js';
import {
  DatabaseFailureLog,
  DatabaseIdempotencyStore,
  INBOUND_FAILURE_RETENTION_MS,
  type IdempotencyStore,
  type InboundFailureLog,
  type SiteRouter,
  inboundApiService,
  siteRouter,
} from './inbound-api/index.js';
import { centralReadiness } from './readiness.js';
import { reconcileSite } from './reconcile.js';
import { siteSecrets } from './site-auth.js';
import { type SiteCommander, clusterCommander, internalSiteCommandRoute, keepSessionRegistry } from './site-commands/index.js';
import { advertisedUrl } from './advertise.js';
import { watchSites } from './watch.js';
import { DEFAULT_IDLE_MS, DEFAULT_MAX_MS, UiSessions, uiRoutes } from './ui/index.js';

export interface CentralNodeOptions {
  readonly dataDir: string;
  /** postgres:// URL; without it central uses SQLite at <dataDir>/central.db. */
  readonly databaseUrl?: string;
  /** How long start waits for a PostgreSQL server that cannot be reached yet. Default 30 s. */
  readonly databaseWaitMs?: number;
  readonly host?: string;
  /** HTTP port (0 picks one). Default 8080. */
  readonly port?: number;
  readonly grpcHost?: string;
  /** Site link port (0 picks one). Default 7443. */
  readonly grpcPort?: number;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** How often every connected site is reconciled, besides on each connect. Default 5 minutes. */
  readonly reconcileIntervalMs?: number;
  readonly logger?: Logger;
  /** The "last interval" of the failed/delivered KPIs. Default 1 hour. */
  readonly kpiIntervalMs?: number;
  /** Buffered longer than this counts as stuck. Default 10 minutes. */
  readonly stuckAfterMs?: number;
  /** Terminal SiteCalls rows are purged this long after they ended. Default 365 days. */
  readonly siteCallRetentionMs?: number;
  /** AuditLog rows are purged this long after they occurred (PostgreSQL: whole months). Default 365 days. */
  readonly auditRetentionMs?: number;
  /** Inbound API failure rows are purged this long after they were recorded. Default 30 days. */
  readonly inboundFailureRetentionMs?: number;
  /** Run the daily purge at start as well (default true; the day's claim keeps it to once a day across nodes). */
  readonly maintenanceOnStart?: boolean;
  /** The project central deploys to its sites (recorded as a revision at start when it changed). */
  readonly projectDir?: string;
  /** How often the newest revision is read, to send one recorded elsewhere (a rollback, another node). Default 2 s. */
  readonly revisionPollMs?: number;
  /** Environment for validating the project (unset `${ENV}` references are the sites' to resolve). */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the other central nodes reach this one's HTTP server (docs/central.md "Several central nodes"); default http://host:port unless host is a wildcard. */
  readonly advertiseUrl?: string;
  /** How often this node's rows of the site-session registry are refreshed. Default 5 s; a row counts for three. */
  readonly sessionHeartbeatMs?: number;
  /** Route.To's way to the sites (issue 11 point 5). Default: over the site streams, through the node that holds each (siteRouter). */
  readonly siteRouter?: SiteRouter;
  /** Where Inbound API failures are recorded (issue 11 point 7). Default: the central database's failure log. */
  readonly inboundFailures?: InboundFailureLog;
  /** Idempotency-Key records (issue 11 point 8). Default: claims in the central database. */
  readonly idempotency?: IdempotencyStore;
  /** Largest Inbound API request body, in bytes. Default 1 MiB. */
  readonly apiBodyLimitBytes?: number;
  /** How long the Inbound API trusts its read of the newest revision's methods. Default 1 s. */
  readonly apiMethodsRefreshMs?: number;
  /** Web UI sessions (docs/ui.md): ended after this long without a request (default 30 min) and this long after sign-in (default 12 h). */
  readonly uiIdleTimeoutMs?: number;
  readonly uiMaxSessionMs?: number;
  /** Mark the UI's session cookie Secure: central is reached over TLS (a TLS proxy in front). */
  readonly uiSecureCookies?: boolean;
}

/** What one run of the daily purge removed. */
export type MaintenanceResult = PurgeResult & InboundPurgeResult & { readonly uiSessions: number };

export interface CentralNode {
  readonly repo: CentralRepository;
  readonly link: SiteLinkServer;
  readonly deployer: Deployer;
  /** Route.To for central scripts: calls and attribute reads/writes at instances of the deployed configuration (issue 11 point 5). */
  readonly router: SiteRouter;
  /** Sends a command to a site wherever its stream is held (this node, or another one on the same database). */
  readonly commander: SiteCommander;
  readonly url: string;
  readonly grpcPort: number;
  /** Runs the daily purge now, unless another node is running it; resolves with what it removed, or undefined if it did not run. */
  runMaintenance(): Promise<MaintenanceResult | undefined>;
  stop(): Promise<void>;
}

export async function startCentralNode(options: CentralNodeOptions): Promise<CentralNode> {
  const logger = options.logger ?? pino({ base: { role: 'central' } });
  // Checked before anything opens: a wildcard host on PostgreSQL needs --advertise-url.
  const advertise = advertisedUrl(options);
  const repo = await openCentralRepository({
    dataDir: options.dataDir,
    databaseUrl: options.databaseUrl,
    waitMs: options.databaseWaitMs ?? 30_000,
    onRetry: (err) => logger.warn({ err: describeError(err) }, 'central database not reachable yet; retrying'),
  });
  // Authenticates the hop between central nodes; made by the first node ever started on this database.
  const secret = await repo.cluster.clusterSecret().catch(async (err: unknown) => {
    await repo.close();
    throw err;
  });
  const startedAt = Date.now();
  const kpi = { intervalMs: options.kpiIntervalMs ?? 3_600_000, stuckAfterMs: options.stuckAfterMs ?? 600_000 };
  const registry = centralMetrics(repo, kpi);
  const metrics = centralNodeMetrics(registry, () => link);
  const reconciling = new Set<string>();
  const reconcile = (session: SiteSession): void => {
    if (reconciling.has(session.site)) return;
    reconciling.add(session.site);
    // A cluster singleton per site: a site that reconnected to another node is reconciled once.
    repo
      .exclusive(`reconcile:${session.site}`, async () => {
        const n = await reconcileSite(repo, session, { logger });
        if (n > 0) logger.info({ site: session.site, rows: n }, 'site reconciled');
      })
      .then((ran) => metrics.reconciled(ran ? 'ok' : 'skipped'))
      .catch((err: unknown) => {
        metrics.reconciled(reconcileFailure(err));
        logger.warn({ site: session.site, err: describeError(err) }, 'reconciliation failed');
      })
      .finally(() => reconciling.delete(session.site));
  };
  const link = new SiteLinkServer({
    logger,
    tls: options.tls,
    secrets: siteSecrets(repo),
    ingest: (site, events) => {
      watch.seen(site);
      return repo.ingest(site, events);
    },
    onIngest: (outcome) => metrics.ingested(outcome),
    onSession: (session) => {
      reconcile(session);
      deployer
        .connected(session)
        .catch((err: unknown) => logger.warn({ site: session.site, err: describeError(err) }, 'configuration check failed'));
    },
  });
  const deployer = new Deployer(repo, link, logger, options.projectDir === undefined ? undefined : resolve(options.projectDir), options.env ?? process.env);
  const watch = watchSites({ repo, link, deployer, logger, revisionPollMs: options.revisionPollMs });
  if (options.projectDir !== undefined) {
    try {
      const { config, created } = await deployer.record('central start');
      logger.info({ revision: config.revision, sha256: config.sha256, created }, created ? 'project recorded as a new revision' : 'project unchanged');
    } catch (err) {
      await watch.stop();
      await repo.close();
      throw err;
    }
  }
  // Set once the site link listens, cleared when stopping: /ready probes it.
  let linkAddress: { host: string; port: number } | undefined;
  const ready = centralReadiness({ database: (ms) => repo.ping(ms), link: () => linkAddress });
  // The registry is written once this node's address is known; until then `node.url` is not used.
  const node = { id: repo.replicaId, url: '' };
  const sessions = keepSessionRegistry({ store: repo.cluster, link, node, logger, heartbeatMs: options.sessionHeartbeatMs });
  const commander = clusterCommander({ link, registry: sessions, secret, logger, metrics: registry });
  // Route.To goes through the commander, so a call for a site held by another node is forwarded like Retry/Discard.
  const router = options.siteRouter ?? siteRouter({ repo, commander, env: options.env });
  const internal = internalSiteCommandRoute(link, secret);
  const inbound = inboundApiService({
    repo,
    registry,
    logger,
    dataDir: resolve(options.dataDir),
    env: options.env ?? process.env,
    router,
    failures: options.inboundFailures ?? new DatabaseFailureLog(repo),
    idempotency: options.idempotency ?? new DatabaseIdempotencyStore(repo),
    bodyLimitBytes: options.apiBodyLimitBytes,
    refreshMs: options.apiMethodsRefreshMs,
  });
  const uiSessions = new UiSessions(repo, {
    idleMs: options.uiIdleTimeoutMs ?? DEFAULT_IDLE_MS,
    maxMs: options.uiMaxSessionMs ?? DEFAULT_MAX_MS,
    secureCookies: options.uiSecureCookies ?? false,
  });
  const app = await centralHttp(repo, link, deployer, ready, kpi, {
    registry,
    info: centralInfo(repo, startedAt),
    commander,
    internal,
    inboundApi: inbound.routes,
    ui: uiRoutes(repo, uiSessions, logger),
  });
  let grpcPort: number;
  try {
    grpcPort = await link.listen(options.grpcHost ?? '127.0.0.1', options.grpcPort ?? 7443);
    linkAddress = { host: options.grpcHost ?? '127.0.0.1', port: grpcPort };
    await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
    node.url = advertise((app.server.address() as AddressInfo).port);
    sessions.start();
  } catch (err) {
    await sessions.stop();
    await link.close();
    await app.close();
    await inbound.close();
    await watch.stop();
    await repo.close();
    throw err;
  }
  const timer = setInterval(() => {
    for (const site of link.sites()) {
      const s = link.session(site);
      if (s === undefined) continue;
      reconcile(s);
      // A revision another central node recorded reaches this node's sites here at the latest.
      deployer.sync(s).catch((err: unknown) => logger.warn({ site, err: describeError(err) }, 'configuration check failed'));
    }
  }, options.reconcileIntervalMs ?? 300_000);
  timer.unref();
  const runMaintenance = async (): Promise<MaintenanceResult | undefined> => {
    const now = Date.now();
    let result: MaintenanceResult | undefined;
    const held = await repo.exclusive('purge', async () => {
      // Once per day across all nodes: the first node to claim the day runs it.
      const claimed = await repo.claimRun('purge', new Date(now).toISOString(), new Date(now - DAY_MS + 60_000).toISOString());
      if (!claimed) {
        logger.info('central purge skipped: it already ran in the last day');
        return;
      }
      const purged = await repo.purge({
        siteCallsBefore: new Date(now - (options.siteCallRetentionMs ?? 365 * DAY_MS)).toISOString(),
        auditBefore: new Date(now - (options.auditRetentionMs ?? 365 * DAY_MS)).toISOString(),
      });
      // Inbound API failures past their retention, and Idempotency-Key rows past their 24 h.
      const failuresBefore = new Date(now - (options.inboundFailureRetentionMs ?? INBOUND_FAILURE_RETENTION_MS)).toISOString();
      result = { ...purged, ...(await repo.purgeInbound({ failuresBefore })), uiSessions: await uiSessions.purge(now) };
      logger.info(result, 'central purge done');
    });
    if (!held) logger.info('central purge skipped: another node is running it');
    return result;
  };
  let maintaining: Promise<unknown> = Promise.resolve();
  const maintain = (): void => {
    maintaining = runMaintenance().catch((err: unknown) => logger.warn({ err: describeError(err) }, 'central purge failed'));
  };
  const purgeTimer = setInterval(maintain, DAY_MS);
  purgeTimer.unref();
  // At start too, so a node restarted more often than daily still purges; the claim keeps it to once a day.
  if (options.maintenanceOnStart ?? true) maintain();
  const address = app.server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url, grpcPort, engine: repo.engine, advertiseUrl: node.url }, 'central node listening');
  let stopping: Promise<void> | undefined;
  return {
    repo,
    link,
    deployer,
    router,
    commander,
    url,
    grpcPort,
    runMaintenance,
    stop() {
      stopping ??= (async () => {
        linkAddress = undefined;
        clearInterval(timer);
        clearInterval(purgeTimer);
        await app.close();
        await sessions.stop();
        await inbound.close();
        await link.close();
        await maintaining;
        await watch.stop();
        await repo.close();
        logger.info('central stopped');
      })();
      return stopping;
    },
  };
}

const DAY_MS = 86_400_000;
