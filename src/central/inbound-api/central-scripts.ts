// Central scripts (issue 11 point 4; DESIGN §7): an Inbound API method's
// script runs in the same sandbox as site scripts (src/scripts), with
// `Parameters`, `Route.To(instance)` over a SiteRouter, and
// `Database.Connection(name)` for central's databases (`inboundApi.databases`).
// What only a site has (shared scripts, its own instance, store-and-forward,
// external systems, notifications) is refused with SITE_ONLY_API.
//
// The method's timeout covers the whole run, from the request's arrival:
// waiting for an isolate, the script, and its routed calls, which get the same
// deadline (RouteDeadline) and are aborted when the run ends.
import type { Logger } from 'pino';
import { type Redactor, ScadaLinkError, describeError } from '../../commons/index.js';
import type { InboundMethodConfig } from '../../config/index.js';
import type { SqlConnection, SqlTransaction } from '../../integrations/index.js';
import { type JsonObject, type JsonValue, ScriptErrorCode, type ScriptRuntime, defineScriptHost, utf8SizeOver } from '../../scripts/index.js';
import type { RouteDeadline, SiteRouter } from './contracts.js';
import type { InboundErrorCode } from './errors.js';
import type { Catalog } from './method-catalog.js';

/** The code of a host call only a site script may make (the same code `scadalink validate` reports). */
export const SITE_ONLY_API = 'SITE_ONLY_API';

/** A log line from a method script is cut to this many bytes. */
const MAX_LOG_BYTES = 8192;

/** Why a method run failed, as the caller is told: a code of INBOUND_ERRORS and a safe message. */
export class MethodFailure extends Error {
  constructor(
    readonly code: InboundErrorCode,
    message: string,
    /** The site of the routed call that failed the run, when one did. */
    readonly site: string | null = null,
  ) {
    super(message);
  }
}

export interface CentralScriptDeps {
  /** The sandbox for a memory limit (one per limit, shared by all methods). */
  readonly runtime: (memoryMb: number) => ScriptRuntime;
  /** Route.To's way to the sites; without one every routed call answers SITE_UNREACHABLE. */
  readonly router?: SiteRouter;
  readonly logger: Logger;
}

const ROUTED_CODES: ReadonlySet<string> = new Set(['UNKNOWN_INSTANCE', 'SITE_UNREACHABLE', 'SITE_TIMEOUT', 'SCRIPT_ERROR']);

const noRouter: SiteRouter = {
  siteOf: () => Promise.reject(unreachable()),
  call: () => Promise.reject(unreachable()),
  getAttributes: () => Promise.reject(unreachable()),
  setAttributes: () => Promise.reject(unreachable()),
};

function unreachable(): ScadaLinkError {
  return new ScadaLinkError('SITE_UNREACHABLE', 'no site can be reached from this central node (it has no site router)');
}

function siteOnly(api: string, why: string): () => Promise<never> {
  return () => Promise.reject(new ScadaLinkError(SITE_ONLY_API, `${api} is site-only: an Inbound API method script runs at central, ${why}`));
}

/** The last routed call that failed in a run: if the script lets its error through, the answer is that call's. */
interface RouteFailure {
  readonly code: string;
  readonly message: string;
  readonly instance: string;
}

function runHost(deps: CentralScriptDeps, catalog: Catalog, method: InboundMethodConfig, deadline: RouteDeadline, failures: RouteFailure[]) {
  const router = deps.router ?? noRouter;
  const connections = new Map<string, SqlConnection>();
  const transactions = new Map<string, SqlTransaction>();
  let nextHandle = 0;
  const queryable = (handle: string) => {
    const q = transactions.get(handle) ?? connections.get(handle);
    if (q === undefined) throw new ScadaLinkError('INVALID_HANDLE', `no open connection or transaction ${handle}`);
    return q;
  };
  const routed = async <T>(instance: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      const code = err instanceof ScadaLinkError ? err.code : 'SCRIPT_ERROR';
      failures.push({ code, message: err instanceof Error ? err.message : String(err), instance });
      throw err;
    }
  };
  const noInstance = 'with no instance of its own (use Route.To(instance))';
  const host = defineScriptHost({
    'ExternalSystem.Call': siteOnly('ExternalSystem.Call', 'where there are no external systems'),
    'ExternalSystem.CachedCall': siteOnly('ExternalSystem.CachedCall', 'where there is no store-and-forward'),
    'Database.CachedWrite': siteOnly('Database.CachedWrite', 'where there is no store-and-forward'),
    'Tracking.Status': siteOnly('Tracking.Status', 'where there is no store-and-forward'),
    'Notify.Send': siteOnly('Notify.To', 'where there is no store-and-forward'),
    'Instance.GetAttribute': siteOnly('Instance.GetAttribute', noInstance),
    'Instance.SetAttribute': siteOnly('Instance.SetAttribute', noInstance),
    'Scripts.Call': siteOnly('Scripts.Call', 'where there are no shared scripts'),
    'Database.Open': async (name) => {
      const handle = `c${++nextHandle}`;
      connections.set(handle, catalog.sql.get(name));
      return handle;
    },
    'Database.Query': async (handle, sql, params) => (await queryable(handle).query(sql, params)).rows as JsonObject[],
    'Database.Execute': async (handle, sql, params) => (await queryable(handle).execute(sql, params)).rowsAffected,
    'Database.Begin': async (handle) => {
      const conn = connections.get(handle);
      if (conn === undefined) throw new ScadaLinkError('INVALID_HANDLE', `no open connection ${handle}`);
      const id = `t${++nextHandle}`;
      transactions.set(id, await conn.begin());
      return id;
    },
    'Database.Commit': async (tx) => {
      const t = transactions.get(tx);
      if (t === undefined) throw new ScadaLinkError('INVALID_HANDLE', `no open transaction ${tx}`);
      transactions.delete(tx);
      await t.commit();
      return null;
    },
    'Database.Rollback': async (tx) => {
      const t = transactions.get(tx);
      transactions.delete(tx);
      await t?.rollback();
      return null;
    },
    'Database.CallProcedure': async (handle, name, args) => {
      const conn = connections.get(handle);
      if (conn === undefined) throw new ScadaLinkError('INVALID_HANDLE', `no open connection ${handle}`);
      if (!Array.isArray(args)) throw new ScadaLinkError('INVALID_PARAMETERS', 'CallProcedure takes its arguments as a list');
      return (await conn.callProcedure(name, args)).rows as JsonObject[];
    },
    'Route.Call': (instance, script, params) => routed(instance, () => router.call(instance, script, params, deadline)),
    'Route.GetAttributes': (instance, names) => routed(instance, async () => (await router.getAttributes(instance, names, deadline)) as JsonObject),
    'Route.SetAttributes': (instance, values) =>
      routed(instance, async () => {
        await router.setAttributes(instance, values, deadline);
        return null;
      }),
    Log: async (level, message) => {
      const cut = utf8SizeOver(message, MAX_LOG_BYTES) === undefined ? message : `${message.slice(0, MAX_LOG_BYTES / 4)}… [cut]`;
      deps.logger[level]({ method: method.name }, catalog.redactor.text(cut));
      return null;
    },
  });
  const release = async (): Promise<void> => {
    const open = [...transactions.values()];
    transactions.clear();
    connections.clear();
    await Promise.all(open.map((t) => t.rollback().catch(() => undefined)));
  };
  return { host, release };
}

/** The reason a finished run's signal is aborted with (the same as abort()'s default, made once). */
const RUN_OVER = new DOMException('the method run is over', 'AbortError');

/**
 * Runs `method` with `parameters` until `deadlineAtMs` (epoch ms). Resolves to
 * the script's return value; rejects with a MethodFailure whose message is safe
 * to send (the full error goes to central's log).
 */
export async function runMethod(
  deps: CentralScriptDeps,
  catalog: Catalog,
  method: InboundMethodConfig,
  parameters: JsonObject,
  deadlineAtMs: number,
): Promise<JsonValue | undefined> {
  const timedOut = (): MethodFailure => new MethodFailure('METHOD_TIMEOUT', `method ${method.name} did not finish within its timeout of ${method.timeoutMs} ms and was stopped`);
  const remaining = deadlineAtMs - Date.now();
  if (remaining <= 0) throw timedOut();
  const controller = new AbortController();
  let pastDeadline = false;
  // The sandbox's own timer starts once the run has an isolate; this one counts from the request.
  const timer = setTimeout(() => {
    pastDeadline = true;
    controller.abort();
  }, remaining);
  const failures: RouteFailure[] = [];
  const { host, release } = runHost(deps, catalog, method, { atMs: deadlineAtMs, signal: controller.signal }, failures);
  const done = catalog.hold();
  try {
    return await deps.runtime(method.script.memoryMb).run({
      source: method.script.source,
      language: method.script.language,
      filename: method.script.file,
      timeoutMs: remaining,
      parameters,
      host,
      signal: controller.signal,
      fairKey: method.name,
    });
  } catch (err) {
    throw await failureOf(deps, method, err, failures, pastDeadline || Date.now() >= deadlineAtMs, timedOut, catalog.redactor);
  } finally {
    clearTimeout(timer);
    // Ends whatever of the run is still waiting (a routed call): with one shared reason, as
    // abort() without one builds a DOMException and its stack on every call (issue 11 point 11).
    controller.abort(RUN_OVER);
    await release();
    done();
  }
}

async function failureOf(
  deps: CentralScriptDeps,
  method: InboundMethodConfig,
  err: unknown,
  failures: readonly RouteFailure[],
  pastDeadline: boolean,
  timedOut: () => MethodFailure,
  redactor: Redactor,
): Promise<MethodFailure> {
  const code = err instanceof ScadaLinkError ? err.code : ScriptErrorCode.Error;
  const message = err instanceof Error ? err.message : String(err);
  // A routed call's error the script let through: the router's message is safe by contract.
  const route = failures.findLast((f) => f.code === code && f.message === message);
  if (route !== undefined && ROUTED_CODES.has(route.code)) {
    const site = await siteOf(deps, route.instance);
    return new MethodFailure(route.code as InboundErrorCode, route.message, site);
  }
  if (code === ScriptErrorCode.Timeout || (code === ScriptErrorCode.Cancelled && pastDeadline)) return timedOut();
  // The whole error stays in central's log; the caller learns only its stable code.
  deps.logger.warn({ method: method.name, err: describeError(redactor.error(err)) }, 'Inbound API method script failed');
  const route2 = failures.at(-1);
  const site = route2 === undefined ? null : await siteOf(deps, route2.instance);
  return new MethodFailure('SCRIPT_ERROR', `method ${method.name} failed (${safeCode(code)})`, site);
}

/** Error codes are upper-case identifiers; anything else is not echoed. */
function safeCode(code: string): string {
  return /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : ScriptErrorCode.Error;
}

async function siteOf(deps: CentralScriptDeps, instance: string): Promise<string | null> {
  if (deps.router === undefined) return null;
  return deps.router.siteOf(instance).catch(() => null);
}
