import { type SqlConnections, type SqlParams, executeCachedWrite } from '../../integrations/index.js';
import type { DeliveryHandler } from '../engine/engine.js';

/** What a cached database write keeps in the buffer (seed 003 WP-14): connection name, SQL, parameter values. */
export interface DbRequest {
  readonly connection: string;
  readonly sql: string;
  readonly params: SqlParams | undefined;
}

/** Delivers `DbOutbound` operations; parameters are always bound, never interpolated. */
export function dbOutboundHandler(connections: () => SqlConnections): DeliveryHandler {
  return async (ctx) => {
    const req = ctx.request as DbRequest;
    await executeCachedWrite(connections().get(req.connection), req.sql, req.params, ctx.id);
    return {};
  };
}
