// Central's HTTP surface: /health, /ready, /metrics, and the operator API
// under /admin/api (KPIs, SiteCalls, sites, deployments, the Retry/Discard
// relay). Authorisation belongs to the routes of the admin context: its hook
// runs for exactly the routes Fastify's router chose, whatever spelling of the
// URL led there (percent-encoding, absolute form, dot segments), so no raw-URL
// test can be fooled.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  Channel,
  ConfigError,
  OperationStatus,
  type Query,
  ScadaLinkError,
  answerErrorsAsJson,
  httpServerOptions,
  invalidQuery,
  isTrackedOperationId,
  onlyParams,
  queryLimit,
  queryOneOf,
  queryText,
  queryTime,
} from '../commons/index.js';
import type { SiteLinkServer } from '../transport/index.js';
import type { CentralRepository, OperatorRole, SiteCallFilter } from './db/index.js';
import type { Registry } from 'prom-client';
import { LIFECYCLE_STATUS, lifecycleRoutes, siteView } from './admin-routes.js';
import type { Deployer } from './deploy.js';
import { type CentralInfo, centralInfo } from './info.js';
import { API_KEY_STATUS, apiKeyAdminRoutes } from './inbound-api/index.js';
import { audited } from './lifecycle.js';
import { centralMetrics, type KpiSettings } from './metrics.js';
import type { Readiness } from './readiness.js';
import { TokenVerifier, roleAllows } from './tokens.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least operator role the route needs (admin routes only). */
    role?: OperatorRole;
  }
}

const STATUS_OF: Readonly<Record<string, number>> = {
  INVALID_QUERY: 400,
  CONFIG_INVALID: 400,
  UNKNOWN_OPERATION: 404,
  OPERATION_NOT_FOUND: 404,
  OPERATION_NOT_PARKED: 409,
  NO_PROJECT: 409,
  SITE_UNREACHABLE: 503,
  ...LIFECYCLE_STATUS,
  ...API_KEY_STATUS,
};

const unknownOperation = (id: string): ScadaLinkError => new ScadaLinkError('UNKNOWN_OPERATION', `no operation ${id.slice(0, 100)} at central`);

/** Reads the SiteCalls filter and page from a query string; a bad value is INVALID_QUERY naming the parameter. */
function siteCallQuery(q: Query): { filter: SiteCallFilter; after?: string; limit: number } {
  onlyParams(q, ['site', 'channel', 'status', 'from', 'to', 'after', 'limit']);
  const after = queryText(q, 'after');
  if (after !== undefined && !isTrackedOperationId(after)) throw invalidQuery('after', 'must be a TrackedOperationId');
  return {
    filter: {
      site: queryText(q, 'site'),
      channel: queryOneOf(q, 'channel', Object.values(Channel)),
      status: queryOneOf(q, 'status', Object.values(OperationStatus)),
      from: queryTime(q, 'from'),
      to: queryTime(q, 'to'),
    },
    after,
    limit: queryLimit(q),
  };
}

type Operated = FastifyRequest & { operator?: string };

/**
 * Every route of the admin context needs an operator token whose role covers
 * the route's `config.role`; a route that forgot to declare one needs Admin
 * (closed by default).
 */
function requireOperator(tokens: TokenVerifier) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const header = req.headers.authorization ?? '';
    const record = header.startsWith('Bearer ') ? await tokens.verify(header.slice(7)) : undefined;
    if (record === undefined) {
      return reply.code(401).send({ error: { code: 'ADMIN_UNAUTHORIZED', message: 'a valid operator token is required (scadalink central token create)' } });
    }
    const needed: OperatorRole = req.routeOptions.config.role ?? 'Admin';
    if (!roleAllows(record.role, needed)) {
      return reply.code(403).send({ error: { code: 'FORBIDDEN_ROLE', message: `this needs the ${needed} role; the token has ${record.role}` } });
    }
    (req as Operated).operator = record.name;
    return undefined;
  };
}

/** The operator API, registered under /admin/api in its own context. */
function adminApi(repo: CentralRepository, link: SiteLinkServer, deployer: Deployer, kpi: KpiSettings) {
  return async (admin: FastifyInstance): Promise<void> => {
    admin.addHook('onRequest', requireOperator(new TokenVerifier(repo)));
    const viewer = { config: { role: 'Viewer' as const } };
    const deployment = { config: { role: 'Deployment' as const } };

    admin.get('/kpis', viewer, async () => ({ intervalMs: kpi.intervalMs, stuckAfterMs: kpi.stuckAfterMs, ...(await repo.kpis(kpi)) }));
    admin.get<{ Querystring: Query }>('/site-calls', viewer, async (req) => {
      const q = siteCallQuery(req.query);
      return repo.listSiteCalls(q.filter, { after: q.after, limit: q.limit });
    });
    admin.get<{ Params: { id: string } }>('/site-calls/:id', viewer, async (req) => {
      const row = await repo.siteCall(req.params.id);
      if (row === undefined) throw unknownOperation(req.params.id);
      return { ...row, audit: await repo.auditOf(req.params.id) };
    });
    admin.get('/sites', viewer, async () => {
      const latest = await repo.latestConfig();
      const sites = await repo.sites();
      return {
        latestRevision: latest === undefined ? null : { revision: latest.revision, sha256: latest.sha256, createdAtUtc: latest.createdAtUtc, createdBy: latest.createdBy },
        sites: sites.map((s) => {
          const session = link.session(s.name);
          return { ...siteView(s), connected: session !== undefined, node: session?.node ?? null, version: session?.version ?? null };
        }),
      };
    });
    // Re-reads the project directory, records it if it changed, and sends it to every connected site.
    admin.post('/deployments', deployment, async (req, reply) => {
      let recorded: Awaited<ReturnType<Deployer['record']>>;
      try {
        recorded = await deployer.record((req as Operated).operator ?? 'operator');
      } catch (err) {
        if (err instanceof ConfigError) throw new ScadaLinkError(err.code, err.message, { details: { issues: err.issues } });
        throw err;
      }
      const { config, created } = recorded;
      if (created) await audited(repo, (req as Operated).operator ?? 'operator', 'deployment.record', String(config.revision));
      const sites = await deployer.deployAll(config);
      return reply.code(created ? 201 : 200).send({ revision: config.revision, sha256: config.sha256, created, sites });
    });
    await admin.register(lifecycleRoutes(repo, deployer));
    await admin.register(apiKeyAdminRoutes(repo));
    for (const action of ['retry', 'discard'] as const) {
      admin.post<{ Params: { id: string } }>(`/site-calls/:id/${action}`, deployment, async (req, reply) => {
        const row = await repo.siteCall(req.params.id);
        if (row === undefined) throw unknownOperation(req.params.id);
        // The token's name is the operator the site records as the audit actor.
        const operator = (req as Operated).operator ?? 'central';
        const body = { trackedOperationId: row.trackedOperationId, operator };
        const answer = await link.command(row.sourceSite, action === 'retry' ? { retryParked: body } : { discardParked: body });
        if (!answer.ok) throw new ScadaLinkError(answer.errorCode || 'COMMAND_FAILED', answer.errorMessage);
        return reply.code(202).send({ status: 'sent', site: row.sourceSite });
      });
    }
  };
}

export async function centralHttp(
  repo: CentralRepository,
  link: SiteLinkServer,
  deployer: Deployer,
  ready: () => Promise<Readiness>,
  kpi: KpiSettings,
  node: { readonly registry: Registry; readonly info: () => Promise<CentralInfo> } = { registry: centralMetrics(repo, kpi), info: centralInfo(repo) },
): Promise<FastifyInstance> {
  const app = Fastify(httpServerOptions());
  answerErrorsAsJson(app, STATUS_OF);
  const { registry } = node;
  app.get('/health', async () => ({ status: 'ok' }));
  // No token, like /health: version, database kind and schema, replica id, uptime; no secret, no database URL.
  app.get('/info', async () => node.info());
  app.get('/ready', async (_req, reply) => {
    const r = await ready();
    if (r.ready) return { status: 'ready' };
    return reply.code(503).send({ status: 'not ready', reasons: r.reasons, error: { code: 'NOT_READY', message: r.reasons.join('; ') } });
  });
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  await app.register(adminApi(repo, link, deployer, kpi), { prefix: '/admin/api' });
  return app;
}
