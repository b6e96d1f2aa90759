// A run's host: the handlers of every script API call, bound to one run
// (its instance, its scope, its open database handles).
import { Channel, DeliveryError, ScadaLinkError, ownValue, type Redactor } from '../../commons/index.js';
import type { ProjectConfig } from '../../config/index.js';
import type { HttpCaller, SqlConnection, SqlConnections, SqlTransaction } from '../../integrations/index.js';
import { type JsonObject, type JsonValue, type ScriptHost, defineScriptHost } from '../../scripts/index.js';
import type { AttemptObserver, AttemptRecord, StoreAndForwardEngine } from '../engine/engine.js';
import { attemptOutcome, capLine, checkSize, recordApiCall, trackingStatus } from './host-helpers.js';
import { NOTIFICATION_TARGET, type NotificationRequest, type Notifications } from './notify-handler.js';
import { redactingHost } from './redaction.js';
import type { RunScope } from './run-scope.js';
import type { SiteStore } from '../store/site-store.js';

/** Everything a run's host calls are served by; shared by all runs of the site. */
export interface HostServices {
  readonly config: () => ProjectConfig;
  readonly store: SiteStore;
  readonly engine: StoreAndForwardEngine;
  readonly gateway: HttpCaller;
  readonly sql: () => SqlConnections;
  readonly notifications: Notifications;
  readonly nodeName: string;
  readonly redactor: Redactor;
  /** Told each synchronous call's outcome and duration (the engine tells the cached ones). */
  readonly onAttempt?: AttemptObserver;
  /** The largest attribute value (as JSON) or log line a run may hand over, in UTF-8 bytes: the script payload limit. */
  readonly payloadLimitBytes: number;
  getAttribute(instance: string, name: string): JsonValue;
  setAttribute(instance: string, name: string, value: JsonValue): Promise<void>;
  /** Scripts.Call from the run of `caller` (whose scope the nested run joins). */
  callShared(instance: string, caller: string, name: string, params: JsonObject, scope: RunScope): Promise<JsonValue>;
  log(level: 'info' | 'warn' | 'error', instance: string, script: string, message: string): void;
}

export interface RunContext {
  readonly instance: string;
  readonly script: string;
  /** The run's place in its root run's tree: nesting, cancellation, and the limits it counts against. */
  readonly scope: RunScope;
}

/** A host bound to one run, plus the cleanup the run's end must perform. */
export interface RunHost {
  readonly host: ScriptHost;
  /** Rolls back every transaction the run left open (DESIGN §7; seed 003 WP-14). */
  release(): Promise<void>;
}

/**
 * The host of one run. Most runs make few host calls or none (issue 10 point
 * 3: a trivial run must cost little), so the handlers, their closures and the
 * run's handle maps are built at the run's first host call.
 */
export function createRunHost(services: HostServices, run: RunContext): RunHost {
  let built: RunHost | undefined;
  return {
    host: { call: (op, args) => (built ??= buildRunHost(services, run)).host.call(op, args) },
    release: () => (built === undefined ? Promise.resolve() : built.release()),
  };
}

function buildRunHost(services: HostServices, run: RunContext): RunHost {
  const connections = new Map<string, SqlConnection>();
  const transactions = new Map<string, SqlTransaction>();
  let nextHandle = 0;
  const source = { sourceInstanceId: run.instance, sourceScript: run.script };

  const system = (name: string) => {
    const sys = ownValue(services.config().externalSystems, name);
    if (!sys) throw new ScadaLinkError('UNKNOWN_SYSTEM', `external system ${name} is not defined`);
    return sys;
  };
  // Checked before anything is recorded: a call that names no method was never made.
  const systemMethod = (name: string, method: string) => {
    const sys = system(name);
    if (ownValue(sys.methods, method) === undefined) {
      throw new ScadaLinkError('UNKNOWN_METHOD', `external system ${name} has no method ${method}`);
    }
    return sys;
  };
  const database = (name: string) => {
    const db = ownValue(services.config().databases, name);
    if (!db) throw new ScadaLinkError('UNKNOWN_CONNECTION', `database connection ${name} is not defined`);
    return db;
  };
  const queryable = (handle: string) => {
    const q = transactions.get(handle) ?? connections.get(handle);
    if (!q) throw new ScadaLinkError('INVALID_HANDLE', `no open connection or transaction ${handle}`);
    return q;
  };
  /** The database connection (configured name) behind each open handle and transaction, for metrics. */
  const databaseOf = new Map<string, string>();
  /** Runs one statement against the database of a handle, telling its outcome and duration. */
  const timed = async <T>(handle: string, statement: () => Promise<T>): Promise<T> => {
    const target = databaseOf.get(handle);
    const started = performance.now();
    let outcome: AttemptRecord['outcome'] = 'delivered';
    try {
      return await statement();
    } catch (err) {
      outcome = attemptOutcome(err);
      throw err;
    } finally {
      if (target !== undefined) services.onAttempt?.({ channel: Channel.DbOutbound, target, outcome, durationMs: performance.now() - started });
    }
  };

  const host = defineScriptHost({
    'ExternalSystem.Call': async (name, method, params) => {
      const sys = systemMethod(name, method);
      const started = performance.now();
      let error: DeliveryError | undefined;
      let status: number | null = null;
      let outcome: AttemptRecord['outcome'] = 'delivered';
      try {
        const res = await services.gateway.call(sys, method, params);
        status = res.status;
        return (res.body ?? null) as JsonValue;
      } catch (thrown) {
        // Redacted before the audit row is written: it goes to central as it is.
        const err = services.redactor.error(thrown);
        outcome = attemptOutcome(err);
        if (err instanceof DeliveryError) {
          error = err;
          status = err.httpStatus ?? null;
        }
        throw err;
      } finally {
        const durationMs = performance.now() - started;
        services.onAttempt?.({ channel: Channel.ApiOutbound, target: name, outcome, durationMs });
        await recordApiCall(services, run, `${name}.${method}`, error, status, durationMs);
      }
    },
    'ExternalSystem.CachedCall': async (name, method, params) => {
      const sys = systemMethod(name, method);
      run.scope.operation();
      const out = await services.engine.submit({
        channel: Channel.ApiOutbound,
        target: name,
        targetSummary: `${name}.${method}`,
        request: { system: name, method, params },
        maxRetries: sys.retry.maxRetries,
        retryIntervalMs: sys.retry.retryIntervalMs,
        ...source,
      });
      return out.trackedOperationId;
    },
    'Database.Open': async (name) => {
      database(name);
      const handle = `c${++nextHandle}`;
      connections.set(handle, services.sql().get(name));
      databaseOf.set(handle, name);
      return handle;
    },
    'Database.Query': async (handle, sql, params) => {
      const q = queryable(handle);
      return (await timed(handle, () => q.query(sql, params))).rows as JsonObject[];
    },
    'Database.Execute': async (handle, sql, params) => {
      const q = queryable(handle);
      return (await timed(handle, () => q.execute(sql, params))).rowsAffected;
    },
    'Database.Begin': async (handle) => {
      const conn = connections.get(handle);
      if (!conn) throw new ScadaLinkError('INVALID_HANDLE', `no open connection ${handle}`);
      const tx = await conn.begin();
      const id = `t${++nextHandle}`;
      transactions.set(id, tx);
      const db = databaseOf.get(handle);
      if (db !== undefined) databaseOf.set(id, db);
      return id;
    },
    'Database.Commit': async (tx) => {
      const t = transactions.get(tx);
      if (!t) throw new ScadaLinkError('INVALID_HANDLE', `no open transaction ${tx}`);
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
      if (!conn) throw new ScadaLinkError('INVALID_HANDLE', `no open connection ${handle}`);
      if (!Array.isArray(args)) {
        throw new ScadaLinkError('INVALID_PARAMETERS', 'CallProcedure takes its arguments as a list, in the order the procedure declares them');
      }
      return (await timed(handle, () => conn.callProcedure(name, args))).rows as JsonObject[];
    },
    'Database.CachedWrite': async (name, sql, params) => {
      const db = database(name);
      run.scope.operation();
      const out = await services.engine.submit({
        channel: Channel.DbOutbound,
        target: name,
        targetSummary: `${name}: ${sql.replace(/\s+/g, ' ').trim().slice(0, 80)}`,
        request: { connection: name, sql, params },
        maxRetries: db.retry.maxRetries,
        retryIntervalMs: db.retry.retryIntervalMs,
        ...source,
      });
      return out.trackedOperationId;
    },
    'Tracking.Status': async (id) => trackingStatus(services, id),
    'Notify.Send': async (list, subject, body) => {
      const project = services.config();
      const recipients = ownValue(project.notificationLists, list);
      if (recipients === undefined) {
        const known = Object.keys(project.notificationLists);
        throw new ScadaLinkError('UNKNOWN_NOTIFICATION_LIST', `no notification list ${list} (lists: ${known.join(', ') || 'none'})`);
      }
      const smtp = project.smtp;
      if (smtp === undefined) throw new ScadaLinkError('NOTIFICATIONS_NOT_CONFIGURED', 'the project has no smtp settings');
      const request: NotificationRequest = { list, recipients, subject, body };
      run.scope.operation();
      const out = await services.engine.submit({
        channel: Channel.Notification,
        // One target, the SMTP server: its maxConnections bound the attempts in flight.
        target: NOTIFICATION_TARGET,
        targetSummary: `${list}: ${subject.replace(/\s+/g, ' ').trim().slice(0, 80)}`,
        request,
        maxRetries: smtp.retry.maxRetries,
        retryIntervalMs: smtp.retry.retryIntervalMs,
        ...source,
      });
      return out.trackedOperationId;
    },
    'Instance.GetAttribute': async (name) => services.getAttribute(run.instance, name),
    'Instance.SetAttribute': async (name, value) => {
      checkSize(services.payloadLimitBytes, `attribute ${name} value`, JSON.stringify(value) ?? 'null');
      await services.setAttribute(run.instance, name, value);
      return null;
    },
    'Scripts.Call': async (name, params) => services.callShared(run.instance, run.script, name, params, run.scope),
    'Route.Call': async () => centralOnly(),
    'Route.GetAttributes': async () => centralOnly(),
    'Route.SetAttributes': async () => centralOnly(),
    Log: async (level, message) => {
      // Logging never fails a script (api-bootstrap), so a line over the limit is cut and says so.
      services.log(level, run.instance, run.script, capLine(services.payloadLimitBytes, message));
      return null;
    },
  });

  return {
    host: redactingHost(host, services.redactor),
    async release() {
      const open = [...transactions.values()];
      transactions.clear();
      connections.clear();
      await Promise.all(open.map((t) => t.rollback()));
    },
  };
}

/** Route.To reaches instances from central's Inbound API scripts; a site script calls its own instance or a shared script. */
function centralOnly(): never {
  throw new ScadaLinkError('CENTRAL_ONLY_API', 'Route.To is available only in Inbound API method scripts, which run at central');
}
