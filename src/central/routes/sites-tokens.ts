// Admin routes for sites, operator tokens and the audit of operator actions
// (issue 9, point 5). Each declares the role it needs.
import type { FastifyInstance } from 'fastify';
import { type Query, onlyParams, queryLimit, queryText, queryWhole } from '../../commons/index.js';
import type { SiteLinkServer } from '../../transport/index.js';
import type { CentralRepository, SiteRecord } from '../db/index.js';
import { removeSite, revokeToken, setSiteDisabled } from '../lifecycle.js';
import { SESSION_TTL_MS } from '../site-commands/index.js';
import { adminRole, operatorOf, viewerRole } from './roles.js';

/** Codes of these routes' errors and their HTTP status. */
export const SITES_TOKENS_STATUS: Readonly<Record<string, number>> = {
  TOKEN_NOT_FOUND: 404,
  TOKEN_AMBIGUOUS: 409,
  SITE_NOT_FOUND: 404,
};

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

export function sitesAndTokensRoutes(repo: CentralRepository, link: SiteLinkServer) {
  return async (admin: FastifyInstance): Promise<void> => {
    admin.get('/sites', viewerRole, async () => {
      const latest = await repo.latestConfig();
      const sites = await repo.sites();
      // Cluster-wide: which central node holds each site's stream (the newest connection), from the registry.
      const held = new Map<string, { replicaId: string; url: string; connectedAtUtc: string }>();
      for (const r of await repo.cluster.sessions(SESSION_TTL_MS)) {
        const seen = held.get(r.site);
        if (seen === undefined || seen.connectedAtUtc < r.connectedAtUtc) held.set(r.site, { replicaId: r.nodeId, url: r.nodeUrl, connectedAtUtc: r.connectedAtUtc });
      }
      return {
        latestRevision: latest === undefined ? null : { revision: latest.revision, sha256: latest.sha256, createdAtUtc: latest.createdAtUtc, createdBy: latest.createdBy },
        sites: sites.map((s) => {
          const session = link.session(s.name);
          return { ...siteView(s), connected: session !== undefined, node: session?.node ?? null, version: session?.version ?? null, heldBy: held.get(s.name) ?? null };
        }),
      };
    });
    for (const action of ['disable', 'enable'] as const) {
      admin.post<{ Params: { name: string } }>(`/sites/:name/${action}`, adminRole, async (req) =>
        siteView(await setSiteDisabled(repo, operatorOf(req), req.params.name, action === 'disable')),
      );
    }
    admin.delete<{ Params: { name: string } }>('/sites/:name', adminRole, async (req) => {
      await removeSite(repo, operatorOf(req), req.params.name);
      return { removed: req.params.name };
    });

    admin.get('/tokens', adminRole, async () => ({ tokens: await repo.tokens() }));
    admin.post<{ Params: { token: string } }>('/tokens/:token/revoke', adminRole, async (req) =>
      revokeToken(repo, operatorOf(req), req.params.token),
    );

    admin.get<{ Querystring: Query }>('/audit', adminRole, async (req) => {
      const q = req.query;
      onlyParams(q, ['action', 'target', 'before', 'limit']);
      const limit = queryLimit(q);
      const actions = await repo.actions({ action: queryText(q, 'action'), target: queryText(q, 'target'), before: queryWhole(q, 'before'), limit });
      return { actions, next: actions.length === limit ? actions[actions.length - 1]!.id : null };
    });
  };
}
