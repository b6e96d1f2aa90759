// The ERP fixture of the engine-level tests: one external system with a
// `postOrder` method, a store and engine that deliver to it through a real
// gateway, and the cached call a script's CachedCall would submit.
import { join } from 'node:path';
import pino from 'pino';
import { Channel } from '../../src/commons/index.js';
import type { ExternalSystemConfig } from '../../src/config/index.js';
import type { HttpCaller } from '../../src/integrations/index.js';
import { SiteStore, StoreAndForwardEngine, type SubmitRequest } from '../../src/site/index.js';
import { apiOutboundHandler } from '../../src/site/runtime/api-handler.js';

export function erpSystem(baseUrl: string, overrides: Partial<ExternalSystemConfig> = {}): ExternalSystemConfig {
  return {
    name: 'ERP',
    baseUrl,
    auth: { type: 'none' },
    timeoutMs: 2000,
    retry: { maxRetries: 3, retryIntervalMs: 20 },
    maxConcurrency: 4,
    methods: {
      postOrder: { name: 'postOrder', verb: 'POST', path: '/orders', parameters: [{ name: 'orderId', type: 'string', required: true }] },
    },
    ...overrides,
  };
}

/** A cached `ERP.postOrder` call, with the system's retry settings unless `maxRetries` is given. */
export function orderRequest(system: ExternalSystemConfig, orderId: string, maxRetries = system.retry.maxRetries): SubmitRequest {
  return {
    channel: Channel.ApiOutbound,
    target: 'ERP',
    targetSummary: 'ERP.postOrder',
    request: { system: 'ERP', method: 'postOrder', params: { orderId } },
    maxRetries,
    retryIntervalMs: system.retry.retryIntervalMs,
    sourceInstanceId: 'Pump1',
    sourceScript: 'order',
  };
}

/** A site store in `dir` and a started engine delivering `ApiOutbound` to whatever `system()` is now. */
export function openEngine(
  dir: string,
  node: string,
  gateway: HttpCaller,
  system: () => ExternalSystemConfig,
): { store: SiteStore; engine: StoreAndForwardEngine } {
  const store = new SiteStore(join(dir, 'site.db'), node);
  const engine = new StoreAndForwardEngine({
    store,
    logger: pino({ level: 'silent' }),
    handlers: { ApiOutbound: apiOutboundHandler(gateway, () => ({ ERP: system() })) },
    concurrencyOf: () => system().maxConcurrency,
    pollIntervalMs: 50,
  });
  engine.start();
  return { store, engine };
}
