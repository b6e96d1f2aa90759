// Configuration deployment (central issue, point 10; DESIGN §8): central keeps
// the project as numbered revisions and sends the newest to every site whose
// reported revision differs, on connect, on the reconcile interval, and when an
// operator deploys. A site validates the project against its own environment,
// stores it, switches to it, and only then answers; a site that refuses keeps
// running what it ran, and central records why.
import type { Logger } from 'pino';
import { ScadaLinkError, describeError } from '../commons/index.js';
import { checkProjectForSites, parseCentralBundle, readProjectBundle } from '../config/index.js';
import type { SiteLinkServer, SiteSession } from '../transport/index.js';
import { problemsError, validateBundle } from '../validate/index.js';
import type { CentralRepository, ConfigReport, ConfigRevision } from './db/index.js';
import { rollbackTo } from './lifecycle.js';

/** A site stops its runtime (up to its shutdown deadline) before it answers; allow for that. */
export const DEPLOY_TIMEOUT_MS = 60_000;

export type SiteDeployment =
  | { readonly site: string; readonly status: 'running'; readonly revision: number }
  | { readonly site: string; readonly status: 'refused' | 'unreachable'; readonly error: string };

export class Deployer {
  /** Revision (and its digest) each connected site runs, as it last told this node. */
  readonly #running = new Map<string, { readonly revision: number | null; readonly sha256: string }>();
  /** The revision a site refused on this connection: not sent again until it reconnects or a newer one exists. */
  readonly #refused = new Map<string, number>();
  readonly #inFlight = new Map<string, Promise<SiteDeployment>>();

  constructor(
    private readonly repo: CentralRepository,
    private readonly link: SiteLinkServer,
    private readonly logger: Logger,
    private readonly projectDir: string | undefined,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /**
   * Reads the project directory and records it as a revision if it changed.
   * Throws ConfigError (CONFIG_INVALID naming each bad path, or each script
   * problem as `file:line:col`) for a project no site could run; unset
   * `${ENV}` references are the sites' to resolve.
   */
  async record(by: string): Promise<{ config: ConfigRevision; created: boolean }> {
    if (this.projectDir === undefined) {
      throw new ScadaLinkError('NO_PROJECT', 'this central node was started without --project; it has nothing to deploy');
    }
    // Validate exactly what is shipped: the configuration, then every script (a broken one never reaches a site).
    const bundle = readProjectBundle(this.projectDir);
    checkProjectForSites(bundle, this.projectDir, this.env);
    // Central's own part (inboundApi) must resolve here, its `${ENV}` included: central serves it.
    parseCentralBundle(bundle, this.projectDir, this.env);
    const problems = await validateBundle(bundle, this.projectDir, this.env);
    if (problems.length > 0) throw problemsError(problems);
    const before = await this.repo.latestConfig();
    const config = await this.repo.putConfig(bundle.files, bundle.sha256, by);
    return { config, created: config.revision !== before?.revision };
  }

  /**
   * Rolls back to revision N (issue 9, point 5): records a new revision equal
   * to N's and sends it to every connected site, as a new revision is sent.
   */
  async rollback(revision: number, by: string): Promise<{ config: ConfigRevision; created: boolean; sites: SiteDeployment[] }> {
    const { config, created } = await rollbackTo(this.repo, by, revision);
    return { config, created, sites: await this.deployAll(config) };
  }

  /** A site said Hello: note what it runs, and send it the newest revision if that differs. */
  async connected(session: SiteSession): Promise<void> {
    const running = session.configRevision === '' ? null : Number(session.configRevision);
    this.#running.set(session.site, { revision: running, sha256: session.configSha256 });
    this.#refused.delete(session.site);
    await this.repo.reportConfig(session.site, { revision: running, error: null });
    await this.sync(session);
  }

  /** Sends the newest revision to this site unless it runs it or refused it on this connection. */
  async sync(session: SiteSession): Promise<SiteDeployment | undefined> {
    const latest = await this.repo.latestConfig();
    if (latest === undefined) return undefined;
    const running = this.#running.get(session.site);
    // The digest too: a central rebuilt from scratch numbers its revisions from 1 again.
    if (running?.revision === latest.revision && running.sha256 === latest.sha256) return undefined;
    if (this.#refused.get(session.site) === latest.revision) return undefined;
    return this.deployTo(session, latest);
  }

  /** Sends the revision to every connected site and waits for their answers. */
  async deployAll(config: ConfigRevision): Promise<SiteDeployment[]> {
    const sessions = this.link.sites().flatMap((site) => this.link.session(site) ?? []);
    return Promise.all(sessions.map((s) => this.deployTo(s, config)));
  }

  deployTo(session: SiteSession, config: ConfigRevision): Promise<SiteDeployment> {
    const key = `${session.site}#${config.revision}`;
    const held = this.#inFlight.get(key);
    if (held !== undefined) return held;
    const run = this.#send(session, config).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, run);
    return run;
  }

  async #send(session: SiteSession, config: ConfigRevision): Promise<SiteDeployment> {
    const site = session.site;
    let outcome: SiteDeployment;
    try {
      const reply = await session.command(
        { deployConfiguration: { revision: config.revision, sha256: config.sha256, files: config.files } },
        DEPLOY_TIMEOUT_MS,
      );
      outcome = reply.ok
        ? { site, status: 'running', revision: config.revision }
        : { site, status: 'refused', error: `${reply.errorCode}: ${reply.errorMessage}` };
    } catch (err) {
      outcome = { site, status: 'unreachable', error: describeError(err) };
    }
    if (outcome.status === 'running') {
      this.#running.set(site, { revision: config.revision, sha256: config.sha256 });
      this.#refused.delete(site);
      this.logger.info({ site, revision: config.revision }, 'site runs the deployed configuration');
    } else {
      if (outcome.status === 'refused') this.#refused.set(site, config.revision);
      this.logger.warn({ site, revision: config.revision, error: outcome.error }, 'deployment not taken');
    }
    const report: ConfigReport =
      outcome.status === 'running'
        ? { revision: config.revision, error: null }
        : { revision: this.#running.get(site)?.revision ?? null, error: `revision ${config.revision}: ${outcome.error}` };
    await this.repo.reportConfig(site, report);
    return outcome;
  }
}
