// Commands to sites from any central node (issue 11 points 5 and 6). A site's
// stream is held by one central node; `SiteCommander` is how the rest of
// central sends a command to a site without knowing which node holds it.
// The first implementation (`localCommander`) sends only on this node's own
// streams; the cluster one forwards to the node that holds the stream.
import type { CommandBody, SiteCommandReplyOutput as CommandReply__Output, SiteLinkServer } from '../../transport/index.js';

export interface CommandOptions {
  /** How long to wait for the site's reply; past it the command fails with SITE_TIMEOUT. */
  readonly timeoutMs?: number;
}

export interface SiteCommander {
  /**
   * Sends a command to a site and resolves with its reply. Rejects with a
   * ScadaLinkError: SITE_UNREACHABLE when no central node holds the site's
   * stream (never buffered), SITE_TIMEOUT when the site does not answer within
   * `timeoutMs`.
   */
  command(site: string, body: CommandBody, options?: CommandOptions): Promise<CommandReply__Output>;
}

/** Sends on this node's own streams only. */
export function localCommander(link: SiteLinkServer): SiteCommander {
  return { command: (site, body, options) => link.command(site, body, options?.timeoutMs) };
}

export { clusterCommander, type ForwardOutcome, INTERNAL_COMMAND_PATH, CLUSTER_SECRET_HEADER } from './cluster.js';
export { keepSessionRegistry, type SessionRegistry, HEARTBEAT_MS, SESSION_TTL_MS } from './registry.js';
export { internalSiteCommandRoute } from './internal-route.js';
