// Helpers for the SQL integration tests: connection configs for the local
// servers, a closed loopback port, and a TCP proxy that can be stopped and
// restarted to take a real server away and bring it back.
import { createServer, connect, type Server, type Socket } from 'node:net';
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

/** A loopback port nobody listens on: connecting is refused at once. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
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

/** Forwards loopback TCP to a real server; stop() refuses and cuts every connection, start() brings it back on the same port. */
export class TcpProxy {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
