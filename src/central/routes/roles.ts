// What every admin route module shares: the role a route declares (checked by
// the admin context's hook in http.ts) and the operator the token names.
import type { FastifyRequest } from 'fastify';
import type { OperatorRole } from '../db/index.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least operator role the route needs (admin routes only; Admin when not declared). */
    role?: OperatorRole;
  }
}

export const viewerRole = { config: { role: 'Viewer' as const } };
export const deploymentRole = { config: { role: 'Deployment' as const } };
export const adminRole = { config: { role: 'Admin' as const } };

/** A request that passed the operator hook, with the name of its token. */
export type Operated = FastifyRequest & { operator?: string };

/** The operator a request acts as: its token's name (the audit actor). */
export function operatorOf(req: FastifyRequest, fallback = 'operator'): string {
  return (req as Operated).operator ?? fallback;
}
