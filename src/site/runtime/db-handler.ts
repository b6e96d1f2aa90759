import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, relative, sep } from 'node:path';
import type { ProjectConfig } from '../../config/index.js';
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

/**
 * Creates the folder of every SQLite file under the data directory, where each
 * relative one lives (docs/configuration.md). A file elsewhere keeps its folder
 * as it is: an unmounted volume stays a connection failure instead of filling
 * the root file system.
 */
export function createSqliteFolders(project: ProjectConfig, dataDir: string): void {
  for (const db of Object.values(project.databases)) {
    if (db.driver !== 'sqlite' || db.file === undefined) continue;
    const rel = relative(dataDir, db.file);
    if (rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)) mkdirSync(dirname(db.file), { recursive: true });
  }
}
