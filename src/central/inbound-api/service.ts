// The Inbound API as a central node mounts it (issue 11): the method catalog
// of the newest revision, the script sandboxes (one per memory limit, shared
// by all methods), the metrics, and the /api routes.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ScriptRuntime, processComputeGate } from '../../scripts/index.js';
import type { CentralRepository } from '../db/index.js';
import type { IdempotencyStore, InboundFailureLog, SiteRouter } from './contracts.js';
import { inboundApiRoutes } from './endpoint.js';
import { inboundMetrics } from './inbound-metrics.js';
import { MethodCatalog } from './method-catalog.js';

export interface InboundApiServiceOptions {
  readonly repo: CentralRepository;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Central's data directory (relative SQLite files of `inboundApi.databases`). */
  readonly dataDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly router?: SiteRouter;
  readonly failures?: InboundFailureLog;
  readonly idempotency?: IdempotencyStore;
  readonly bodyLimitBytes?: number;
  /** How long a read of the newest revision is trusted (default 1 s). */
  readonly refreshMs?: number;
  /** Isolates kept warm per memory limit (default: the sandbox's). */
  readonly warmIsolates?: number;
}

export interface InboundApiService {
  /** Register with `{ prefix: '/api' }`. */
  readonly routes: ReturnType<typeof inboundApiRoutes>;
  close(): Promise<void>;
}

export function inboundApiService(o: InboundApiServiceOptions): InboundApiService {
  const catalog = new MethodCatalog({ repo: o.repo, dataDir: o.dataDir, env: o.env, logger: o.logger, refreshMs: o.refreshMs });
  const runtimes = new Map<number, ScriptRuntime>();
  const runtime = (memoryMb: number): ScriptRuntime => {
    let rt = runtimes.get(memoryMb);
    if (rt === undefined) {
      rt = new ScriptRuntime({
        memoryMb,
        ...(o.warmIsolates === undefined ? {} : { warmIsolates: o.warmIsolates }),
        computeGate: processComputeGate(),
        onCatastrophicError: (message) => o.logger.fatal({ message }, 'Inbound API script isolate lost'),
      });
      runtimes.set(memoryMb, rt);
    }
    return rt;
  };
  const routes = inboundApiRoutes({
    repo: o.repo,
    catalog,
    scripts: { runtime, logger: o.logger, ...(o.router === undefined ? {} : { router: o.router }) },
    metrics: inboundMetrics(o.registry),
    logger: o.logger,
    ...(o.failures === undefined ? {} : { failures: o.failures }),
    ...(o.idempotency === undefined ? {} : { idempotency: o.idempotency }),
    ...(o.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: o.bodyLimitBytes }),
  });
  return {
    routes,
    async close() {
      for (const rt of runtimes.values()) rt.dispose();
      runtimes.clear();
      await catalog.close();
    },
  };
}
