// Central's GET /info (issue 9, point 6): what runs here, readable without a
// token like /health. It names the database engine and schema version, never
// its URL or credentials.
import { packageVersion } from '../commons/index.js';
import type { CentralRepository } from './db/index.js';

export interface CentralInfo {
  readonly role: 'central';
  readonly version: string;
  readonly database: { readonly kind: CentralRepository['engine']; readonly schemaVersion: number };
  /** This replica's id (SQLite: the holder of its cluster-wide job leases); a new one each start. */
  readonly replicaId: string;
  readonly startedAtUtc: string;
  readonly uptimeSeconds: number;
}

export function centralInfo(repo: CentralRepository, startedAt = Date.now()): () => Promise<CentralInfo> {
  const version = packageVersion();
  return async () => ({
    role: 'central',
    version,
    database: { kind: repo.engine, schemaVersion: await repo.schemaVersion() },
    replicaId: repo.replicaId,
    startedAtUtc: new Date(startedAt).toISOString(),
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
  });
}
