// The cluster SiteCommander (issue 11, point 6; docs/central.md "Several
// central nodes"): a command for a site whose stream this node holds goes on
// that stream; otherwise it is forwarded over one authenticated HTTP hop to
// the node the registry names, which runs it on its own stream only. One hop
// at most: a holder that is gone, or a stale row (the holder says the site is
// not connected there), is SITE_UNREACHABLE, never a loop.
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { ScadaLinkError, describeError } from '../../commons/index.js';
import {
  type CommandBody,
  type SiteCommandReplyOutput,
  type SiteLinkServer,
  decodeReply,
  encodeCommand,
  unreachable,
} from '../../transport/index.js';
import type { SessionRegistry } from './registry.js';
import type { CommandOptions, SiteCommander } from './index.js';

export const INTERNAL_COMMAND_PATH = '/internal/site-commands';
export const CLUSTER_SECRET_HEADER = 'x-scadalink-cluster-secret';
export const TIMEOUT_HEADER = 'x-scadalink-timeout-ms';
/** What a command waits for when the caller gives no timeout (the site link's default). */
const DEFAULT_TIMEOUT_MS = 10_000;
/** The hop's own allowance on top of the site's timeout: the holder answers SITE_TIMEOUT itself before this. */
const HOP_SLACK_MS = 5_000;

/** A forwarded command's fate, the label of scadalink_central_forwarded_commands_total. */
export type ForwardOutcome = 'replied' | 'no_holder' | 'holder_down' | 'not_held' | 'refused' | 'timeout' | 'failed';

export function clusterCommander(opts: {
  readonly link: SiteLinkServer;
  readonly registry: SessionRegistry;
  /** The cluster secret (from the database); sent on the hop, never logged. */
  readonly secret: string;
  readonly logger: Logger;
  readonly metrics?: Registry;
}): SiteCommander {
  const { link, registry, secret, logger } = opts;
  const counter = new Counter({
    name: 'scadalink_central_forwarded_commands_total',
    help: 'Site commands this replica forwarded to the replica holding the site\'s stream, by outcome: replied (the site answered), no_holder, holder_down, not_held (a stale registry row), refused (cluster secret), timeout, failed.',
    labelNames: ['outcome'],
    registers: opts.metrics === undefined ? [] : [opts.metrics],
  });
  const count = (outcome: ForwardOutcome): void => counter.inc({ outcome });

  const forward = async (site: string, body: CommandBody, options?: CommandOptions): Promise<SiteCommandReplyOutput> => {
    const holder = await registry.holder(site);
    if (holder === undefined) {
      count('no_holder');
      throw unreachable(site, 'it is not connected to any central node');
    }
    const timeoutMs = options?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let res: Response;
    try {
      res = await fetch(`${holder.nodeUrl}${INTERNAL_COMMAND_PATH}?site=${encodeURIComponent(site)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', [CLUSTER_SECRET_HEADER]: secret, [TIMEOUT_HEADER]: String(timeoutMs) },
        body: encodeCommand(body),
        signal: AbortSignal.timeout(timeoutMs + HOP_SLACK_MS),
      });
    } catch (err) {
      count('holder_down');
      logger.warn({ site, holder: holder.nodeId, url: holder.nodeUrl, err: describeError(err) }, 'the central node holding the site did not answer');
      throw unreachable(site, 'the central node holding its stream did not answer');
    }
    if (res.status === 200) {
      count('replied');
      return decodeReply(Buffer.from(await res.arrayBuffer()));
    }
    const answer = (await res.json().catch(() => ({}))) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const code = typeof answer.error?.code === 'string' ? answer.error.code : 'FORWARD_FAILED';
    const message = typeof answer.error?.message === 'string' ? answer.error.message : `the central node holding site ${site} answered ${res.status}`;
    if (res.status === 401) {
      count('refused');
      logger.error({ site, holder: holder.nodeId, url: holder.nodeUrl }, 'the central node holding the site refused this node\'s cluster secret (not the same database?)');
      throw unreachable(site, 'the central node holding its stream refused the forwarded command');
    }
    if (code === 'SITE_UNREACHABLE') {
      // The row was stale (the stream ended there) or the site went away meanwhile; never a second hop.
      count('not_held');
      throw unreachable(site, 'it is not connected to any central node');
    }
    count(code === 'SITE_TIMEOUT' ? 'timeout' : 'failed');
    const details = answer.error?.details;
    throw new ScadaLinkError(code, message, details !== null && typeof details === 'object' ? { details: details as Record<string, unknown> } : {});
  };

  return {
    command: (site, body, options) => (link.session(site) !== undefined ? link.command(site, body, options?.timeoutMs) : forward(site, body, options)),
  };
}
