// Keeps this node's rows of the site-session registry (issue 11, point 6):
// a row when a site's stream opens here, gone when it closes, and a heartbeat
// on an interval that also repairs what a failed write left behind. A node
// that dies stops beating; its rows stop counting after `ttlMs` and are
// deleted later by whichever node beats.
import type { Logger } from 'pino';
import { describeError } from '../../commons/index.js';
import type { SiteLinkServer, SiteSession } from '../../transport/index.js';
import type { ClusterNode, ClusterStore, SiteSessionRow } from '../db/index.js';

/** Default heartbeat interval; a row counts for three of them. */
export const HEARTBEAT_MS = 5_000;
/** How long a row counts without a heartbeat, at the default interval. */
export const SESSION_TTL_MS = 3 * HEARTBEAT_MS;

export interface SessionRegistry {
  readonly node: ClusterNode;
  /** The other node holding the site's stream now, if any (never this one). */
  holder(site: string): Promise<SiteSessionRow | undefined>;
  /** Starts writing this node's rows (once `node.url` is known). */
  start(): void;
  /** Removes this node's rows (it is stopping). */
  stop(): Promise<void>;
}

export function keepSessionRegistry(opts: {
  readonly store: ClusterStore;
  readonly link: SiteLinkServer;
  readonly node: ClusterNode;
  readonly logger: Logger;
  readonly heartbeatMs?: number;
}): SessionRegistry {
  const { store, link, node, logger } = opts;
  const beatMs = opts.heartbeatMs ?? HEARTBEAT_MS;
  const ttlMs = 3 * beatMs;
  // Writes in the order their events happened: a quick close-then-open of one site must not land reversed.
  let writes: Promise<void> = Promise.resolve();
  const write = (what: string, site: string | undefined, job: () => Promise<void>): void => {
    writes = writes.then(job).catch((err: unknown) => logger.warn({ site, err: describeError(err) }, `site-session registry not updated (${what}); the next heartbeat repairs it`));
  };
  const opened = (s: SiteSession): void => write('open', s.site, () => store.opened(s.site, node));
  const closed = (s: SiteSession): void => write('close', s.site, () => store.closed(s.site, node.id));
  const beat = (): void => write('heartbeat', undefined, () => store.heartbeat(node, link.sites(), Math.max(4 * ttlMs, 60_000)));
  let timer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  return {
    node,
    holder: (site) => store.holder(site, node.id, ttlMs),
    start() {
      if (timer !== undefined || stopping !== undefined) return;
      link.events.on('session', opened);
      link.events.on('closed', closed);
      timer = setInterval(beat, beatMs);
      timer.unref();
      // Sites that connected before this are in link.sites(): the first beat lists them.
      beat();
    },
    stop() {
      stopping ??= (async () => {
        clearInterval(timer);
        link.events.off('session', opened);
        link.events.off('closed', closed);
        write('leave', undefined, () => store.leave(node.id));
        await writes;
      })();
      return stopping;
    },
  };
}
