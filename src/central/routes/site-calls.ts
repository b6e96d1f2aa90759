// Admin routes for site calls: the KPIs, the SiteCalls list and detail, and
// the Retry/Discard relay to the site that holds the operation.
import type { FastifyInstance } from 'fastify';
import {
  Channel,
  OperationStatus,
  type Query,
  ScadaLinkError,
  invalidQuery,
  isTrackedOperationId,
  onlyParams,
  queryLimit,
  queryOneOf,
  queryText,
  queryTime,
} from '../../commons/index.js';
import type { SiteLinkServer } from '../../transport/index.js';
import type { CentralRepository, SiteCallFilter } from '../db/index.js';
import type { KpiSettings } from '../metrics.js';
import { type Operated, deploymentRole, operatorOf, viewerRole } from './roles.js';

/** Codes of these routes' errors and their HTTP status. */
export const SITE_CALL_STATUS: Readonly<Record<string, number>> = {
  UNKNOWN_OPERATION: 404,
  OPERATION_NOT_FOUND: 404,
  OPERATION_NOT_PARKED: 409,
  SITE_UNREACHABLE: 503,
  // Connected, but no answer in time: whether the site applied the command is unknown.
  SITE_TIMEOUT: 504,
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

export function siteCallRoutes(repo: CentralRepository, link: SiteLinkServer, kpi: KpiSettings) {
  return async (admin: FastifyInstance): Promise<void> => {
    admin.get('/kpis', viewerRole, async () => ({ intervalMs: kpi.intervalMs, stuckAfterMs: kpi.stuckAfterMs, ...(await repo.kpis(kpi)) }));
    admin.get<{ Querystring: Query }>('/site-calls', viewerRole, async (req) => {
      const q = siteCallQuery(req.query);
      return repo.listSiteCalls(q.filter, { after: q.after, limit: q.limit });
    });
    admin.get<{ Params: { id: string } }>('/site-calls/:id', viewerRole, async (req) => {
      const row = await repo.siteCall(req.params.id);
      if (row === undefined) throw unknownOperation(req.params.id);
      return { ...row, audit: await repo.auditOf(req.params.id) };
    });
    for (const action of ['retry', 'discard'] as const) {
      admin.post<{ Params: { id: string } }>(`/site-calls/:id/${action}`, deploymentRole, async (req, reply) => {
        const row = await repo.siteCall(req.params.id);
        if (row === undefined) throw unknownOperation(req.params.id);
        // The token's name is the operator the site records as the audit actor.
        const body = { trackedOperationId: row.trackedOperationId, operator: operatorOf(req as Operated, 'central') };
        const answer = await link.command(row.sourceSite, action === 'retry' ? { retryParked: body } : { discardParked: body });
        if (!answer.ok) throw new ScadaLinkError(answer.errorCode || 'COMMAND_FAILED', answer.errorMessage);
        return reply.code(202).send({ status: 'sent', site: row.sourceSite });
      });
    }
  };
}
