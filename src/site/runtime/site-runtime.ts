import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Channel, type OperationSnapshot, OperationStatus, type Redactor, ScadaLinkError, createRedactor, describeError, ownValue } from '../../commons/index.js';
import { type ProjectConfig, projectSecrets } from '../../config/index.js';
import { ThreadedHttpGateway, SqlConnections } from '../../integrations/index.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, type JsonObject, type JsonValue } from '../../scripts/index.js';
import { type AttemptObserver, StoreAndForwardEngine } from '../engine/engine.js';
import { SITE_DB_FILE, type SynchronousMode } from '../store/database.js';
import type { NewSiteEvent } from '../store/event-log.js';
import { SiteStore } from '../store/site-store.js';
import { DEFAULT_TRACKING_RETENTION_MS } from '../store/tracking.js';
import { apiOutboundHandler } from './api-handler.js';
import { InstanceState } from './attributes.js';
import { createSqliteFolders, dbOutboundHandler } from './db-handler.js';
import { Notifications, notificationHandler } from './notify-handler.js';
import { redactingHandler } from './redaction.js';
import { DEFAULT_RUN_LIMITS, type RunLimits } from './run-scope.js';
import { type ScriptStats, ScriptRuns } from './script-runs.js';
import { InstanceTriggers } from './instance-triggers.js';
import { lockDataDir } from './data-lock.js';

const DAY_MS = 24 * 60 * 60 * 1000;

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
  /** Most script runs in progress at once per script memory limit (default the sandbox's, DEFAULT_MAX_ISOLATES or the warm count if higher). */
  readonly scriptMaxIsolates?: number;
  /** Limits of one root run and the runs it starts (default DEFAULT_RUN_LIMITS; docs/scripts.md). */
  readonly scriptRunLimits?: Partial<RunLimits>;
  /** Told every attempt against an external system, a database or the SMTP server (the node's /metrics). */
  readonly onAttempt?: AttemptObserver;
}

/** One site: its store, engine, integrations, instances, triggers and scripts. */
export class SiteRuntime {
  readonly site: string;
  readonly nodeName: string;
  readonly store: SiteStore;
  readonly engine: StoreAndForwardEngine;
  readonly gateway = new ThreadedHttpGateway();
  readonly notifications = new Notifications(() => this.project.smtp);
  /** Takes the project's secrets out of error text on its way to the store, the log and the scripts. */
  readonly redactor: Redactor;
  private project: ProjectConfig;
  private sql: SqlConnections;
  private readonly logger: Logger;
  private readonly instances = new Map<string, InstanceState>();
  private readonly triggers: InstanceTriggers;
  private readonly runs: ScriptRuns;
  private readonly timers: NodeJS.Timeout[] = [];
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
    this.runs = new ScriptRuns({
      config: () => this.project,
      store: this.store,
      logger: this.logger,
      redactor: this.redactor,
      runLimits: { ...DEFAULT_RUN_LIMITS, ...options.scriptRunLimits },
      payloadLimitBytes: options.scriptPayloadLimitBytes,
      warmIsolates: options.scriptWarmIsolates,
      maxIsolates: options.scriptMaxIsolates,
      stopping: () => this.stopping,
    });
    this.triggers = new InstanceTriggers({
      run: (instance, script, params, trigger) => this.runs.execute(instance, script, params, trigger),
      queueFull: (instance, script, trigger) =>
        this.recordEvent({ level: 'error', category: 'ScriptError', instance, script, message: `trigger queue full: ${trigger} run not started` }),
      stopping: () => this.stopping,
    });
    this.runs.services = {
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
      callShared: (instance, caller, name, params, scope) => this.runs.callShared(instance, caller, name, params, scope),
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
    this.triggers.startIntervals([...this.instances.values()].map((state) => state.config));
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
      this.triggers.fire(state.config, change);
    }
  }

  /** Script isolates alive now (warm or running), over every script memory limit in use. */
  get scriptIsolates(): number {
    return this.runs.isolates;
  }

  /** Script runs started, failed and timed out since the site started (the node's /metrics). */
  get scriptStats(): ScriptStats {
    return this.runs.stats;
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
    return this.runs.execute(instance, bounded, params, 'call');
  }

  /** Largest JSON a run takes as arguments or returns, in bytes. */
  get payloadLimitBytes(): number {
    return this.runs.services.payloadLimitBytes;
  }

  /** Resolves once no script run, nested ones included, is in progress. */
  idle(): Promise<void> {
    return this.runs.idle();
  }

  /**
   * SIGTERM (DESIGN §2): stop triggers, let running scripts and in-flight
   * attempts finish within the deadline, then close everything cleanly.
   */
  async stop(deadlineMs = 10_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.triggers.stop();
    const deadline = Date.now() + deadlineMs;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.runs.running]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    await this.engine.stop(Math.max(0, deadline - Date.now()));
    this.runs.dispose();
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
