import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { packageRoot } from '../../commons/index.js';
import { loadProject } from '../../config/index.js';
import type { SynchronousMode } from '../store/database.js';
import { SiteRuntime } from '../runtime/site-runtime.js';
import { SiteLinkClient } from '../../transport/index.js';
import { siteCommandHandler } from '../link/commands.js';
import { TelemetryForwarder } from '../telemetry/forwarder.js';
import { siteServer } from './server.js';

export interface SiteNodeOptions {
  readonly projectDir: string;
  readonly dataDir: string;
  readonly site?: string;
  readonly host?: string;
  /** 0 picks a free port. Default 8081. */
  readonly port?: number;
  readonly synchronous?: SynchronousMode;
  readonly logger?: Logger;
  readonly pollIntervalMs?: number;
  /** How long SIGTERM waits for in-flight work. Default 10 s. */
  readonly shutdownDeadlineMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Bearer token for the admin API (see server.ts); without one it is loopback-only. */
  readonly adminToken?: string;
  /** Central to dial (docs/telemetry.md): its site-link address and this site's secret. */
  readonly central?: { readonly address: string; readonly secret: string; readonly tls?: { readonly ca?: Buffer } };
}

export interface SiteNode {
  readonly runtime: SiteRuntime;
  readonly server: FastifyInstance;
  /** Base URL of the node's HTTP endpoints. */
  readonly url: string;
  stop(): Promise<void>;
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** Loads the project, opens the store, starts the runtime and the HTTP endpoints. */
export async function startSiteNode(options: SiteNodeOptions): Promise<SiteNode> {
  const logger = options.logger ?? pino({ base: { role: 'site' } });
  const projectDir = resolve(options.projectDir);
  const dataDir = resolve(options.dataDir);
  const project = loadProject(projectDir, options.env ?? process.env);
  const runtime = new SiteRuntime({
    project,
    site: options.site,
    dataDir,
    logger,
    synchronous: options.synchronous,
    pollIntervalMs: options.pollIntervalMs,
  });
  let ready = false;
  const server = siteServer(runtime, { version: packageVersion(), projectDir, dataDir, adminToken: options.adminToken }, () => ready);
  try {
    await server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8081 });
  } catch (err) {
    await runtime.stop(0);
    throw err;
  }
  runtime.start();
  let link: SiteLinkClient | undefined;
  let forwarder: TelemetryForwarder | undefined;
  if (options.central) {
    link = new SiteLinkClient({
      address: options.central.address,
      site: runtime.site,
      secret: options.central.secret,
      node: runtime.nodeName,
      version: packageVersion(),
      tls: options.central.tls,
      logger,
      onCommand: siteCommandHandler(runtime.engine, runtime.store),
    });
    link.events.on('connected', () => logger.info({ central: options.central?.address }, 'central link open'));
    forwarder = new TelemetryForwarder({ store: runtime.store, sink: link, logger });
    link.start();
    forwarder.start();
  }
  ready = true;
  const address = server.server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url, site: runtime.site }, 'site node listening');
  let stopping: Promise<void> | undefined;
  return {
    runtime,
    server,
    url,
    stop() {
      stopping ??= (async () => {
        ready = false;
        await forwarder?.stop();
        await runtime.stop(options.shutdownDeadlineMs ?? 10_000);
        await link?.stop();
        await server.close();
      })();
      return stopping;
    },
  };
}
