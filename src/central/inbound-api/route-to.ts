// Route.To (issue 11 point 5): a central script's call to an instance at a
// site. The instance's site comes from the newest configuration revision
// central recorded; the call goes over that site's stream through the
// SiteCommander (whichever central node holds the stream), synchronously and
// never buffered, and waits at most until the method's deadline.
//
// The site answers with codes of its own (proto RouteCall); this maps them to
// the Inbound API's: UNKNOWN_INSTANCE (404), SITE_UNREACHABLE (503),
// SITE_TIMEOUT (504, with the elapsed ms), and SCRIPT_ERROR (500) for every
// failure of the routed script or of its arguments, with a safe message and
// the site's own code in `details.siteCode`.
import { ScadaLinkError } from '../../commons/index.js';
import { PROJECT_FILE, instanceSites } from '../../config/index.js';
import type { JsonObject, JsonValue } from '../../scripts/index.js';
import type { CommandBody, SiteCommandReplyOutput } from '../../transport/index.js';
import type { CentralRepository } from '../db/index.js';
import type { SiteCommander } from '../site-commands/index.js';
import type { RouteDeadline, SiteRouter } from './contracts.js';

export interface SiteRouterOptions {
  readonly repo: Pick<CentralRepository, 'latestRevision' | 'config'>;
  readonly commander: SiteCommander;
  /** Where `${ENV}` in the project's instance definitions resolves (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * How long the instance → site map is used before the newest revision's
   * number is read again (default 1 s). An instance the map does not know
   * makes it read at once, so a newly deployed instance is found on its first call.
   */
  readonly revisionCheckMs?: number;
}

/** Longest message of a site's error passed on to the caller. */
export const MAX_SITE_MESSAGE = 1_000;

/**
 * A site reports SCRIPT_TIMEOUT when the run hit its own timeout or the
 * caller's remaining time (whichever is shorter). Within this much of the
 * deadline it is taken as the latter: the site ran out of the caller's time.
 */
const DEADLINE_SLACK_MS = 20;

const MAX_TIMER_MS = 2_147_483_647;

/** Site codes that mean the site cannot take routed calls right now. */
const SITE_NOT_SERVING: ReadonlySet<string> = new Set(['NOT_DEPLOYED', 'SITE_STOPPING']);

interface InstanceMap {
  readonly revision: number;
  readonly sha256: string;
  readonly sites: ReadonlyMap<string, string>;
  checkedAt: number;
}

export function siteRouter(options: SiteRouterOptions): SiteRouter {
  const { repo, commander } = options;
  const checkMs = options.revisionCheckMs ?? 1_000;
  let map: InstanceMap | undefined;
  let reading: Promise<InstanceMap | undefined> | undefined;

  /** The map of the newest revision; one read at a time however many calls ask. */
  const refresh = (): Promise<InstanceMap | undefined> =>
    (reading ??= (async () => {
      const latest = await repo.latestRevision();
      if (latest === undefined) return (map = undefined);
      if (map !== undefined && map.revision === latest.revision && map.sha256 === latest.sha256) {
        map.checkedAt = Date.now();
        return map;
      }
      const config = await repo.config(latest.revision);
      const text = config?.files[PROJECT_FILE];
      const sites = text === undefined ? new Map<string, string>() : instanceSites(text, options.env ?? process.env);
      return (map = { revision: latest.revision, sha256: latest.sha256, sites, checkedAt: Date.now() });
    })().finally(() => (reading = undefined)));

  const siteOf = async (instanceCode: string): Promise<string> => {
    const cached = map !== undefined && Date.now() - map.checkedAt < checkMs;
    let site = (cached ? map : await refresh())?.sites.get(instanceCode);
    // An instance the cached map lacks may have been deployed since: read the newest revision once more (a map read just now is not read again).
    if (site === undefined && cached) site = (await refresh())?.sites.get(instanceCode);
    if (site === undefined) {
      throw new ScadaLinkError('UNKNOWN_INSTANCE', `no instance ${instanceCode.slice(0, 100)} is deployed`, { details: { instance: instanceCode.slice(0, 100) } });
    }
    return site;
  };

  /** Sends one routed command and returns the site's successful reply, or rejects with the Inbound API's code. */
  const send = async (instance: string, deadline: RouteDeadline, body: (timeoutMs: number) => CommandBody): Promise<SiteCommandReplyOutput> => {
    const started = Date.now();
    stopIfAborted(deadline.signal);
    const site = await siteOf(instance);
    // Clamped to what a timer (and the proto's int32) can hold: a longer one would fire at once.
    const timeoutMs = Math.min(Math.ceil(deadline.atMs - Date.now()), MAX_TIMER_MS);
    if (!(timeoutMs > 0)) throw siteTimeout(site, Date.now() - started);
    let reply: SiteCommandReplyOutput;
    try {
      reply = await untilAborted(commander.command(site, body(timeoutMs), { timeoutMs }), deadline.signal, () => stoppedWaiting(site, Date.now() - started));
    } catch (err) {
      if (err instanceof ScadaLinkError && err.code === 'SITE_TIMEOUT' && err.details['elapsedMs'] === undefined) throw siteTimeout(site, Date.now() - started);
      throw err;
    }
    if (reply.ok) return reply;
    throw siteError(site, reply, () => Date.now() >= deadline.atMs - DEADLINE_SLACK_MS, Date.now() - started);
  };

  return {
    siteOf,
    async call(instanceCode: string, script: string, params: JsonObject, deadline: RouteDeadline): Promise<JsonValue> {
      const reply = await send(instanceCode, deadline, (timeoutMs) => ({
        routeCall: { instance: instanceCode, script, paramsJson: JSON.stringify(params), timeoutMs },
      }));
      return parseAnswer(reply.routeResult?.valueJson, 'the script result') as JsonValue;
    },
    async getAttributes(instanceCode: string, names: readonly string[], deadline: RouteDeadline): Promise<Record<string, JsonValue>> {
      const reply = await send(instanceCode, deadline, () => ({ getAttributes: { instance: instanceCode, names: [...names] } }));
      const values = parseAnswer(reply.attributes?.valuesJson, 'the attribute values');
      if (values === null || typeof values !== 'object' || Array.isArray(values)) throw badAnswer('the attribute values are not a JSON object');
      return values as Record<string, JsonValue>;
    },
    async setAttributes(instanceCode: string, values: Readonly<Record<string, JsonValue>>, deadline: RouteDeadline): Promise<void> {
      await send(instanceCode, deadline, () => ({ setAttributes: { instance: instanceCode, valuesJson: JSON.stringify(values) } }));
    },
  };
}

function siteTimeout(site: string, elapsedMs: number): ScadaLinkError {
  return new ScadaLinkError('SITE_TIMEOUT', `site ${site} did not answer within the method's remaining time (after ${elapsedMs} ms)`, {
    details: { site, elapsedMs },
  });
}

/** The method run ended (its timeout, an error) while the routed call waited: its own reason, or SITE_TIMEOUT. */
function stoppedWaiting(site: string, elapsedMs: number): ScadaLinkError {
  return new ScadaLinkError('SITE_TIMEOUT', `stopped waiting for site ${site} after ${elapsedMs} ms: the method run ended`, {
    details: { site, elapsedMs },
  });
}

function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof ScadaLinkError ? signal.reason : new ScadaLinkError('SITE_TIMEOUT', 'the method run ended before the routed call was sent');
}

/** The command's answer, or a rejection as soon as the signal aborts (the site's late reply is then dropped by its timer). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, reason: () => ScadaLinkError): Promise<T> {
  if (signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof ScadaLinkError ? signal.reason : reason());
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A site's refusal as the caller may see it: one line, capped, under the Inbound API's code. */
function siteError(site: string, reply: SiteCommandReplyOutput, deadlinePassed: () => boolean, elapsedMs: number): ScadaLinkError {
  const siteCode = reply.errorCode || 'COMMAND_FAILED';
  // A stack or an excerpt always follows the first line; a well-behaved site never sends one, this keeps it so.
  const message = (reply.errorMessage.split('\n')[0] ?? '').slice(0, MAX_SITE_MESSAGE);
  const details = { site, siteCode };
  if (siteCode === 'UNKNOWN_INSTANCE') return new ScadaLinkError('UNKNOWN_INSTANCE', message, { details });
  if (SITE_NOT_SERVING.has(siteCode)) return new ScadaLinkError('SITE_UNREACHABLE', `site ${site} cannot take routed calls now: ${message}`, { details });
  if (siteCode === 'SCRIPT_TIMEOUT' && deadlinePassed()) return siteTimeout(site, elapsedMs);
  return new ScadaLinkError('SCRIPT_ERROR', siteCode === 'SCRIPT_ERROR' ? message : `${siteCode}: ${message}`, { details });
}

function parseAnswer(json: string | undefined, what: string): unknown {
  if (json === undefined) throw badAnswer(`the site's answer carries no ${what}`);
  try {
    return JSON.parse(json);
  } catch {
    throw badAnswer(`${what} from the site are not valid JSON`);
  }
}

function badAnswer(message: string): ScadaLinkError {
  return new ScadaLinkError('SCRIPT_ERROR', message, { details: { siteCode: 'INVALID_ANSWER' } });
}
