import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Channel, type OperationSnapshot, OperationStatus, type Redactor, ScadaLinkError, createRedactor, describeError, ownValue } from '../../commons/index.js';
import { type InstanceConfig, type ProjectConfig, type ScriptConfig, type SharedScriptConfig, projectSecrets } from '../../config/index.js';
import { ThreadedHttpGateway, SqlConnections } from '../../integrations/index.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, type JsonObject, type JsonValue, ScriptRuntime, processComputeGate } from '../../scripts/index.js';
import { type AttemptObserver, StoreAndForwardEngine } from '../engine/engine.js';
import { SITE_DB_FILE, type SynchronousMode } from '../store/database.js';
import type { NewSiteEvent } from '../store/event-log.js';
import { SiteStore } from '../store/site-store.js';
import { DEFAULT_TRACKING_RETENTION_MS } from '../store/tracking.js';
import { apiOutboundHandler } from './api-handler.js';
import { type AttributeChange, InstanceState } from './attributes.js';
import { createSqliteFolders, dbOutboundHandler } from './db-handler.js';
import { Notifications, notificationHandler } from './notify-handler.js';
import { redactingHandler } from './redaction.js';
import { type HostServices, createRunHost } from './script-host.js';
import { DEFAULT_RUN_LIMITS, type RunLimits, RunScope } from './run-scope.js';
import { type Ticker, TriggerQueue, startTicker } from './triggers.js';
import { lockDataDir } from './data-lock.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_SHARED_DEPTH = 8;

export interface SiteRuntimeOptions {
  readonly project: ProjectConfig;
  /** Which of the project's sites this node is; default: the only one. */
  readonly site?: string;
  readonly dataDir: string;
  readonly logger: Logger;
  readonly nodeName?: string;
  readonly synchronous?: SynchronousMode;
  readonly pollIntervalMs?: number;
  readonly trackingRetentionMs?: number;
  readonly eventRetentionMs?: number;
  /** Largest JSON a script run takes as arguments or returns (bytes; default the sandbox's 256 KiB). */
  readonly scriptPayloadLimitBytes?: number;
  /** Script isolates kept warm per script memory limit (default the sandbox's, DEFAULT_WARM_ISOLATES). */
  readonly scriptWarmIsolates?: number;
  /** Limits of one root run and the runs it starts (default DEFAULT_RUN_LIMITS; docs/scripts.md). */
  readonly scriptRunLimits?: Partial<RunLimits>;
  /** Told every attempt against an external system, a database or the SMTP server (the node's /metrics). */
  readonly onAttempt?: AttemptObserver;
}

export interface ScriptStats {
  executions: number;
  errors: number;
  timeouts: number;
}

interface Triggered {
  readonly script: ScriptConfig;
  readonly params: JsonObject;
  readonly trigger: string;
}

/** One site: its store, engine, integrations, instances, triggers and scripts. */
export class SiteRuntime {
  readonly site: string;
  readonly nodeName: string;
  readonly store: SiteStore;
  readonly engine: StoreAndForwardEngine;
  readonly gateway = new ThreadedHttpGateway();
  readonly notifications = new Notifications(() => this.project.smtp);
  readonly scriptStats: ScriptStats = { executions: 0, errors: 0, timeouts: 0 };
  /** Takes the project's secrets out of error text on its way to the store, the log and the scripts. */
  readonly redactor: Redactor;
  private project: ProjectConfig;
  private sql: SqlConnections;
  private readonly logger: Logger;
  private readonly instances = new Map<string, InstanceState>();
  private readonly queues = new Map<string, TriggerQueue<Triggered>>();
  private readonly runtimes = new Map<number, ScriptRuntime>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly tickers: Ticker[] = [];
  private readonly services: HostServices;
  private readonly runLimits: RunLimits;
  private stopping = false;
  private reportingAuditFailure = false;
  private readonly unlock: () => void;
  readonly startedAt = Date.now();

  constructor(private readonly options: SiteRuntimeOptions) {
    this.project = options.project;
    this.site = resolveSite(options.project, options.site);
    this.nodeName = options.nodeName ?? `${this.site}@${hostname()}`;
    this.redactor = createRedactor(projectSecrets(this.project));
    this.logger = options.logger;
    this.runLimits = { ...DEFAULT_RUN_LIMITS, ...options.scriptRunLimits };
    createSqliteFolders(this.project, options.dataDir);
    this.sql = new SqlConnections(this.project.databases);
    this.unlock = lockDataDir(options.dataDir);
    try {
      this.store = new SiteStore(join(options.dataDir, SITE_DB_FILE), this.nodeName, {
        synchronous: options.synchronous,
        onAuditFailure: (err) => {
          this.logger.warn({ err }, 'audit event not recorded');
          // The failure may be the event log's own: were the AuditFailure
          // entry written while another is pending, a broken event log would
          // feed itself forever and the site would spin instead of serving.
          if (this.reportingAuditFailure) return;
          this.reportingAuditFailure = true;
          this.store
            .logEvent({ level: 'warn', category: 'AuditFailure', message: `audit event not recorded: ${describeError(err)}` })
            .catch((e: unknown) => this.logger.error({ err: describeError(e) }, 'site event not recorded'))
            .finally(() => (this.reportingAuditFailure = false));
        },
      });
    } catch (err) {
      this.unlock();
      throw err;
    }
    this.engine = new StoreAndForwardEngine({
      store: this.store,
      logger: this.logger,
      pollIntervalMs: options.pollIntervalMs,
      onAttempt: options.onAttempt,
      handlers: {
        ApiOutbound: redactingHandler(apiOutboundHandler(this.gateway, () => this.project.externalSystems), this.redactor),
        DbOutbound: redactingHandler(dbOutboundHandler(() => this.sql), this.redactor),
        Notification: redactingHandler(notificationHandler(this.notifications), this.redactor),
      },
      concurrencyOf: (channel, target) =>
        channel === Channel.ApiOutbound
          ? (ownValue(this.project.externalSystems, target)?.maxConcurrency ?? 8)
          : channel === Channel.DbOutbound
            ? (ownValue(this.project.databases, target)?.maxConcurrency ?? 4)
            : (this.project.smtp?.maxConnections ?? 5), // Notification: one target, the SMTP server
    });
    for (const inst of Object.values(this.project.instances)) {
      if (inst.site === this.site) this.instances.set(inst.code, new InstanceState(inst, this.store.db));
    }
    this.services = {
      config: () => this.project,
      store: this.store,
      engine: this.engine,
      gateway: this.gateway,
      sql: () => this.sql,
      notifications: this.notifications,
      nodeName: this.nodeName,
      redactor: this.redactor,
      onAttempt: options.onAttempt,
      payloadLimitBytes: options.scriptPayloadLimitBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
      getAttribute: (instance, name) => this.instance(instance).get(name),
      setAttribute: (instance, name, value) => this.setAttribute(instance, name, value),
      callShared: (instance, caller, name, params, scope) => this.callShared(instance, caller, name, params, scope),
      log: (level, instance, script, message) => this.logger[level]({ instance, script }, this.redactor.text(message)),
    };
  }

  get config(): ProjectConfig {
    return this.project;
  }

  instanceCodes(): string[] {
    return [...this.instances.keys()];
  }

  private instance(code: string): InstanceState {
    const inst = this.instances.get(code);
    if (!inst) throw new ScadaLinkError('UNKNOWN_INSTANCE', `no instance ${code} at site ${this.site}`);
    return inst;
  }

  start(): void {
    // Operators watch the log for operations that need them.
    this.store.changes.on('change', (snap: OperationSnapshot) => {
      if (snap.status === OperationStatus.Parked) {
        this.logger.warn({ trackedOperationId: snap.trackedOperationId, target: snap.target, retries: snap.retryCount, error: snap.lastError }, 'operation parked');
      } else if (snap.status === OperationStatus.Failed) {
        this.logger.warn({ trackedOperationId: snap.trackedOperationId, target: snap.target, error: snap.lastError, httpStatus: snap.httpStatus }, 'operation failed permanently');
      }
    });
    this.engine.start();
    for (const state of this.instances.values()) {
      for (const script of Object.values(state.config.scripts)) {
        for (const trigger of script.triggers) {
          if (trigger.type !== 'interval') continue;
          // One tick may wait while the previous run still runs (or waits for a
          // sandbox behind other instances' runs), so a run that ends late
          // loses no tick; a second one is skipped, so ticks never pile up.
          this.tickers.push(
            startTicker(trigger.everyMs, () => {
              const q = this.queue(state.config, script);
              if (!q.waiting((item) => item.trigger === 'interval')) q.push({ script, params: {}, trigger: 'interval' });
            }),
          );
        }
      }
    }
    const purge = setInterval(() => this.purge(), DAY_MS);
    purge.unref();
    this.timers.push(purge);
    this.purge();
    this.recordEvent({ level: 'info', category: 'Lifecycle', message: `site ${this.site} started on ${this.nodeName}` });
    this.logger.info({ site: this.site, instances: this.instances.size }, 'site started');
  }

  /**
   * Appends to the event log without waiting. A write that fails (disk full,
   * a broken file) goes to the process log instead: the event log records
   * work, it must never be what stops it.
   */
  private recordEvent(event: NewSiteEvent): void {
    this.store
      .logEvent(event)
      .catch((err: unknown) => this.logger.error({ err: describeError(err), event: event.message }, 'site event not recorded'));
  }

  /** Daily purge of terminal tracking rows and old event-log entries. */
  purge(): { tracking: number; events: number } {
    const result = this.store.purge(
      this.options.trackingRetentionMs ?? DEFAULT_TRACKING_RETENTION_MS,
      this.options.eventRetentionMs ?? 30 * DAY_MS,
    );
    if (result.tracking + result.events > 0) this.logger.info(result, 'purged terminal tracking rows and old events');
    return result;
  }

  getAttribute(instance: string, name: string): JsonValue {
    return this.instance(instance).get(name);
  }

  attributes(instance: string): Record<string, JsonValue> {
    return this.instance(instance).all();
  }

  /** The named attributes' values (Route.To GetAttributes); UNKNOWN_ATTRIBUTE names the first unknown one. */
  getAttributes(instance: string, names: readonly string[]): Record<string, JsonValue> {
    const state = this.instance(instance);
    return Object.fromEntries(names.map((name) => [name, state.get(name)]));
  }

  /** Sets a value durably, then fires attribute-change and alarm on-trigger scripts. */
  setAttribute(instance: string, name: string, value: JsonValue): Promise<void> {
    return this.setAttributes(instance, { [name]: value });
  }

  /**
   * Sets several values all-or-nothing (InstanceState.setMany): all checked
   * first, all written in one job of the group commit, then the triggers of
   * each change fire.
   */
  async setAttributes(instance: string, values: Readonly<Record<string, JsonValue>>): Promise<void> {
    const state = this.instance(instance);
    const changes = await this.store.committer.run(() => state.setMany(values, new Date().toISOString()));
    for (const change of changes) {
      const { attribute, value } = change;
      for (const alarm of change.raised) this.logger.info({ instance, alarm, attribute, value }, 'alarm raised');
      for (const alarm of change.cleared) this.logger.info({ instance, alarm, attribute, value }, 'alarm cleared');
      this.fireTriggers(state.config, change);
    }
  }

  private fireTriggers(inst: InstanceConfig, change: AttributeChange): void {
    if (this.stopping) return;
    for (const script of Object.values(inst.scripts)) {
      for (const t of script.triggers) {
        if (t.type === 'attributeChange' && t.attribute === change.attribute) {
          const params = { attribute: change.attribute, value: change.value, previous: change.previous };
          this.queue(inst, script).push({ script, params, trigger: 'attributeChange' });
        } else if (t.type === 'alarm' && change.raised.includes(t.alarm)) {
          const params = { alarm: t.alarm, attribute: change.attribute, value: change.value };
          this.queue(inst, script).push({ script, params, trigger: 'alarm' });
        }
      }
    }
  }

  private queue(inst: InstanceConfig, script: ScriptConfig): TriggerQueue<Triggered> {
    const key = `${inst.code}\u0000${script.name}`;
    let q = this.queues.get(key);
    if (!q) {
      q = new TriggerQueue<Triggered>(
        async (item) => {
          await this.execute(inst.code, item.script, item.params, item.trigger).catch(() => undefined);
        },
        (item) => {
          this.recordEvent({
            level: 'error',
            category: 'ScriptError',
            instance: inst.code,
            script: script.name,
            message: `trigger queue full: ${item.trigger} run not started`,
          });
        },
      );
      this.queues.set(key, q);
    }
    return q;
  }

  /** Script isolates alive now (warm or running), over every script memory limit in use. */
  get scriptIsolates(): number {
    let n = 0;
    for (const rt of this.runtimes.values()) n += rt.isolates;
    return n;
  }

  /**
   * Runs a script that has a `call` trigger and returns its value (the admin
   * API, Route.To). `timeoutMs` bounds the run below the script's own timeout:
   * a routed call runs no longer than its caller waits.
   */
  callScript(instance: string, script: string, params: JsonObject = {}, timeoutMs?: number): Promise<JsonValue> {
    const cfg = ownValue(this.instance(instance).config.scripts, script);
    if (!cfg) throw new ScadaLinkError('UNKNOWN_SCRIPT', `instance ${instance} has no script ${script}`);
    if (!cfg.triggers.some((t) => t.type === 'call')) {
      throw new ScadaLinkError('SCRIPT_NOT_CALLABLE', `script ${instance}.${script} has no call trigger`);
    }
    const bounded = timeoutMs === undefined || timeoutMs >= cfg.timeoutMs ? cfg : { ...cfg, timeoutMs: Math.max(1, timeoutMs) };
    return this.execute(instance, bounded, params, 'call');
  }

  /** Largest JSON a run takes as arguments or returns, in bytes. */
  get payloadLimitBytes(): number {
    return this.services.payloadLimitBytes;
  }

  /**
   * Scripts.Call: the nested run joins its caller's tree (issue 10 point 6):
   * it is cancelled when its caller ends, gets at most what is left of the
   * root run's time and counts against the root run's limits.
   */
  private callShared(instance: string, caller: string, name: string, params: JsonObject, parent: RunScope): Promise<JsonValue> {
    const shared = ownValue(this.project.sharedScripts, name);
    if (!shared) return Promise.reject(new ScadaLinkError('UNKNOWN_SCRIPT', `no shared script ${name}`));
    if (parent.depth + 1 > MAX_SHARED_DEPTH) {
      return Promise.reject(new ScadaLinkError('SCRIPT_RECURSION', `Scripts.Call nested deeper than ${MAX_SHARED_DEPTH} (from ${caller})`));
    }
    let nested: ReturnType<RunScope['nested']>;
    try {
      nested = parent.nested(shared.timeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.execute(instance, shared, params, `Scripts.Call from ${caller}`, nested).finally(nested.done);
  }

  private runtimeFor(memoryMb: number): ScriptRuntime {
    let rt = this.runtimes.get(memoryMb);
    if (!rt) {
      rt = new ScriptRuntime({
        memoryMb,
        maxPayloadBytes: this.options.scriptPayloadLimitBytes,
        warmIsolates: this.options.scriptWarmIsolates,
        // One gate for all memory limits: the runs of every sandbox share the node's cores.
        computeGate: processComputeGate(),
        onCatastrophicError: (message) => this.logger.fatal({ message }, 'script isolate lost; ending the process'),
      });
      this.runtimes.set(memoryMb, rt);
    }
    return rt;
  }

  private async execute(
    instance: string,
    script: ScriptConfig | SharedScriptConfig,
    params: JsonObject,
    trigger: string,
    nested?: { readonly scope: RunScope; readonly timeoutMs: number },
  ): Promise<JsonValue> {
    if (this.stopping && nested === undefined) throw new ScadaLinkError('SITE_STOPPING', 'the site is stopping');
    const scope = nested?.scope ?? RunScope.root(this.runLimits, script.timeoutMs);
    const depth = scope.depth;
    const timeoutMs = nested?.timeoutMs ?? script.timeoutMs;
    const run = createRunHost(this.services, { instance, script: script.name, scope });
    const promise = this.runtimeFor(script.memoryMb)
      .run({
        source: script.source,
        language: script.language,
        filename: script.file,
        timeoutMs,
        parameters: params,
        host: run.host,
        signal: scope.signal,
        onScriptThrew: () => scope.cancelNested(),
        // Fair to instances: a nested run (Scripts.Call) belongs to its root run's instance, which is this one.
        fairKey: instance,
        nested: depth > 0,
      })
      // As soon as the run settles, however it ended, the runs it started end too.
      .finally(() => scope.end());
    this.running.add(promise);
    this.scriptStats.executions++;
    try {
      return (await promise) ?? null;
    } catch (thrown) {
      // The script may have put what an integration told it into its own error.
      const err = this.redactor.error(thrown);
      // A shared script's failure is the caller's to handle or to fail with: logged once, at the top.
      if (depth > 0) {
        const code = err instanceof ScadaLinkError ? err.code : 'SCRIPT_ERROR';
        this.logger.debug({ instance, script: script.name, trigger, depth, timeoutMs, code }, 'nested script run failed');
        throw err;
      }
      this.scriptStats.errors++;
      const code = err instanceof ScadaLinkError ? err.code : 'SCRIPT_ERROR';
      if (code === 'SCRIPT_TIMEOUT') this.scriptStats.timeouts++;
      this.logger.warn({ instance, script: script.name, trigger, code, err: describeError(err) }, 'script failed');
      await this.store
        .logEvent({
          level: 'error',
          category: 'ScriptError',
          instance,
          script: script.name,
          message: `${trigger}: ${describeError(err)}`,
          details: { code, trigger },
        })
        .catch(() => undefined);
      throw err;
    } finally {
      this.running.delete(promise);
      await run.release();
    }
  }

  /** Resolves once no script run, nested ones included, is in progress. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /**
   * SIGTERM (DESIGN §2): stop triggers, let running scripts and in-flight
   * attempts finish within the deadline, then close everything cleanly.
   */
  async stop(deadlineMs = 10_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    for (const t of this.tickers) t.stop();
    const deadline = Date.now() + deadlineMs;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    await this.engine.stop(Math.max(0, deadline - Date.now()));
    for (const rt of this.runtimes.values()) rt.dispose();
    await this.sql.close();
    await this.gateway.close();
    await this.notifications.close();
    await this.store.logEvent({ level: 'info', category: 'Lifecycle', message: `site ${this.site} stopped` }).catch(() => undefined);
    this.store.close();
    this.unlock();
    this.logger.info({ site: this.site }, 'site stopped');
  }
}

function resolveSite(project: ProjectConfig, site: string | undefined): string {
  const names = Object.keys(project.sites);
  if (site !== undefined) {
    if (ownValue(project.sites, site) === undefined) throw new ScadaLinkError('UNKNOWN_SITE', `the project defines no site ${site} (sites: ${names.join(', ') || 'none'})`);
    return site;
  }
  if (names.length !== 1) {
    throw new ScadaLinkError('SITE_REQUIRED', `the project defines ${names.length} sites; choose one with --site (${names.join(', ')})`);
  }
  return names[0]!;
}
