// Helpers for the SQL integration tests: connection configs for the local servers;
// the loopback TCP helpers live in test/support/net.ts.
import type { DatabaseConnectionConfig } from '../../../src/config/index.js';
import { DeliveryError } from '../../../src/commons/index.js';
import { MYSQL, PG } from '../../support/index.js';

type Overrides = Partial<DatabaseConnectionConfig>;

function base(name: string): Omit<DatabaseConnectionConfig, 'driver'> {
  return {
    name,
    host: undefined,
    port: undefined,
    database: undefined,
    user: undefined,
    password: undefined,
    file: undefined,
    poolSize: 4,
    timeoutMs: 10_000,
    retry: { maxRetries: 3, retryIntervalMs: 1_000 },
    maxConcurrency: 4,
  };
}

export function pgConfig(database: string, overrides: Overrides = {}): DatabaseConnectionConfig {
  return { ...base('pg'), driver: 'postgres', host: PG.host, port: PG.port, user: PG.user, database, ...overrides };
}

export function mysqlConfig(database: string, overrides: Overrides = {}): DatabaseConnectionConfig {
  return {
    ...base('my'),
    driver: 'mysql',
    host: MYSQL.host,
    port: MYSQL.port,
    user: MYSQL.user,
    password: MYSQL.password,
    database,
    ...overrides,
  };
}

export function sqliteConfig(file: string, overrides: Overrides = {}): DatabaseConnectionConfig {
  return { ...base('lite'), driver: 'sqlite', file, ...overrides };
}

/** Awaits a promise expected to reject with a DeliveryError and returns it. */
export async function rejection(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DeliveryError) return err;
    throw new Error(`expected a DeliveryError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected the promise to reject');
}

export { TcpProxy, closedPort } from '../../support/net.js';
