import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { type Query, ScadaLinkError, answerErrorsAsJson, httpServerOptions } from '../../commons/index.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, type JsonObject, type JsonValue } from '../../scripts/index.js';
import type { LinkStatus } from '../../transport/index.js';
import type { SiteRuntime } from '../runtime/site-runtime.js';
import { attributeBody, eventsQuery, isObject, noQuery, operatorBody, parkedQuery } from './admin-query.js';
import { siteMetrics } from './metrics.js';

const STATUS_OF: Readonly<Record<string, number>> = {
  UNKNOWN_INSTANCE: 404,
  UNKNOWN_SCRIPT: 404,
  UNKNOWN_ATTRIBUTE: 404,
  OPERATION_NOT_FOUND: 404,
  OPERATION_NOT_PARKED: 409,
  SCRIPT_NOT_CALLABLE: 409,
  INVALID_ATTRIBUTE_VALUE: 400,
  INVALID_QUERY: 400,
  INVALID_REQUEST: 400,
  SCRIPT_PAYLOAD_TOO_LARGE: 413,
  SITE_STOPPING: 503,
  NOT_DEPLOYED: 503,
};

export interface InfoExtra {
  readonly site: string;
  readonly version: string;
  readonly dataDir: string;
  /** Where the running project came from: a directory, or `central revision N`. */
  readonly source: () => { readonly projectDir?: string; readonly configRevision: number | null };
  /** Largest body a script call takes (its parameters as JSON); bigger ones are refused before they are read. */
  readonly scriptPayloadLimitBytes?: number;
  /** The link to central: state, last failure, last contact (undefined for a site without --central). */
  readonly link?: () => LinkStatus | undefined;
  /** When set, /admin/api requires `Authorization: Bearer <token>`; when not, only loopback clients may use it. */
  readonly adminToken?: string;
  /** Settles when the deployment being applied (if any) has settled: a request that arrives while the site switches revision waits for it. */
  readonly deployed?: () => Promise<unknown>;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * /health, /ready, /metrics and /info (DESIGN §2), and a small admin API for
 * operators and tools on the site itself. It listens on loopback by default.
 */
export async function siteServer(
  current: () => SiteRuntime | undefined,
  info: InfoExtra,
  isReady: () => boolean,
  registry: Registry = siteMetrics(current, info.site, info.link),
): Promise<FastifyInstance> {
  const app = Fastify(httpServerOptions());
  answerErrorsAsJson(app, STATUS_OF);
  // The runtime a request sees: a site waiting for its first deployment has none.
  const notDeployed = (): ScadaLinkError =>
    new ScadaLinkError('NOT_DEPLOYED', 'this site has no configuration yet; it waits for central to deploy one');
  const running = async (): Promise<SiteRuntime> => {
    // Between two revisions there is no runtime for a moment: wait for the switch rather than refuse.
    const rt = current() ?? (await info.deployed?.(), current());
    if (rt === undefined) throw notDeployed();
    return rt;
  };
  const expected = info.adminToken ? digest(info.adminToken) : undefined;

  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_req, reply) =>
    isReady() ? { status: 'ready' } : reply.code(503).send({ status: 'not ready' }),
  );
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  app.get('/info', async () => {
    const site = current();
    return {
      role: 'site',
      site: info.site,
      node: site?.nodeName,
      version: info.version,
      ...info.source(),
      dataDir: info.dataDir,
      startedAtUtc: site && new Date(site.startedAt).toISOString(),
      uptimeSeconds: site && Math.round((Date.now() - site.startedAt) / 1000),
      instances: site?.instanceCodes() ?? [],
      // No secret here: the address, the state, central's or TLS's words for the last failure.
      link: info.link?.() ?? null,
    };
  });
  // Security by default: the admin API moves operations and runs scripts. Its
  // routes live in their own context so that the checks below run for exactly
  // the routes the router chose, whatever spelling of the URL led there.
  await app.register(
    async (admin) => {
      admin.addHook('onRequest', async (req, reply) => {
        if (expected) {
          const header = req.headers.authorization ?? '';
          const given = header.startsWith('Bearer ') ? digest(header.slice(7)) : undefined;
          if (!given || !timingSafeEqual(given, expected)) {
            return reply.code(401).send({ error: { code: 'ADMIN_UNAUTHORIZED', message: 'a valid admin token is required' } });
          }
        } else if (!isLoopback(req.socket.remoteAddress ?? '')) {
          return reply.code(403).send({
            error: { code: 'ADMIN_LOOPBACK_ONLY', message: 'the admin API answers loopback clients only unless SCADALINK_ADMIN_TOKEN is set' },
          });
        }
        if (current() === undefined) throw notDeployed();
        return undefined;
      });
      adminRoutes(admin, running, info.scriptPayloadLimitBytes ?? DEFAULT_MAX_PAYLOAD_BYTES);
    },
    { prefix: '/admin/api' },
  );
  return app;
}

/** The routes of the admin context (mounted under /admin/api). Errors thrown here are answered by the node's error handler. */
function adminRoutes(app: FastifyInstance, running: () => Promise<SiteRuntime>, payloadLimit: number): void {
  app.get<{ Params: { id: string }; Querystring: Query }>('/operations/:id', async (req) => {
    noQuery(req.query);
    const snap = (await running()).engine.status(req.params.id);
    if (snap === undefined) throw new ScadaLinkError('OPERATION_NOT_FOUND', `no operation ${req.params.id.slice(0, 100)}`);
    return snap;
  });
  app.get<{ Querystring: Query }>('/parked', async (req) => {
    const q = parkedQuery(req.query);
    const rt = await running();
    return rt.store.buffer.parked(q.after, q.limit).map((op) => ({ ...op, request: undefined, ...rt.engine.status(op.id) }));
  });
  for (const action of ['retry', 'discard'] as const) {
    app.post<{ Params: { id: string }; Querystring: Query; Body: unknown }>(`/operations/:id/${action}`, async (req) => {
      noQuery(req.query);
      const operator = operatorBody(req.body) ?? 'operator';
      const { engine } = await running();
      return action === 'retry' ? engine.retryParked(req.params.id, operator) : engine.discardParked(req.params.id, operator);
    });
  }
  app.post<{ Params: { instance: string; script: string }; Querystring: Query; Body: unknown }>(
    '/instances/:instance/scripts/:script/call',
    { bodyLimit: payloadLimit },
    async (req) => {
      noQuery(req.query);
      const params = req.body === undefined ? {} : req.body;
      if (!isObject(params)) throw new ScadaLinkError('INVALID_REQUEST', "body must be a JSON object of the script's parameters");
      return { result: await (await running()).callScript(req.params.instance, req.params.script, params as JsonObject) };
    },
  );
  app.get<{ Params: { instance: string }; Querystring: Query }>('/instances/:instance/attributes', async (req) => {
    noQuery(req.query);
    return (await running()).attributes(req.params.instance);
  });
  app.put<{ Params: { instance: string; name: string }; Querystring: Query; Body: unknown }>('/instances/:instance/attributes/:name', async (req) => {
    noQuery(req.query);
    const value = attributeBody(req.body) as JsonValue;
    const rt = await running();
    await rt.setAttribute(req.params.instance, req.params.name, value);
    return { value: rt.getAttribute(req.params.instance, req.params.name) };
  });
  app.get<{ Querystring: Query }>('/events', async (req) => (await running()).store.events.query(eventsQuery(req.query)));
}
