import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { ConfigError, ScadaLinkError, describeError, packageVersion } from '../../commons/index.js';
import { type ProjectBundle, type ProjectConfig, bundleOf, loadProject, parseProjectBundle } from '../../config/index.js';
import { SITE_DB_FILE, type SynchronousMode } from '../store/database.js';
import { readDeployedConfig, saveDeployedConfig } from '../store/deployed.js';
import { SiteRuntime } from '../runtime/site-runtime.js';
import type { RunLimits } from '../runtime/run-scope.js';
import { SiteLinkClient } from '../../transport/index.js';
import { type CommandHandler, siteCommandHandler } from '../link/commands.js';
import { routeCommand } from '../link/route.js';
import { TelemetryForwarder } from '../telemetry/forwarder.js';
import { attemptMetrics } from './attempt-metrics.js';
import { siteMetrics } from './metrics.js';
import { siteServer } from './server.js';
import { assertScriptsValid } from '../../validate/index.js';

export interface SiteNodeOptions {
  /**
   * The project to run until central deploys one (docs/site.md). A revision
   * central deployed, once stored, takes precedence at every start.
   */
  readonly projectDir?: string;
  readonly dataDir: string;
  /** This node's site; needed when no project names it (a site that waits for its first deployment). */
  readonly site?: string;
  readonly host?: string;
  /** 0 picks a free port. Default 8081. */
  readonly port?: number;
  readonly synchronous?: SynchronousMode;
  readonly logger?: Logger;
  readonly pollIntervalMs?: number;
  /** How long SIGTERM (or a redeployment) waits for in-flight work. Default 10 s. */
  readonly shutdownDeadlineMs?: number;
  /** Where `${ENV}` references resolve, in a local project and in deployed ones. */
  readonly env?: NodeJS.ProcessEnv;
  /** Largest JSON a script run takes as arguments or returns, in bytes (default 256 KiB; docs/scripts.md). */
  readonly scriptPayloadLimitBytes?: number;
  /** Script isolates kept warm (default the sandbox's; docs/site.md). */
  readonly scriptWarmIsolates?: number;
  /** Most script runs in progress at once per script memory limit (default the sandbox's; docs/site.md). */
  readonly scriptMaxIsolates?: number;
  /** Limits of one script run and the runs it starts through Scripts.Call (defaults DEFAULT_RUN_LIMITS; docs/scripts.md). */
  readonly scriptRunLimits?: Partial<RunLimits>;
  /** Bearer token for the admin API (see server.ts); without one it is loopback-only. */
  readonly adminToken?: string;
  /** Central to dial (docs/telemetry.md): its site-link address and this site's secret. */
  /** `address`: central's host:port, or several central nodes' (tried in order, the next after a broken stream). */
  readonly central?: { readonly address: string | readonly string[]; readonly secret: string; readonly tls?: { readonly ca?: Buffer } };
}

export interface SiteNode {
  /** The runtime running now: replaced by each deployment, undefined until the first. */
  readonly runtime: SiteRuntime | undefined;
  /** The central revision running, or null for a local project (or none yet). */
  readonly configRevision: number | null;
  readonly server: FastifyInstance;
  /** Base URL of the node's HTTP endpoints. */
  readonly url: string;
  /** `deployed` (revision) after the site switched to a revision central sent. */
  readonly events: EventEmitter;
  stop(): Promise<void>;
}

export { packageVersion };

interface Running {
  readonly project: ProjectConfig;
  readonly runtime: SiteRuntime;
  readonly forwarder?: TelemetryForwarder;
}

/**
 * Opens the store, starts the runtime on the project the site has (the
 * revision central last deployed, else --project), the HTTP endpoints, and the
 * link to central, which can deploy a new revision at any time.
 */
export async function startSiteNode(options: SiteNodeOptions): Promise<SiteNode> {
  const logger = options.logger ?? pino({ base: { role: 'site' } });
  const env = options.env ?? process.env;
  const dataDir = resolve(options.dataDir);
  const dbFile = join(dataDir, SITE_DB_FILE);
  const projectDir = options.projectDir === undefined ? undefined : resolve(options.projectDir);
  const deployed = readDeployedConfig(dbFile);
  let revision: number | null = null;
  /** Digest of the deployed bundle running (a revision number alone does not survive a central rebuilt from scratch). */
  let runningSha: string | undefined;
  let project: ProjectConfig | undefined;
  if (deployed !== undefined) {
    project = parseProjectBundle(deployed.bundle, dataDir, env);
    revision = deployed.revision;
    runningSha = deployed.bundle.sha256;
  } else if (projectDir !== undefined) {
    project = loadProject(projectDir, env, dataDir);
  } else if (options.central === undefined) {
    throw new ScadaLinkError('NO_PROJECT', 'a site needs --project, or --central to receive its configuration from');
  }
  const siteName = options.site ?? soleSite(project);

  let link: SiteLinkClient | undefined;
  let current: Running | undefined;
  const events = new EventEmitter();
  const start = (p: ProjectConfig): Running => {
    const runtime = new SiteRuntime({
      project: p,
      site: siteName,
      dataDir,
      logger,
      synchronous: options.synchronous,
      pollIntervalMs: options.pollIntervalMs,
      scriptPayloadLimitBytes: options.scriptPayloadLimitBytes,
      scriptWarmIsolates: options.scriptWarmIsolates,
      scriptMaxIsolates: options.scriptMaxIsolates,
      scriptRunLimits: options.scriptRunLimits,
      onAttempt: (attempt) => onAttempt(attempt),
    });
    runtime.start();
    const forwarder = link === undefined ? undefined : new TelemetryForwarder({ store: runtime.store, sink: link, logger });
    forwarder?.start();
    return { project: p, runtime, forwarder };
  };
  const halt = async (r: Running): Promise<void> => {
    await r.forwarder?.stop();
    await r.runtime.stop(options.shutdownDeadlineMs ?? 10_000);
  };

  // Deployments are applied one at a time, each after the previous one settled.
  let deploying: Promise<unknown> = Promise.resolve();
  const deploy = (rev: number, bundle: ProjectBundle): Promise<void> => {
    const next = deploying.then(async () => {
      if (rev === revision && bundle.sha256 === runningSha) return;
      // Validate against this site's environment before touching what runs.
      const p = parseProjectBundle(bundle, dataDir, env);
      if (!p.sites[siteName]) {
        throw new ConfigError([{ path: `sites.${siteName}`, message: 'this site is not in the deployed project' }]);
      }
      // The same script checks as central's, for a revision that did not pass them there.
      await assertScriptsValid(p);
      const previous = current;
      current = undefined;
      if (previous !== undefined) await halt(previous);
      try {
        current = start(p);
      } catch (err) {
        // The new revision would not start: go back to what ran, and store nothing.
        if (previous !== undefined) current = start(previous.project);
        throw err;
      }
      // Stored once it runs; a crash before this line restarts on the old revision, which central then replaces again.
      saveDeployedConfig(dbFile, rev, bundle);
      revision = rev;
      runningSha = bundle.sha256;
      logger.info({ revision: rev, sha256: bundle.sha256 }, 'configuration deployed');
      events.emit('deployed', rev);
    });
    deploying = next.catch(() => undefined);
    return next;
  };

  let ready = false;
  const registry = siteMetrics(() => current?.runtime, siteName, () => link?.status());
  const onAttempt = attemptMetrics(registry);
  const server = await siteServer(
    () => current?.runtime,
    {
      site: siteName,
      version: packageVersion(),
      dataDir,
      adminToken: options.adminToken,
      scriptPayloadLimitBytes: options.scriptPayloadLimitBytes,
      source: () => ({ projectDir: revision === null ? projectDir : undefined, configRevision: revision }),
      link: () => link?.status(),
      deployed: () => deploying,
    },
    () => ready && current !== undefined,
    registry,
  );
  try {
    await server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8081 });
  } catch (err) {
    await server.close();
    throw err;
  }
  if (options.central) {
    const handler: CommandHandler = async (command) => {
      if (command.deployConfiguration) {
        const d = command.deployConfiguration;
        try {
          // The digest is the site's own, of the files it got; central's must agree.
          const bundle = bundleOf(d.files);
          if (bundle.sha256 !== d.sha256) {
            throw new ScadaLinkError('CONFIG_DIGEST_MISMATCH', `revision ${d.revision} arrived with files that do not match its digest`);
          }
          await deploy(Number(d.revision), bundle);
          return { ok: true };
        } catch (err) {
          logger.warn({ revision: Number(d.revision), err: describeError(err) }, 'deployment refused; the site keeps running what it ran');
          throw err;
        }
      }
      await deploying;
      if (current === undefined) throw new ScadaLinkError('NOT_DEPLOYED', 'this site has no configuration yet');
      return routeCommand(current.runtime, command) ?? siteCommandHandler(current.runtime.engine, current.runtime.store)(command);
    };
    link = new SiteLinkClient({
      address: options.central.address,
      site: siteName,
      secret: options.central.secret,
      // The process id tells two nodes of one site on one host apart in central's registry and logs.
      node: `${siteName}@${hostname()}/${process.pid}`,
      version: packageVersion(),
      configRevision: () => (revision === null ? '' : String(revision)),
      configSha256: () => runningSha ?? '',
      tls: options.central.tls,
      logger,
      onCommand: handler,
    });
    // Only once central accepted the site; refusals are logged by the link itself (warn, with their reason).
    link.events.on('connected', () => logger.info({ central: link?.status().central }, 'central link open'));
  }
  try {
    if (project !== undefined) current = start(project);
  } catch (err) {
    await server.close();
    throw err;
  }
  link?.start();
  ready = true;
  const address = server.server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url, site: siteName, configRevision: revision, waitingForDeployment: current === undefined }, 'site node listening');
  let stopping: Promise<void> | undefined;
  return {
    get runtime() {
      return current?.runtime;
    },
    get configRevision() {
      return revision;
    },
    server,
    url,
    events,
    stop() {
      stopping ??= (async () => {
        ready = false;
        await deploying;
        if (current !== undefined) await halt(current);
        current = undefined;
        await link?.stop();
        await server.close();
      })();
      return stopping;
    },
  };
}

/** The project's one site; with several (or no project yet) the node must be told with --site. */
function soleSite(project: ProjectConfig | undefined): string {
  if (project === undefined) {
    throw new ScadaLinkError('SITE_REQUIRED', 'name the site with --site: it has no configuration yet to take the name from');
  }
  const names = Object.keys(project.sites);
  if (names.length !== 1) {
    throw new ScadaLinkError('SITE_REQUIRED', `the project defines ${names.length} sites; choose one with --site (${names.join(', ')})`);
  }
  return names[0]!;
}
