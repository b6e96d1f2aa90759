import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../commons/index.js';
import { PostgresCentralRepository, noCentralStore } from './postgres.js';
import { SqliteCentralRepository } from './sqlite.js';
import type { CentralRepository } from './types.js';

export const CENTRAL_DB_FILE = 'central.db';

/**
 * The central database: PostgreSQL when `databaseUrl` is a postgres:// URL,
 * else SQLite at `<dataDir>/central.db`. Migrated before it is returned. A
 * PostgreSQL server that cannot be reached is waited for up to `waitMs`
 * (default 0), `onRetry` hearing each failed try; then DATABASE_UNREACHABLE.
 * `mustExist` (the admin commands): a data directory without central.db, or a
 * PostgreSQL database without central's schema, is NO_CENTRAL_STORE instead
 * of a new, empty database.
 */
export async function openCentralRepository(opts: {
  dataDir: string;
  databaseUrl?: string;
  waitMs?: number;
  onRetry?: (err: unknown) => void;
  mustExist?: boolean;
}): Promise<CentralRepository> {
  const url = opts.databaseUrl;
  if (url === undefined || url === '') {
    const file = join(opts.dataDir, CENTRAL_DB_FILE);
    if (opts.mustExist === true && !existsSync(file)) throw noCentralStore(`no central database at ${file}`);
    return new SqliteCentralRepository(file);
  }
  if (!/^postgres(ql)?:\/\//.test(url)) {
    // The URL is not echoed: it may carry a password.
    throw new ConfigError([{ path: '--database-url', message: 'must be a postgres:// or postgresql:// URL' }]);
  }
  return PostgresCentralRepository.open(url, { waitMs: opts.waitMs, onRetry: opts.onRetry, mustExist: opts.mustExist });
}
