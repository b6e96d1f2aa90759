// A central node: the central database, the site link (gRPC) that sites dial,
// reconciliation of each site on connect and on an interval, and a small HTTP
// API (health, readiness, SiteCalls and the Retry/Discard relay).
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { describeError } from '../commons/index.js';
import { SiteLinkServer, type SiteSession } from '../transport/index.js';
import { type CentralRepository, type PurgeResult, openCentralRepository } from './db/index.js';
import { Deployer } from './deploy.js';
import { centralHttp } from './http.js';
import { centralInfo } from './info.js';
import { centralMetrics } from './metrics.js';
import { centralNodeMetrics, reconcileFailure } from './node-metrics.js';
import { type IdempotencyStore, type InboundFailureLog, type SiteRouter, inboundApiService, siteRouter } from './inbound-api/index.js';
import { centralReadiness } from './readiness.js';
import { reconcileSite } from './reconcile.js';
import { siteSecrets } from './site-auth.js';
import { localCommander } from './site-commands/index.js';
import { watchSites } from './watch.js';

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
  /** Run the daily purge at start as well (default true; the day's claim keeps it to once a day across nodes). */
  readonly maintenanceOnStart?: boolean;
  /** The project central deploys to its sites (recorded as a revision at start when it changed). */
  readonly projectDir?: string;
  /** How often the newest revision is read, to send one recorded elsewhere (a rollback, another node). Default 2 s. */
  readonly revisionPollMs?: number;
  /** Environment for validating the project (unset `${ENV}` references are the sites' to resolve). */
  readonly env?: NodeJS.ProcessEnv;
  /** Route.To's way to the sites (issue 11 point 5). Default: over the site streams of this node (siteRouter). */
  readonly siteRouter?: SiteRouter;
  /** Where Inbound API failures are recorded (issue 11 point 7); without one they are only counted in /metrics. */
  readonly inboundFailures?: InboundFailureLog;
  /** Idempotency-Key records (issue 11 point 8); without one the header is validated and otherwise ignored. */
  readonly idempotency?: IdempotencyStore;
  /** Largest Inbound API request body, in bytes. Default 1 MiB. */
  readonly apiBodyLimitBytes?: number;
  /** How long the Inbound API trusts its read of the newest revision's methods. Default 1 s. */
  readonly apiMethodsRefreshMs?: number;
}

export interface CentralNode {
  readonly repo: CentralRepository;
  readonly link: SiteLinkServer;
  readonly deployer: Deployer;
  /** Route.To for central scripts: calls and attribute reads/writes at instances of the deployed configuration (issue 11 point 5). */
  readonly router: SiteRouter;
  readonly url: string;
  readonly grpcPort: number;
  /** Runs the daily purge now, unless another node is running it; resolves with what it removed, or undefined if it did not run. */
  runMaintenance(): Promise<PurgeResult | undefined>;
  stop(): Promise<void>;
}

export async function startCentralNode(options: CentralNodeOptions): Promise<CentralNode> {
  const logger = options.logger ?? pino({ base: { role: 'central' } });
  const repo = await openCentralRepository({
    dataDir: options.dataDir,
    databaseUrl: options.databaseUrl,
    waitMs: options.databaseWaitMs ?? 30_000,
    onRetry: (err) => logger.warn({ err: describeError(err) }, 'central database not reachable yet; retrying'),
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
  const router = options.siteRouter ?? siteRouter({ repo, commander: localCommander(link), env: options.env });
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
  const inbound = inboundApiService({
    repo,
    registry,
    logger,
    dataDir: resolve(options.dataDir),
    env: options.env ?? process.env,
    router,
    failures: options.inboundFailures,
    idempotency: options.idempotency,
    bodyLimitBytes: options.apiBodyLimitBytes,
    refreshMs: options.apiMethodsRefreshMs,
  });
  const app = await centralHttp(repo, link, deployer, ready, kpi, { registry, info: centralInfo(repo, startedAt), inboundApi: inbound.routes });
  let grpcPort: number;
  try {
    grpcPort = await link.listen(options.grpcHost ?? '127.0.0.1', options.grpcPort ?? 7443);
    linkAddress = { host: options.grpcHost ?? '127.0.0.1', port: grpcPort };
    await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
  } catch (err) {
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
  const runMaintenance = async (): Promise<PurgeResult | undefined> => {
    const now = Date.now();
    let result: PurgeResult | undefined;
    const held = await repo.exclusive('purge', async () => {
      // Once per day across all nodes: the first node to claim the day runs it.
      const claimed = await repo.claimRun('purge', new Date(now).toISOString(), new Date(now - DAY_MS + 60_000).toISOString());
      if (!claimed) {
        logger.info('central purge skipped: it already ran in the last day');
        return;
      }
      result = await repo.purge({
        siteCallsBefore: new Date(now - (options.siteCallRetentionMs ?? 365 * DAY_MS)).toISOString(),
        auditBefore: new Date(now - (options.auditRetentionMs ?? 365 * DAY_MS)).toISOString(),
      });
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
  logger.info({ url, grpcPort, engine: repo.engine }, 'central node listening');
  let stopping: Promise<void> | undefined;
  return {
    repo,
    link,
    deployer,
    router,
    url,
    grpcPort,
    runMaintenance,
    stop() {
      stopping ??= (async () => {
        linkAddress = undefined;
        clearInterval(timer);
        clearInterval(purgeTimer);
        await app.close();
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
