// Wires the site pieces the way the site node does for ApiOutbound, so the
// benches measure the real store, engine, handler and gateway.
import { createServer } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { Channel, DeliveryError } from '../../src/commons/index.js';
import type { ExternalSystemConfig } from '../../src/config/index.js';
import { HttpGateway, ThreadedHttpGateway, type HttpCaller } from '../../src/integrations/index.js';
import {
  type DeliveryHandler,
  SiteStore,
  StoreAndForwardEngine,
  type SubmitRequest,
  type SynchronousMode,
} from '../../src/site/index.js';
// eslint-disable-next-line no-restricted-imports -- the bench measures the handler the site node wires; src/site/index.ts does not export it
import { apiOutboundHandler } from '../../src/site/runtime/api-handler.js';

export const SYSTEM = 'ERP';
export const METHOD = 'postOrder';

export function erpSystem(baseUrl: string, maxConcurrency: number, retryIntervalMs: number): ExternalSystemConfig {
  return {
    name: SYSTEM,
    baseUrl,
    auth: { type: 'apiKey', header: 'X-API-Key', key: 'bench-secret' },
    timeoutMs: 10_000,
    retry: { maxRetries: 10, retryIntervalMs },
    maxConcurrency,
    methods: {
      [METHOD]: {
        name: METHOD,
        verb: 'POST',
        path: '/orders',
        parameters: [
          { name: 'orderId', type: 'string', required: true },
          { name: 'qty', type: 'integer', required: true },
        ],
      },
    },
  };
}

/** The request a script's `ExternalSystem.CachedCall('ERP', 'postOrder', {...})` submits. */
export function orderRequest(system: ExternalSystemConfig, n: number): SubmitRequest {
  return {
    channel: Channel.ApiOutbound,
    target: SYSTEM,
    targetSummary: `${SYSTEM}.${METHOD}`,
    request: { system: SYSTEM, method: METHOD, params: { orderId: `PO-${n}`, qty: (n % 50) + 1 } },
    maxRetries: system.retry.maxRetries,
    retryIntervalMs: system.retry.retryIntervalMs,
    sourceInstanceId: 'Pump1',
    sourceScript: 'reportOrder',
  };
}

/** A loopback port nobody listens on: connecting to it is refused at once. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A handler that fails transient without touching the network: the store/engine ceiling. */
export const instantTransient: DeliveryHandler = () =>
  Promise.reject(new DeliveryError('HTTP_CONNECTION', 'ERP.postOrder: connection failed (ECONNREFUSED)', 'transient'));

export interface SiteOptions {
  readonly dir: string;
  readonly sync: SynchronousMode;
  readonly system: ExternalSystemConfig;
  readonly handler?: DeliveryHandler;
  readonly maxInFlight?: number;
  readonly start?: boolean;
  /** 'thread' (the site node's choice, default): the gateway in a worker thread; 'inline': in the event loop. */
  readonly gateway?: string;
}

export interface Site {
  readonly store: SiteStore;
  readonly engine: StoreAndForwardEngine;
  readonly gateway: HttpCaller;
  close(): Promise<void>;
}

export function openSite(o: SiteOptions): Site {
  const store = new SiteStore(join(o.dir, 'site.db'), 'bench-site', { synchronous: o.sync });
  if (o.gateway !== undefined && o.gateway !== 'thread' && o.gateway !== 'inline') throw new Error('--gateway is thread or inline');
  const gateway: HttpCaller = o.gateway === 'inline' ? new HttpGateway() : new ThreadedHttpGateway();
  const handler = o.handler ?? apiOutboundHandler(gateway, () => ({ [SYSTEM]: o.system }));
  const engine = new StoreAndForwardEngine({
    store,
    logger: pino({ level: 'warn' }),
    handlers: { ApiOutbound: handler },
    concurrencyOf: () => o.system.maxConcurrency,
    ...(o.maxInFlight === undefined ? {} : { maxInFlight: o.maxInFlight }),
  });
  if (o.start !== false) engine.start();
  return {
    store,
    engine,
    gateway,
    close: async () => {
      await engine.stop(30_000);
      store.close();
      await gateway.close();
    },
  };
}
