// The lifecycle part of central's operator API (issue 9, point 5): tokens,
// sites, deployment revisions and the audit of operator actions. Registered
// inside the admin context of http.ts, so every route here passes its
// operator-token hook; each declares the role it needs.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Query, invalidQuery, onlyParams, queryLimit, queryText, queryWhole } from '../commons/index.js';
import type { CentralRepository, SiteRecord } from './db/index.js';
import type { Deployer } from './deploy.js';
import { configRevision, removeSite, revokeToken, setSiteDisabled } from './lifecycle.js';

/** Codes of this file's errors and their HTTP status (merged into http.ts's table). */
export const LIFECYCLE_STATUS: Readonly<Record<string, number>> = {
  TOKEN_NOT_FOUND: 404,
  TOKEN_AMBIGUOUS: 409,
  SITE_NOT_FOUND: 404,
  REVISION_NOT_FOUND: 404,
};

const operatorOf = (req: FastifyRequest): string => (req as FastifyRequest & { operator?: string }).operator ?? 'operator';

function revisionParam(text: string): number {
  const n = queryWhole({ revision: text }, 'revision');
  if (n === undefined) throw invalidQuery('revision', 'must be a whole number from 1');
  return n;
}

/** A site as `site list` shows it (never its secret hash). */
export function siteView(s: SiteRecord): Record<string, unknown> {
  return {
    name: s.name,
    enabled: s.disabledAtUtc === null,
    disabledAtUtc: s.disabledAtUtc,
    lastSeenAtUtc: s.lastSeenAtUtc,
    configRevision: s.configRevision,
    configError: s.configError,
    configReportedAtUtc: s.configReportedAtUtc,
    createdAtUtc: s.createdAtUtc,
  };
}

export function lifecycleRoutes(repo: CentralRepository, deployer: Deployer) {
  return async (admin: FastifyInstance): Promise<void> => {
    const viewer = { config: { role: 'Viewer' as const } };
    const deployment = { config: { role: 'Deployment' as const } };
    const adminOnly = { config: { role: 'Admin' as const } };

    admin.get('/tokens', adminOnly, async () => ({ tokens: await repo.tokens() }));
    admin.post<{ Params: { token: string } }>('/tokens/:token/revoke', adminOnly, async (req) =>
      revokeToken(repo, operatorOf(req), req.params.token),
    );

    for (const action of ['disable', 'enable'] as const) {
      admin.post<{ Params: { name: string } }>(`/sites/:name/${action}`, adminOnly, async (req) =>
        siteView(await setSiteDisabled(repo, operatorOf(req), req.params.name, action === 'disable')),
      );
    }
    admin.delete<{ Params: { name: string } }>('/sites/:name', adminOnly, async (req) => {
      await removeSite(repo, operatorOf(req), req.params.name);
      return { removed: req.params.name };
    });

    admin.get('/deployments', viewer, async () => ({ revisions: await repo.configs() }));
    admin.get<{ Params: { revision: string } }>('/deployments/:revision', viewer, async (req) => {
      const config = await configRevision(repo, revisionParam(req.params.revision));
      const sites = (await repo.configs()).find((c) => c.revision === config.revision)?.sites ?? [];
      return { ...config, sites };
    });
    admin.post<{ Params: { revision: string } }>('/deployments/:revision/rollback', deployment, async (req, reply) => {
      const { config, created, sites } = await deployer.rollback(revisionParam(req.params.revision), operatorOf(req));
      return reply.code(created ? 201 : 200).send({ revision: config.revision, sha256: config.sha256, note: config.note, created, sites });
    });

    admin.get<{ Querystring: Query }>('/audit', adminOnly, async (req) => {
      const q = req.query;
      onlyParams(q, ['action', 'target', 'before', 'limit']);
      const limit = queryLimit(q);
      const actions = await repo.actions({ action: queryText(q, 'action'), target: queryText(q, 'target'), before: queryWhole(q, 'before'), limit });
      return { actions, next: actions.length === limit ? actions[actions.length - 1]!.id : null };
    });
  };
}
