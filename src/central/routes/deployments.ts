// Admin routes for deployments: record and send the project (POST), list and
// read revisions, roll back to one.
import type { FastifyInstance } from 'fastify';
import { ConfigError, ScadaLinkError, invalidQuery, queryWhole } from '../../commons/index.js';
import type { CentralRepository } from '../db/index.js';
import type { Deployer } from '../deploy.js';
import { audited, configRevision } from '../lifecycle.js';
import { deploymentRole, operatorOf, viewerRole } from './roles.js';

/** Codes of these routes' errors and their HTTP status. */
export const DEPLOYMENT_STATUS: Readonly<Record<string, number>> = {
  CONFIG_INVALID: 400,
  NO_PROJECT: 409,
  REVISION_NOT_FOUND: 404,
};

function revisionParam(text: string): number {
  const n = queryWhole({ revision: text }, 'revision');
  if (n === undefined) throw invalidQuery('revision', 'must be a whole number from 1');
  return n;
}

export function deploymentRoutes(repo: CentralRepository, deployer: Deployer) {
  return async (admin: FastifyInstance): Promise<void> => {
    // Re-reads the project directory, records it if it changed, and sends it to every connected site.
    admin.post('/deployments', deploymentRole, async (req, reply) => {
      let recorded: Awaited<ReturnType<Deployer['record']>>;
      try {
        recorded = await deployer.record(operatorOf(req));
      } catch (err) {
        if (err instanceof ConfigError) throw new ScadaLinkError(err.code, err.message, { details: { issues: err.issues } });
        throw err;
      }
      const { config, created } = recorded;
      if (created) await audited(repo, operatorOf(req), 'deployment.record', String(config.revision));
      const sites = await deployer.deployAll(config);
      return reply.code(created ? 201 : 200).send({ revision: config.revision, sha256: config.sha256, created, sites });
    });
    admin.get('/deployments', viewerRole, async () => ({ revisions: await repo.configs() }));
    admin.get<{ Params: { revision: string } }>('/deployments/:revision', viewerRole, async (req) => {
      const config = await configRevision(repo, revisionParam(req.params.revision));
      const sites = (await repo.configs()).find((c) => c.revision === config.revision)?.sites ?? [];
      return { ...config, sites };
    });
    admin.post<{ Params: { revision: string } }>('/deployments/:revision/rollback', deploymentRole, async (req, reply) => {
      const { config, created, sites } = await deployer.rollback(revisionParam(req.params.revision), operatorOf(req));
      return reply.code(created ? 201 : 200).send({ revision: config.revision, sha256: config.sha256, note: config.note, created, sites });
    });
  };
}
