// One isolate with its one reused context (see isolate/core.ts).
//
// The context is created and bootstrapped once, in the background, when the
// slot is made: the API installed, the realm hardened. A run is then either
// ONE asynchronous crossing (run: the core's entry applied on the isolate's
// thread) or two synchronous ones on the calling thread (start: the script's
// first stretch runs within the call, and a run that settled there costs no
// thread hand-over at all; one that awaits the host is then waited for). A script is registered in the context the first
// time it runs on the isolate (its compiled form runs once and hands back the
// id of its body); the most recently used `scriptsPerIsolate` stay registered.
//
// The host reference is also one per isolate, for its lifetime: the isolate
// calls it with (token, op, argsJson) and it serves the current run's host
// entry, refusing a token that is not the current run's (SCRIPT_ENDED).

import ivm from 'isolated-vm';
import { ScadaLinkError } from '../commons/index.js';
import type { CompiledScript } from './compile.js';
import { EntryMode } from './isolate/core.js';
import { ScriptErrorCode, WIRE } from './protocol.js';
import { answerHostCall, type HostEntry } from './wire.js';

export interface IsolateSlotOptions {
  readonly memoryMb: number;
  readonly bootstrapSource: string;
  /** Scripts kept registered in the context. */
  readonly scriptsPerIsolate: number;
  readonly onCatastrophicError?: (message: string) => void;
}

const APPLY_PROMISE = { result: { promise: true } } as const;

export class IsolateSlot {
  readonly isolate: ivm.Isolate;
  /** Settles when the context is ready for runs. */
  readonly ready: Promise<void>;
  #context: ivm.Context | undefined;
  #entry: ivm.Reference | undefined;
  /** Registered scripts: CompiledScript.key → id in the context, least recently used first. */
  readonly #scripts = new Map<string, number>();
  /** Ids to forget in the context, passed along with the next runs. */
  readonly #evicted: number[] = [];
  #current: { readonly token: number; readonly host: HostEntry } | undefined;
  /** Why the context could not be prepared (the isolate is then disposed). */
  prepareError: unknown;

  constructor(private readonly opts: IsolateSlotOptions) {
    this.isolate = new ivm.Isolate({
      memoryLimit: opts.memoryMb,
      ...(opts.onCatastrophicError === undefined ? {} : { onCatastrophicError: opts.onCatastrophicError }),
    });
    this.ready = this.#prepare();
    // A slot that fails to prepare (its isolate was disposed) is only an error for a run on it.
    this.ready.catch(() => undefined);
  }

  /**
   * Registers `compiled` in the context if it is not already. Throws the
   * engine's SyntaxError for a source that does not compile.
   */
  async register(compiled: CompiledScript): Promise<number> {
    await this.ready;
    const known = this.#scripts.get(compiled.key);
    if (known !== undefined) {
      this.#scripts.delete(compiled.key);
      this.#scripts.set(compiled.key, known);
      return known;
    }
    const script = this.isolate.compileScriptSync(compiled.code, {
      filename: compiled.filename,
      lineOffset: compiled.lineOffset,
    });
    try {
      // The body must not run outside its wrapper: check before running the registration.
      if (compiled.bodyError !== undefined) throw new SyntaxError(compiled.bodyError);
      const id = (await script.run(this.#context!)) as unknown;
      if (typeof id !== 'number') throw new TypeError('the script did not register through the sandbox wrapper');
      this.#scripts.set(compiled.key, id);
      if (this.#scripts.size > this.opts.scriptsPerIsolate) {
        const [oldestKey, oldestId] = this.#scripts.entries().next().value!;
        this.#scripts.delete(oldestKey);
        this.#evicted.push(oldestId);
      }
      return id;
    } finally {
      script.release();
    }
  }

  /**
   * Runs the registered script `id` as run `token`, its host calls served by
   * `host`; resolves to the run's outcome JSON. One run at a time per slot.
   */
  run(id: number, token: number, host: HostEntry, dataJson: string): Promise<unknown> {
    this.#current = { token, host };
    return this.#entry!.apply(undefined, [EntryMode.Run, id, token, dataJson, this.#evicted.pop() ?? 0], APPLY_PROMISE);
  }

  /**
   * Starts the registered script `id` as run `token` on THIS thread: its
   * first stretch (to its first await or its end) runs within the call, for
   * at most `limitMs` (then isolated-vm throws and the isolate must be
   * disposed: the stretch was cut anywhere). Returns the outcome JSON when
   * the run settled within the call, else undefined: then wait() for it. Its
   * host calls are served only once the call has returned.
   */
  start(id: number, token: number, host: HostEntry, dataJson: string, limitMs: number): unknown {
    this.#current = { token, host };
    this.#entry!.applySync(undefined, [EntryMode.Start, id, token, dataJson, this.#evicted.pop() ?? 0], { timeout: limitMs });
    return this.#entry!.applySync(undefined, [EntryMode.Take, 0, token, '', 0]);
  }

  /** The outcome of the run `token` begun by start(), once it settles (on the isolate's thread). */
  wait(token: number): Promise<unknown> {
    return this.#entry!.apply(undefined, [EntryMode.Wait, 0, token, '', 0], APPLY_PROMISE);
  }

  /** From now on the isolate's calls for the ended run are refused. */
  endRun(): void {
    this.#current = undefined;
  }

  async #prepare(): Promise<void> {
    try {
      const bootstrap = await this.isolate.compileScript(this.opts.bootstrapSource, { filename: 'scadalink:bootstrap' });
      const context = await this.isolate.createContext();
      this.#context = context;
      const entry = new ivm.Reference((token: unknown, op: unknown, argsJson: unknown) => {
        const current = this.#current;
        return current !== undefined && current.token === token
          ? answerHostCall(current.host, op, argsJson)
          : answerHostCall(() => Promise.reject(endedError()), op, argsJson);
      });
      await context.global.set(WIRE.hostEntry, entry);
      this.#entry = (await bootstrap.run(context, { reference: true })) as ivm.Reference;
      bootstrap.release();
    } catch (err) {
      // A disposal under way (timeout, pool disposed) is not a failure to prepare.
      if (!this.isolate.isDisposed) {
        this.prepareError = err;
        this.isolate.dispose();
      }
      throw err;
    }
  }
}

function endedError(): ScadaLinkError {
  return new ScadaLinkError(ScriptErrorCode.Ended, 'the run this call belongs to has ended');
}
