// The cluster SiteCommander (issue 11, point 6; docs/central.md "Several
// central nodes"): a command for a site whose stream this node holds goes on
// that stream; otherwise it is forwarded over one authenticated HTTP hop to
// the node the registry names, which runs it on its own stream only. One hop
// at most: a holder that is gone, or a stale row (the holder says the site is
// not connected there), is SITE_UNREACHABLE, never a loop.
//
// The holder a registry read named is kept for HOLDER_CACHE_MS, then served
// while one read refreshes it up to HOLDER_STALE_MS (issue 11 point 11: a
// forwarded Route.To call read it on every request). A
// command sent to a kept holder that turns out gone or no longer holding the
// site drops it and tries once more with a fresh read, so the cache never
// answers SITE_UNREACHABLE where the registry would not. The hop goes over a
// keep-alive undici agent (not fetch: its per-request objects cost more).
import type { Logger } from 'pino';
import { Agent, type Dispatcher, request } from 'undici';
import { Counter, type Registry } from 'prom-client';
import { KeptReads, ScadaLinkError, describeError } from '../../commons/index.js';
import {
  type CommandBody,
  type SiteCommandReplyOutput,
  type SiteLinkServer,
  decodeReply,
  encodeCommand,
  unreachable,
} from '../../transport/index.js';
import type { SiteSessionRow } from '../db/index.js';
import type { SessionRegistry } from './registry.js';
import type { CommandOptions, SiteCommander } from './index.js';

export const INTERNAL_COMMAND_PATH = '/internal/site-commands';
export const CLUSTER_SECRET_HEADER = 'x-scadalink-cluster-secret';
export const TIMEOUT_HEADER = 'x-scadalink-timeout-ms';
/** What a command waits for when the caller gives no timeout (the site link's default). */
const DEFAULT_TIMEOUT_MS = 10_000;
/** The hop's own allowance on top of the site's timeout: the holder answers SITE_TIMEOUT itself before this. */
const HOP_SLACK_MS = 5_000;
/** How long a holder named by the registry is used without reading it again; then, up to HOLDER_STALE_MS, while one read refreshes it. */
export const HOLDER_CACHE_MS = 400;
export const HOLDER_STALE_MS = 900;

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

  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 64 });
  const held = new KeptReads<string, SiteSessionRow>((site) => registry.holder(site), HOLDER_CACHE_MS, HOLDER_STALE_MS);
  const holderOf = async (site: string, fresh: boolean): Promise<{ row: SiteSessionRow | undefined; cached: boolean }> => {
    if (fresh) return { row: await held.fresh(site), cached: false };
    const cached = held.has(site);
    return { row: await held.get(site), cached };
  };

  const forward = async (site: string, body: CommandBody, options?: CommandOptions, fresh = false): Promise<SiteCommandReplyOutput> => {
    const { row: holder, cached } = await holderOf(site, fresh);
    if (holder === undefined) {
      count('no_holder');
      throw unreachable(site, 'it is not connected to any central node');
    }
    const timeoutMs = options?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${holder.nodeUrl}${INTERNAL_COMMAND_PATH}?site=${encodeURIComponent(site)}`, {
        dispatcher: agent,
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', [CLUSTER_SECRET_HEADER]: secret, [TIMEOUT_HEADER]: String(timeoutMs) },
        body: encodeCommand(body),
        headersTimeout: timeoutMs + HOP_SLACK_MS,
        bodyTimeout: timeoutMs + HOP_SLACK_MS,
      });
    } catch (err) {
      held.forget(site);
      // Refused: nothing was sent, so a kept holder that is gone costs a fresh read, not the command.
      if (cached && (err as { code?: unknown }).code === 'ECONNREFUSED') return forward(site, body, options, true);
      count('holder_down');
      logger.warn({ site, holder: holder.nodeId, url: holder.nodeUrl, err: describeError(err) }, 'the central node holding the site did not answer');
      throw unreachable(site, 'the central node holding its stream did not answer');
    }
    if (res.statusCode === 200) {
      count('replied');
      return decodeReply(Buffer.from(await res.body.arrayBuffer()));
    }
    const answer = (await res.body.json().catch(() => ({}))) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const code = typeof answer.error?.code === 'string' ? answer.error.code : 'FORWARD_FAILED';
    const message = typeof answer.error?.message === 'string' ? answer.error.message : `the central node holding site ${site} answered ${res.statusCode}`;
    if (res.statusCode === 401) {
      held.forget(site);
      count('refused');
      logger.error({ site, holder: holder.nodeId, url: holder.nodeUrl }, 'the central node holding the site refused this node\'s cluster secret (not the same database?)');
      throw unreachable(site, 'the central node holding its stream refused the forwarded command');
    }
    if (code === 'SITE_UNREACHABLE') {
      // The row was stale (the stream ended there) or the site went away meanwhile; never a second hop on a fresh read.
      held.forget(site);
      // `held: false`: the holder did not have the stream, so the command was not sent; a kept row gets a fresh read.
      if (cached && (answer.error?.details as { held?: unknown } | undefined)?.held === false) return forward(site, body, options, true);
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
