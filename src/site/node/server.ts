import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { ScadaLinkError, answerErrorsAsJson, describeError, httpServerOptions } from '../../commons/index.js';
import type { JsonObject, JsonValue } from '../../scripts/index.js';
import type { EventCategory, EventLevel } from '../store/event-log.js';
import type { SiteRuntime } from '../runtime/site-runtime.js';
import { siteMetrics } from './metrics.js';

const STATUS_OF: Readonly<Record<string, number>> = {
  UNKNOWN_INSTANCE: 404,
  UNKNOWN_SCRIPT: 404,
  UNKNOWN_ATTRIBUTE: 404,
  OPERATION_NOT_FOUND: 404,
  OPERATION_NOT_PARKED: 409,
  SCRIPT_NOT_CALLABLE: 409,
  INVALID_ATTRIBUTE_VALUE: 400,
  SITE_STOPPING: 503,
  NOT_DEPLOYED: 503,
};

function clampLimit(given: string | undefined): number {
  return Math.min(1000, Math.max(1, Math.trunc(Number(given ?? 100)) || 100));
}

function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof ScadaLinkError) {
    return reply.code(STATUS_OF[err.code] ?? 422).send({ error: { code: err.code, message: err.message, details: err.details } });
  }
  return reply.code(500).send({ error: { code: 'INTERNAL', message: describeError(err) } });
}

export interface InfoExtra {
  readonly site: string;
  readonly version: string;
  readonly dataDir: string;
  /** Where the running project came from: a directory, or `central revision N`. */
  readonly source: () => { readonly projectDir?: string; readonly configRevision: number | null };
  /** When set, /admin/api requires `Authorization: Bearer <token>`; when not, only loopback clients may use it. */
  readonly adminToken?: string;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * /health, /ready, /metrics and /info (DESIGN §2), and a small admin API for
 * operators and tools on the site itself. It listens on loopback by default.
 */
export async function siteServer(current: () => SiteRuntime | undefined, info: InfoExtra, isReady: () => boolean): Promise<FastifyInstance> {
  const app = Fastify(httpServerOptions());
  answerErrorsAsJson(app, STATUS_OF);
  const registry = siteMetrics(current, info.site);
  // The runtime a request sees: a site waiting for its first deployment has none.
  const notDeployed = (): ScadaLinkError =>
    new ScadaLinkError('NOT_DEPLOYED', 'this site has no configuration yet; it waits for central to deploy one');
  const running = (): SiteRuntime => {
    const rt = current();
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
        if (current() === undefined) return sendError(reply, notDeployed());
        return undefined;
      });
      adminRoutes(admin, running);
    },
    { prefix: '/admin/api' },
  );
  return app;
}

/** The routes of the admin context (mounted under /admin/api). */
function adminRoutes(app: FastifyInstance, running: () => SiteRuntime): void {
  app.get<{ Params: { id: string } }>('/operations/:id', async (req, reply) => {
    const snap = running().engine.status(req.params.id);
    return snap ?? reply.code(404).send({ error: { code: 'OPERATION_NOT_FOUND', message: `no operation ${req.params.id}` } });
  });
  app.get<{ Querystring: { after?: string; limit?: string } }>('/parked', async (req) => {
    const limit = clampLimit(req.query.limit);
    return running().store.buffer.parked(req.query.after, limit).map((op) => ({ ...op, request: undefined, ...running().engine.status(op.id) }));
  });
  for (const action of ['retry', 'discard'] as const) {
    app.post<{ Params: { id: string }; Body: { operator?: string } | undefined }>(
      `/operations/:id/${action}`,
      async (req, reply) => {
        const operator = req.body?.operator ?? 'operator';
        try {
          return action === 'retry'
            ? await running().engine.retryParked(req.params.id, operator)
            : await running().engine.discardParked(req.params.id, operator);
        } catch (err) {
          return sendError(reply, err);
        }
      },
    );
  }
  app.post<{ Params: { instance: string; script: string }; Body: JsonObject | undefined }>(
    '/instances/:instance/scripts/:script/call',
    async (req, reply) => {
      try {
        return { result: await running().callScript(req.params.instance, req.params.script, req.body ?? {}) };
      } catch (err) {
        return sendError(reply, err);
      }
    },
  );
  app.get<{ Params: { instance: string } }>('/instances/:instance/attributes', async (req, reply) => {
    try {
      return running().attributes(req.params.instance);
    } catch (err) {
      return sendError(reply, err);
    }
  });
  app.put<{ Params: { instance: string; name: string }; Body: { value: JsonValue } }>(
    '/instances/:instance/attributes/:name',
    async (req, reply) => {
      if (req.body === null || typeof req.body !== 'object' || !('value' in req.body)) {
        return reply.code(400).send({ error: { code: 'INVALID_REQUEST', message: 'body must be {"value": ...}' } });
      }
      try {
        await running().setAttribute(req.params.instance, req.params.name, req.body.value);
        return { value: running().getAttribute(req.params.instance, req.params.name) };
      } catch (err) {
        return sendError(reply, err);
      }
    },
  );
  app.get<{ Querystring: { category?: EventCategory; level?: EventLevel; instance?: string; since?: string; before?: string; limit?: string } }>(
    '/events',
    async (req) =>
      running().store.events.query({
        category: req.query.category,
        level: req.query.level,
        instance: req.query.instance,
        sinceUtc: req.query.since,
        beforeId: req.query.before === undefined ? undefined : Number(req.query.before),
        limit: clampLimit(req.query.limit),
      }),
  );
}
