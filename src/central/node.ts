// A central node: the central database, the site link (gRPC) that sites dial,
// reconciliation of each site on connect and on an interval, and a small HTTP
// API (health, readiness, SiteCalls and the Retry/Discard relay).
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import pino, { type Logger } from 'pino';
import { Gauge, Registry } from 'prom-client';
import {
  ConfigError,
  OperationStatus,
  ScadaLinkError,
  describeError,
  isChannel,
  registerProcessMetrics,
  isOperationStatus,
  isTrackedOperationId,
} from '../commons/index.js';
import { SiteLinkServer, type SiteSession } from '../transport/index.js';
import {
  type CentralRepository,
  type OperatorRole,
  type PurgeResult,
  type SiteCallFilter,
  type SiteCallKpis,
  openCentralRepository,
} from './db/index.js';
import { Deployer } from './deploy.js';
import { type Readiness, centralReadiness } from './readiness.js';
import { reconcileSite } from './reconcile.js';
import { siteAuthenticator } from './site-auth.js';
import { TokenVerifier, roleAllows } from './tokens.js';

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
  /** Environment for validating the project (unset `${ENV}` references are the sites' to resolve). */
  readonly env?: NodeJS.ProcessEnv;
}

export interface CentralNode {
  readonly repo: CentralRepository;
  readonly link: SiteLinkServer;
  readonly deployer: Deployer;
  readonly url: string;
  readonly grpcPort: number;
  /** Runs the daily purge now, unless another node is running it; resolves with what it removed, or undefined if it did not run. */
  runMaintenance(): Promise<PurgeResult | undefined>;
  stop(): Promise<void>;
}

const STATUS_OF: Readonly<Record<string, number>> = {
  UNKNOWN_OPERATION: 404,
  OPERATION_NOT_FOUND: 404,
  OPERATION_NOT_PARKED: 409,
  NO_PROJECT: 409,
  SITE_UNREACHABLE: 503,
};

function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof ScadaLinkError) {
    return reply.code(STATUS_OF[err.code] ?? 422).send({ error: { code: err.code, message: err.message } });
  }
  return reply.code(500).send({ error: { code: 'INTERNAL', message: describeError(err) } });
}

export async function startCentralNode(options: CentralNodeOptions): Promise<CentralNode> {
  const logger = options.logger ?? pino({ base: { role: 'central' } });
  const repo = await openCentralRepository({
    dataDir: options.dataDir,
    databaseUrl: options.databaseUrl,
    waitMs: options.databaseWaitMs ?? 30_000,
    onRetry: (err) => logger.warn({ err: describeError(err) }, 'central database not reachable yet; retrying'),
  });
  const reconciling = new Set<string>();
  const reconcile = (session: SiteSession): void => {
    if (reconciling.has(session.site)) return;
    reconciling.add(session.site);
    // A cluster singleton per site: a site that reconnected to another node is reconciled once.
    repo
      .exclusive(`reconcile:${session.site}`, async () => {
        const n = await reconcileSite(repo, session);
        if (n > 0) logger.info({ site: session.site, rows: n }, 'site reconciled');
      })
      .catch((err: unknown) => logger.warn({ site: session.site, err: describeError(err) }, 'reconciliation failed'))
      .finally(() => reconciling.delete(session.site));
  };
  const link = new SiteLinkServer({
    logger,
    tls: options.tls,
    authenticate: siteAuthenticator(repo),
    ingest: (site, events) => repo.ingest(site, events),
    onSession: (session) => {
      reconcile(session);
      deployer
        .connected(session)
        .catch((err: unknown) => logger.warn({ site: session.site, err: describeError(err) }, 'configuration check failed'));
    },
  });
  const deployer = new Deployer(repo, link, logger, options.projectDir === undefined ? undefined : resolve(options.projectDir), options.env ?? process.env);
  if (options.projectDir !== undefined) {
    try {
      const { config, created } = await deployer.record('central start');
      logger.info({ revision: config.revision, sha256: config.sha256, created }, created ? 'project recorded as a new revision' : 'project unchanged');
    } catch (err) {
      await repo.close();
      throw err;
    }
  }
  // Set once the site link listens, cleared when stopping: /ready probes it.
  let linkAddress: { host: string; port: number } | undefined;
  const ready = centralReadiness({ database: (ms) => repo.ping(ms), link: () => linkAddress });
  const app = buildHttp(repo, link, deployer, ready, {
    intervalMs: options.kpiIntervalMs ?? 3_600_000,
    stuckAfterMs: options.stuckAfterMs ?? 600_000,
  });
  let grpcPort: number;
  try {
    grpcPort = await link.listen(options.grpcHost ?? '127.0.0.1', options.grpcPort ?? 7443);
    linkAddress = { host: options.grpcHost ?? '127.0.0.1', port: grpcPort };
    await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
  } catch (err) {
    await link.close();
    await app.close();
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
    url,
    grpcPort,
    runMaintenance,
    stop() {
      stopping ??= (async () => {
        linkAddress = undefined;
        clearInterval(timer);
        clearInterval(purgeTimer);
        await app.close();
        await link.close();
        await maintaining;
        await repo.close();
        logger.info('central stopped');
      })();
      return stopping;
    },
  };
}

const MAX_PAGE = 1_000;
const DAY_MS = 86_400_000;

function invalidQuery(parameter: string, message: string): ScadaLinkError {
  return new ScadaLinkError('INVALID_QUERY', `${parameter}: ${message}`, { details: { parameter } });
}

/** Reads the SiteCalls filter and page from a query string; a bad value is INVALID_QUERY naming the parameter. */
function siteCallQuery(q: Record<string, string | undefined>): { filter: SiteCallFilter; after?: string; limit: number } {
  const known = new Set(['site', 'channel', 'status', 'from', 'to', 'after', 'limit']);
  for (const key of Object.keys(q)) if (!known.has(key)) throw invalidQuery(key, 'unknown parameter');
  if (q.channel !== undefined && !isChannel(q.channel)) throw invalidQuery('channel', 'must be ApiOutbound, DbOutbound or Notification');
  if (q.status !== undefined && !isOperationStatus(q.status)) {
    throw invalidQuery('status', `must be one of ${Object.values(OperationStatus).join(', ')}`);
  }
  for (const key of ['from', 'to'] as const) {
    const v = q[key];
    if (v !== undefined && Number.isNaN(Date.parse(v))) throw invalidQuery(key, 'must be an ISO-8601 time');
  }
  if (q.after !== undefined && !isTrackedOperationId(q.after)) throw invalidQuery('after', 'must be a TrackedOperationId');
  const limit = q.limit === undefined ? 100 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw invalidQuery('limit', `must be a whole number from 1 to ${MAX_PAGE}`);
  const iso = (v: string | undefined): string | undefined => (v === undefined ? undefined : new Date(v).toISOString());
  return {
    filter: {
      site: q.site,
      channel: q.channel as SiteCallFilter['channel'],
      status: q.status as SiteCallFilter['status'],
      from: iso(q.from),
      to: iso(q.to),
    },
    after: q.after,
    limit,
  };
}

function centralMetrics(repo: CentralRepository, kpi: { intervalMs: number; stuckAfterMs: number }): Registry {
  const registry = new Registry();
  registerProcessMetrics(registry);
  const gauges: [keyof SiteCallKpis, string, string][] = [
    ['buffered', 'scadalink_central_site_calls_buffered', 'Operations Submitted, Forwarded or Attempted at the sites, as central knows them.'],
    ['parked', 'scadalink_central_site_calls_parked', 'Parked operations awaiting an operator.'],
    ['failedLastInterval', 'scadalink_central_site_calls_failed_last_interval', 'Operations that failed within the KPI interval.'],
    ['deliveredLastInterval', 'scadalink_central_site_calls_delivered_last_interval', 'Operations delivered within the KPI interval.'],
    ['oldestPendingAgeSeconds', 'scadalink_central_site_calls_oldest_pending_age_seconds', 'Age of the oldest buffered operation.'],
    ['stuck', 'scadalink_central_site_calls_stuck', 'Operations buffered for longer than the stuck threshold.'],
  ];
  let snapshot: Promise<{ global: SiteCallKpis; sites: Readonly<Record<string, SiteCallKpis>> }> | undefined;
  for (const [key, name, help] of gauges) {
    new Gauge({
      name,
      help,
      labelNames: ['site'],
      registers: [registry],
      async collect() {
        // One query pair per scrape, shared by the six gauges.
        snapshot ??= repo.kpis(kpi).finally(() => setImmediate(() => (snapshot = undefined)));
        const k = await snapshot;
        this.reset();
        this.set({ site: '*' }, k.global[key]);
        for (const [site, v] of Object.entries(k.sites)) this.set({ site }, v[key]);
      },
    });
  }
  return registry;
}

function buildHttp(
  repo: CentralRepository,
  link: SiteLinkServer,
  deployer: Deployer,
  ready: () => Promise<Readiness>,
  kpi: { intervalMs: number; stuckAfterMs: number },
): FastifyInstance {
  const app = Fastify({ logger: false });
  const registry = centralMetrics(repo, kpi);
  // Every /admin/ request needs an operator token; acting on operations needs Deployment or Admin.
  const tokens = new TokenVerifier(repo);
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/admin/')) return;
    const header = req.headers.authorization ?? '';
    const record = header.startsWith('Bearer ') ? await tokens.verify(header.slice(7)) : undefined;
    if (record === undefined) {
      return reply.code(401).send({ error: { code: 'ADMIN_UNAUTHORIZED', message: 'a valid operator token is required (scadalink central token create)' } });
    }
    const needed: OperatorRole = req.method === 'GET' ? 'Viewer' : 'Deployment';
    if (!roleAllows(record.role, needed)) {
      return reply.code(403).send({ error: { code: 'FORBIDDEN_ROLE', message: `this needs the ${needed} role; the token has ${record.role}` } });
    }
    (req as { operator?: string }).operator = record.name;
  });
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_req, reply) => {
    const r = await ready();
    if (r.ready) return { status: 'ready' };
    return reply.code(503).send({ status: 'not ready', reasons: r.reasons, error: { code: 'NOT_READY', message: r.reasons.join('; ') } });
  });
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  app.get('/admin/api/kpis', async () => ({ intervalMs: kpi.intervalMs, stuckAfterMs: kpi.stuckAfterMs, ...(await repo.kpis(kpi)) }));
  app.get<{ Querystring: Record<string, string | undefined> }>('/admin/api/site-calls', async (req, reply) => {
    try {
      const q = siteCallQuery(req.query);
      return await repo.listSiteCalls(q.filter, { after: q.after, limit: q.limit });
    } catch (err) {
      if (err instanceof ScadaLinkError && err.code === 'INVALID_QUERY') {
        return reply.code(400).send({ error: { code: err.code, message: err.message, details: err.details } });
      }
      throw err;
    }
  });
  app.get<{ Params: { id: string } }>('/admin/api/site-calls/:id', async (req, reply) => {
    const row = await repo.siteCall(req.params.id);
    if (row === undefined) return sendError(reply, new ScadaLinkError('UNKNOWN_OPERATION', `no operation ${req.params.id} at central`));
    return { ...row, audit: await repo.auditOf(req.params.id) };
  });
  app.get('/admin/api/sites', async () => {
    const latest = await repo.latestConfig();
    const sites = await repo.sites();
    return {
      latestRevision: latest === undefined ? null : { revision: latest.revision, sha256: latest.sha256, createdAtUtc: latest.createdAtUtc, createdBy: latest.createdBy },
      sites: sites.map((s) => {
        const session = link.session(s.name);
        return {
          name: s.name,
          connected: session !== undefined,
          node: session?.node ?? null,
          version: session?.version ?? null,
          configRevision: s.configRevision,
          configError: s.configError,
          configReportedAtUtc: s.configReportedAtUtc,
        };
      }),
    };
  });
  // Re-reads the project directory, records it if it changed, and sends it to every connected site.
  app.post('/admin/api/deployments', async (req, reply) => {
    try {
      const { config, created } = await deployer.record((req as { operator?: string }).operator ?? 'operator');
      const sites = await deployer.deployAll(config);
      return reply.code(created ? 201 : 200).send({ revision: config.revision, sha256: config.sha256, created, sites });
    } catch (err) {
      if (err instanceof ConfigError) {
        return reply.code(400).send({ error: { code: err.code, message: err.message, details: { issues: err.issues } } });
      }
      return sendError(reply, err);
    }
  });
  for (const action of ['retry', 'discard'] as const) {
    app.post<{ Params: { id: string } }>(`/admin/api/site-calls/:id/${action}`, async (req, reply) => {
      const row = await repo.siteCall(req.params.id);
      if (row === undefined) return sendError(reply, new ScadaLinkError('UNKNOWN_OPERATION', `no operation ${req.params.id} at central`));
      // The token's name is the operator the site records as the audit actor.
      const operator = (req as { operator?: string }).operator ?? 'central';
      const body = { trackedOperationId: row.trackedOperationId, operator };
      try {
        const answer = await link.command(row.sourceSite, action === 'retry' ? { retryParked: body } : { discardParked: body });
        if (!answer.ok) return sendError(reply, new ScadaLinkError(answer.errorCode || 'COMMAND_FAILED', answer.errorMessage));
        return reply.code(202).send({ status: 'sent', site: row.sourceSite });
      } catch (err) {
        return sendError(reply, err);
      }
    });
  }
  return app;
}
