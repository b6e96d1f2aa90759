// Central's HTTP surface: /health, /ready, /info, /metrics, and the operator
// API under /admin/api, mounted from one route module per area (routes/: site
// calls, sites and tokens, deployments; inbound-api/: API keys), and the
// Inbound API under /api (inbound-api/endpoint.ts), and the web UI under /ui (ui/). Authorisation belongs to the routes of the admin context: its hook
// runs for exactly the routes Fastify's router chose, whatever spelling of the
// URL led there (percent-encoding, absolute form, dot segments), so no raw-URL
// test can be fooled.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { answerErrorsAsJson, httpServerOptions } from '../commons/index.js';
import type { SiteLinkServer } from '../transport/index.js';
import type { CentralRepository, OperatorRole } from './db/index.js';
import type { Registry } from 'prom-client';
import type { Deployer } from './deploy.js';
import { type CentralInfo, centralInfo } from './info.js';
import { API_KEY_STATUS, apiKeyAdminRoutes, inboundFailureRoutes } from './inbound-api/index.js';
import { centralMetrics, type KpiSettings } from './metrics.js';
import type { Readiness } from './readiness.js';
import {
  DEPLOYMENT_STATUS,
  type Operated,
  SITES_TOKENS_STATUS,
  SITE_CALL_STATUS,
  deploymentRoutes,
  siteCallRoutes,
  sitesAndTokensRoutes,
} from './routes/index.js';
import { type SiteCommander, localCommander } from './site-commands/index.js';
import { TokenVerifier, roleAllows } from './tokens.js';

const STATUS_OF: Readonly<Record<string, number>> = {
  INVALID_QUERY: 400,
  ...SITE_CALL_STATUS,
  ...SITES_TOKENS_STATUS,
  ...DEPLOYMENT_STATUS,
  ...API_KEY_STATUS,
};

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

/** The operator API, registered under /admin/api in its own context: the operator hook covers every module in it. */
function adminApi(repo: CentralRepository, link: SiteLinkServer, commander: SiteCommander, deployer: Deployer, kpi: KpiSettings) {
  return async (admin: FastifyInstance): Promise<void> => {
    admin.addHook('onRequest', requireOperator(new TokenVerifier(repo)));
    await admin.register(siteCallRoutes(repo, commander, kpi));
    await admin.register(sitesAndTokensRoutes(repo, link));
    await admin.register(deploymentRoutes(repo, deployer));
    await admin.register(apiKeyAdminRoutes(repo));
    await admin.register(inboundFailureRoutes(repo));
  };
}

export async function centralHttp(
  repo: CentralRepository,
  link: SiteLinkServer,
  deployer: Deployer,
  ready: () => Promise<Readiness>,
  kpi: KpiSettings,
  node: {
    readonly registry: Registry;
    readonly info: () => Promise<CentralInfo>;
    /** How site commands reach the sites (default: this node's own streams only). */
    readonly commander?: SiteCommander;
    /** Routes outside /admin/api with their own authentication (the internal hop between central nodes). */
    readonly internal?: (app: FastifyInstance) => Promise<void>;
    /** The Inbound API's routes, mounted under /api in their own context (their own body parser and error shape). */
    readonly inboundApi?: (app: FastifyInstance) => Promise<void>;
    /** The web UI's routes, mounted under /ui in their own context (session hook, CSRF check; ui/). */
    readonly ui?: (app: FastifyInstance) => Promise<void>;
  } = { registry: centralMetrics(repo, kpi), info: centralInfo(repo) },
): Promise<FastifyInstance> {
  // A path parameter may be as long as the request line allows (Node's 16 KiB of headers): the router's
  // default cap of 100 answered a longer /api/{method} with its own 400 instead of 404 UNKNOWN_METHOD.
  const app = Fastify({ ...httpServerOptions(), routerOptions: { maxParamLength: 16_384 } });
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
  await app.register(adminApi(repo, link, node.commander ?? localCommander(link), deployer, kpi), { prefix: '/admin/api' });
  if (node.internal !== undefined) await app.register(node.internal);
  if (node.inboundApi !== undefined) await app.register(node.inboundApi, { prefix: '/api' });
  if (node.ui !== undefined) await app.register(node.ui, { prefix: '/ui' });
  return app;
}
