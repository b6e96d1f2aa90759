// The script API binding (DESIGN §7): the sandbox with the PascalCase API
// installed, and the host interface a site (or central) implements.

import { ScadaLinkError } from '../commons/index.js';
import { checkHostArgs, isHostOp, type HostArgs, type HostOp, type HostResult } from './host-ops.js';
import { SCRIPT_API_BOOTSTRAP } from './isolate/api-bootstrap.js';
import type { JsonObject, JsonValue } from './protocol.js';
import { ScriptSandbox, type SandboxOptions, type StartStats } from './sandbox.js';
import type { ScriptSource } from './compile.js';
import type { IsolatePoolStats } from './isolate-pool.js';

/** Error code of a host call whose op or arguments do not fit host-ops.ts. */
export const SCRIPT_BAD_CALL = 'SCRIPT_BAD_CALL';

/**
 * What a script's host calls are served by; one instance per run (it knows
 * the run's instance and script, which the audit trail names as the actor).
 *
 * Resources are per run: the host must roll back every transaction the run
 * left open and release every database handle when the run ends, whether it
 * returned, threw or was stopped (timeout, memory). `ScriptRuntime.run`
 * settles only after the run's host calls have settled, so the host can do
 * that cleanup as soon as `run` settles; handles are never valid in another run.
 *
 * Errors: throw a ScadaLinkError (DeliveryError for classified failures); the
 * script receives its `code`, `message` and `details` (plus `classification`
 * and `httpStatus` of a DeliveryError), e.g. `e.trackedOperationId`.
 */
export interface ScriptHost {
  call(op: HostOp, args: readonly unknown[]): Promise<unknown>;
}

/** One typed handler per op; see defineScriptHost. */
export type ScriptHostHandlers = {
  readonly [O in HostOp]: (...args: HostArgs<O>) => Promise<HostResult<O>>;
};

/**
 * Builds a ScriptHost from typed handlers. `call` only ever receives
 * arguments that passed checkHostArgs, so the casts below are sound.
 */
export function defineScriptHost(handlers: ScriptHostHandlers): ScriptHost {
  return {
    call(op, args) {
      const handler = handlers[op] as (...a: readonly unknown[]) => Promise<unknown>;
      return handler(...args);
    },
  };
}

export interface ScriptRunRequest extends ScriptSource {
  readonly timeoutMs: number;
  /** The script's `Parameters` (deep-frozen copy). */
  readonly parameters?: JsonObject;
  readonly host: ScriptHost;
  /** Cancels the run (see RunRequest.signal): it rejects with SCRIPT_CANCELLED. */
  readonly signal?: AbortSignal;
  /** See RunRequest.onScriptThrew. */
  readonly onScriptThrew?: () => void;
  /** See RunRequest.fairKey and RunRequest.nested (sandbox.ts). */
  readonly fairKey?: string;
  readonly nested?: boolean;
}

export type ScriptRuntimeOptions = Omit<SandboxOptions, 'install'>;

/** Runs scripts with the script API of DESIGN §7. */
export class ScriptRuntime {
  readonly #sandbox: ScriptSandbox;

  constructor(opts: ScriptRuntimeOptions) {
    this.#sandbox = new ScriptSandbox({ ...opts, install: SCRIPT_API_BOOTSTRAP });
  }

  get isolates(): number {
    return this.#sandbox.isolates;
  }

  get isolateStats(): IsolatePoolStats {
    return this.#sandbox.isolateStats;
  }

  get startStats(): StartStats {
    return this.#sandbox.startStats;
  }

  run(req: ScriptRunRequest): Promise<JsonValue | undefined> {
    const { host, parameters, ...source } = req;
    return this.#sandbox.run({
      ...source,
      data: { parameters: parameters ?? {} },
      host: (op, args) => {
        // The isolate is untrusted: re-check what the bootstrap already checked.
        if (!isHostOp(op)) return Promise.reject(new ScadaLinkError(SCRIPT_BAD_CALL, `unknown host operation ${op}`));
        const problem = checkHostArgs(op, args);
        if (problem !== undefined) return Promise.reject(new ScadaLinkError(SCRIPT_BAD_CALL, problem));
        return host.call(op, args);
      },
    });
  }

  dispose(): void {
    this.#sandbox.dispose();
  }
}
