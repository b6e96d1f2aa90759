// What every central node watches for its connected sites (issue 9, point 5),
// so an action taken on any node, or by the CLI on the database, reaches the
// sites wherever they are connected:
// - a new configuration revision (a rollback, or a deployment recorded on
//   another node) is sent to this node's sites within one poll;
// - each site's last-seen time is written to the database: at connect, and
//   every flush while its stream is open or its batches arrive.
import type { Logger } from 'pino';
import { describeError } from '../commons/index.js';
import type { SiteLinkServer } from '../transport/index.js';
import type { CentralRepository } from './db/index.js';
import type { Deployer } from './deploy.js';

export interface SiteWatch {
  /** The site was seen now (a batch arrived, or it connected). */
  seen(site: string): void;
  stop(): Promise<void>;
}

export function watchSites(opts: {
  repo: CentralRepository;
  link: SiteLinkServer;
  deployer: Deployer;
  logger: Logger;
  /** How often the newest revision is read (default 2 s). */
  revisionPollMs?: number;
  /** How often last-seen times are written (default 15 s). */
  seenFlushMs?: number;
}): SiteWatch {
  const { repo, link, deployer, logger } = opts;
  let known: string | undefined;
  let started = false;
  let checking = false;
  const checkRevision = async (): Promise<void> => {
    if (checking) return;
    checking = true;
    try {
      const latest = await repo.latestRevision();
      const now = latest === undefined ? undefined : `${latest.revision}:${latest.sha256}`;
      if (started && now === known) return;
      const first = !started;
      started = true;
      known = now;
      // At start the sites are synced on connect; afterwards a new revision is sent to those connected here.
      if (first) return;
      for (const site of link.sites()) {
        const s = link.session(site);
        if (s !== undefined) deployer.sync(s).catch((err: unknown) => logger.warn({ site, err: describeError(err) }, 'configuration check failed'));
      }
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'newest configuration revision not read');
    } finally {
      checking = false;
    }
  };
  const pending = new Set<string>();
  let flushing: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    const names = [...new Set([...pending, ...link.sites()])];
    pending.clear();
    if (names.length === 0) return flushing;
    flushing = flushing
      .then(() => repo.seeSites(names, new Date().toISOString()))
      .catch((err: unknown) => logger.warn({ err: describeError(err) }, 'last-seen times not written'));
    return flushing;
  };
  const revisionTimer = setInterval(() => void checkRevision(), opts.revisionPollMs ?? 2_000);
  revisionTimer.unref();
  const seenTimer = setInterval(() => void flush(), opts.seenFlushMs ?? 15_000);
  seenTimer.unref();
  void checkRevision();
  link.events.on('session', (session: { site: string }) => {
    pending.add(session.site);
    void flush();
  });
  return {
    seen: (site) => void pending.add(site),
    async stop() {
      clearInterval(revisionTimer);
      clearInterval(seenTimer);
      await flush();
    },
  };
}
