// The site's script runs: one sandbox per script memory limit, the run of
// one script (its host, its scope in its root run's tree, its errors logged
// and recorded), and Scripts.Call, whose nested run joins its caller's tree.
import type { Logger } from 'pino';
import { ScadaLinkError, type Redactor, describeError, ownValue } from '../../commons/index.js';
import type { ProjectConfig, ScriptConfig, SharedScriptConfig } from '../../config/index.js';
import { type JsonObject, type JsonValue, ScriptRuntime, processComputeGate } from '../../scripts/index.js';
import type { SiteStore } from '../store/site-store.js';
import { type RunLimits, RunScope } from './run-scope.js';
import { type HostServices, createRunHost } from './script-host.js';

const MAX_SHARED_DEPTH = 8;

export interface ScriptStats {
  executions: number;
  errors: number;
  timeouts: number;
}

export interface ScriptRunsOptions {
  readonly config: () => ProjectConfig;
  readonly store: SiteStore;
  readonly logger: Logger;
  readonly redactor: Redactor;
  readonly runLimits: RunLimits;
  readonly payloadLimitBytes?: number;
  readonly warmIsolates?: number;
  readonly maxIsolates?: number;
  /** True once the site stops: no new root run starts. */
  readonly stopping: () => boolean;
}

export class ScriptRuns {
  readonly stats: ScriptStats = { executions: 0, errors: 0, timeouts: 0 };
  readonly #runtimes = new Map<number, ScriptRuntime>();
  readonly #running = new Set<Promise<unknown>>();
  /** Set once by the site, whose services close over it (Scripts.Call comes back here). */
  services!: HostServices;

  constructor(private readonly o: ScriptRunsOptions) {}

  /** Script isolates alive now (warm or running), over every script memory limit in use. */
  get isolates(): number {
    let n = 0;
    for (const rt of this.#runtimes.values()) n += rt.isolates;
    return n;
  }

  /** Runs in progress, nested ones included. */
  get running(): ReadonlySet<Promise<unknown>> {
    return this.#running;
  }

  /** Resolves once no script run, nested ones included, is in progress. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  dispose(): void {
    for (const rt of this.#runtimes.values()) rt.dispose();
  }

  /**
   * Scripts.Call: the nested run joins its caller's tree (issue 10 point 6):
   * it is cancelled when its caller ends, gets at most what is left of the
   * root run's time and counts against the root run's limits.
   */
  callShared(instance: string, caller: string, name: string, params: JsonObject, parent: RunScope): Promise<JsonValue> {
    const shared = ownValue(this.o.config().sharedScripts, name);
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

  #runtimeFor(memoryMb: number): ScriptRuntime {
    let rt = this.#runtimes.get(memoryMb);
    if (!rt) {
      rt = new ScriptRuntime({
        memoryMb,
        maxPayloadBytes: this.o.payloadLimitBytes,
        warmIsolates: this.o.warmIsolates,
        ...(this.o.maxIsolates === undefined ? {} : { maxIsolates: this.o.maxIsolates }),
        // One gate for all memory limits: the runs of every sandbox share the node's cores.
        computeGate: processComputeGate(),
        onCatastrophicError: (message) => this.o.logger.fatal({ message }, 'script isolate lost; ending the process'),
      });
      this.#runtimes.set(memoryMb, rt);
    }
    return rt;
  }

  async execute(
    instance: string,
    script: ScriptConfig | SharedScriptConfig,
    params: JsonObject,
    trigger: string,
    nested?: { readonly scope: RunScope; readonly timeoutMs: number },
  ): Promise<JsonValue> {
    if (this.o.stopping() && nested === undefined) throw new ScadaLinkError('SITE_STOPPING', 'the site is stopping');
    const scope = nested?.scope ?? RunScope.root(this.o.runLimits, script.timeoutMs);
    const depth = scope.depth;
    const timeoutMs = nested?.timeoutMs ?? script.timeoutMs;
    const run = createRunHost(this.services, { instance, script: script.name, scope });
    const promise = this.#runtimeFor(script.memoryMb)
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
    this.#running.add(promise);
    this.stats.executions++;
    try {
      return (await promise) ?? null;
    } catch (thrown) {
      // The script may have put what an integration told it into its own error.
      const err = this.o.redactor.error(thrown);
      // A shared script's failure is the caller's to handle or to fail with: logged once, at the top.
      if (depth > 0) {
        const code = err instanceof ScadaLinkError ? err.code : 'SCRIPT_ERROR';
        this.o.logger.debug({ instance, script: script.name, trigger, depth, timeoutMs, code }, 'nested script run failed');
        throw err;
      }
      this.stats.errors++;
      const code = err instanceof ScadaLinkError ? err.code : 'SCRIPT_ERROR';
      if (code === 'SCRIPT_TIMEOUT') this.stats.timeouts++;
      this.o.logger.warn({ instance, script: script.name, trigger, code, err: describeError(err) }, 'script failed');
      await this.o.store
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
      this.#running.delete(promise);
      await run.release();
    }
  }

}
