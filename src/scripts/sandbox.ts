// The generic sandbox (DESIGN §7, STYLE §7): runs one script source in a
// leased isolate's one reused, hardened context, with a wall-clock timeout and
// a memory limit, talking to the host only through one async entry. Nothing
// here is specific to a site: central's Inbound API runs scripts with it too.

import { ScadaLinkError } from '../commons/index.js';
import type { ComputeGate, ComputePass } from './compute-gate.js';
import { DEFAULT_MAX_ISOLATES, DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_WARM_ISOLATES, type RunRequest, type SandboxOptions, type StartStats } from './sandbox-options.js';
import { ScriptCompiler, type CompiledScript } from './compile.js';
import { coreBootstrap } from './isolate/core.js';
import { IsolatePool, type IsolatePoolStats, type IsolateSlot } from './isolate-pool.js';
import { NODE_THREAD_LIMIT_MS, Pace, cpuNowUs, stretchComputed } from './pace.js';
import { ScriptErrorCode, WIRE, type JsonValue, type RunOutcome } from './protocol.js';

export { DEFAULT_MAX_ISOLATES, DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_WARM_ISOLATES, type RunRequest, type SandboxOptions, type StartStats };
import { decodeOutcome, locateMessage, parseOutcome, utf8SizeOver, type HostEntry } from './wire.js';

export class ScriptSandbox {
  readonly #compiler: ScriptCompiler;
  readonly #pool: IsolatePool;
  readonly #memoryMb: number;
  readonly #maxPayloadBytes: number;
  readonly #gate: ComputeGate | undefined;
  /** How each script's runs start (pace.ts), by compiled script: forgotten with it. */
  readonly #paces = new WeakMap<CompiledScript, Pace>();
  #tokens = 0;
  readonly #starts = { onNodeThread: 0, onIsolateThread: 0, cut: 0 };

  constructor(opts: SandboxOptions) {
    this.#memoryMb = opts.memoryMb;
    this.#maxPayloadBytes = opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.#gate = opts.computeGate;
    this.#compiler = new ScriptCompiler(opts.compileCacheSize ?? 1000);
    // Unset, the maximum is at least the warm isolates asked for.
    const warmAsked = opts.warmIsolates ?? DEFAULT_WARM_ISOLATES;
    const maxIsolates = opts.maxIsolates ?? (Number.isInteger(warmAsked) ? Math.max(DEFAULT_MAX_ISOLATES, warmAsked) : DEFAULT_MAX_ISOLATES);
    for (const [name, value] of [['maxIsolates', maxIsolates], ['warmIsolates', opts.warmIsolates ?? 0]] as const) {
      if (!Number.isInteger(value) || value < 0 || (name === 'maxIsolates' && value < 1)) {
        throw new RangeError(`${name} must be a ${name === 'maxIsolates' ? 'positive' : 'non-negative'} integer, got ${value}`);
      }
    }
    this.#pool = new IsolatePool({
      memoryMb: opts.memoryMb,
      maxIsolates,
      warm: Math.min(warmAsked, maxIsolates),
      surplusIdleMs: opts.surplusIdleMs ?? 30_000,
      scriptsPerIsolate: opts.scriptsPerIsolate ?? 200,
      bootstrapSource: coreBootstrap(opts.install ?? 'function () {}'),
      ...(opts.onCatastrophicError === undefined ? {} : { onCatastrophicError: opts.onCatastrophicError }),
    });
  }

  /** Isolates alive now (leased or idle). */
  get isolates(): number {
    return this.#pool.size;
  }

  /** Runs (attempts) started on the Node thread or on an isolate's thread, and first stretches cut on the Node thread (pace.ts). */
  get startStats(): StartStats {
    return { ...this.#starts };
  }

  /** Isolates created and disposed since the sandbox was made (churn shows as both growing with runs). */
  get isolateStats(): IsolatePoolStats {
    return this.#pool.stats;
  }

  /** Runs one script; resolves to its JSON return value, rejects with a ScadaLinkError. */
  async run(req: RunRequest): Promise<JsonValue | undefined> {
    if (!(req.timeoutMs > 0 && Number.isFinite(req.timeoutMs))) {
      throw new RangeError(`timeoutMs must be a positive number of milliseconds, got ${req.timeoutMs}`);
    }
    const dataJson = JSON.stringify(req.data ?? null);
    this.#checkPayload('arguments', dataJson);
    const compiled = await this.#compiler.compile(req);
    let timeoutMs = req.timeoutMs;
    // A second attempt runs on a freshly made isolate, whose context is clean.
    for (let attempt = 1; ; attempt++) {
      if (req.signal?.aborted === true) throw cancelledError();
      const slot = await this.#pool.acquire(req.fairKey, req.nested, req.signal, cancelledError);
      let outcome: RunOutcome;
      try {
        outcome = await this.#runIn(slot, compiled, req, dataJson, timeoutMs);
      } finally {
        if (slot.isolate.isDisposed) this.#pool.discard(slot);
        else this.#pool.release(slot);
      }
      // The context was not clean (code of an ended run), or a first stretch
      // on the Node thread was cut: its isolate is gone; run on another, with
      // what is left of the run's time.
      if ('retry' in outcome && attempt < 3) {
        timeoutMs -= outcome.elapsedMs ?? 0;
        continue;
      }
      if ('retry' in outcome) throw new ScadaLinkError(ScriptErrorCode.Error, 'the script sandbox could not give the run a clean context');
      return decodeOutcome(outcome, compiled);
    }
  }

  /** Disposes every isolate; runs in progress fail with SCRIPT_SANDBOX_DISPOSED. */
  dispose(): void {
    this.#pool.dispose();
  }

  async #runIn(slot: IsolateSlot, compiled: CompiledScript, req: RunRequest, dataJson: string, timeoutMs: number): Promise<RunOutcome> {
    let id: number;
    try {
      id = await slot.register(compiled);
    } catch (err) {
      if (slot.prepareError !== undefined) {
        const message = slot.prepareError instanceof Error ? slot.prepareError.message : String(slot.prepareError);
        throw new ScadaLinkError(ScriptErrorCode.Error, `the script sandbox could not be prepared: ${message}`, { cause: err });
      }
      throw slot.isolate.isDisposed ? this.#classify(err, slot, undefined) : compileError(err, compiled);
    }
    const pace = this.#paceOf(compiled);
    const token = ++this.#tokens;
    let stopped: ScadaLinkError | undefined;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    // Compute gate (issue 10 point 6): a pass to start computing, given back at the first host call or the end.
    let pass: ComputePass | undefined;
    // Whether a first stretch run here used the CPU it took (see pace.ts); a run on an isolate's thread is judged by its own timing.
    let computed = true;
    const host: HostEntry = (op, args) => {
      pass?.leave();
      if (op === WIRE.threw) {
        req.onScriptThrew?.();
        return Promise.resolve(null);
      }
      return req.host(op, args);
    };
    try {
      let outcome: Promise<unknown>;
      let left = timeoutMs;
      if (pace.onNodeThread) {
        this.#starts.onNodeThread++;
        // The first stretch runs here: no thread hand-over, no gate (it computes on this thread, alone).
        const limitMs = Math.min(NODE_THREAD_LIMIT_MS, timeoutMs);
        const t0 = performance.now();
        const cpu0 = cpuNowUs();
        let first: unknown;
        try {
          first = slot.start(id, token, host, dataJson, limitMs);
          // Timed slow by the run but not computing (the OS took the thread): no reason to move it (pace.ts).
          computed = stretchComputed(cpu0);
        } catch (err) {
          if (slot.isolate.isDisposed || performance.now() - t0 < limitMs) throw err;
          // Cut by the limit anywhere in its first stretch: the isolate goes, and so does this script's place here.
          slot.isolate.dispose();
          this.#starts.cut++;
          pace.demote();
          if (limitMs >= timeoutMs) throw (stopped = this.#timeoutError(req.timeoutMs));
          return { retry: true, elapsedMs: performance.now() - t0 };
        }
        // A slow stretch is told by the run itself (`slow`, timed inside the isolate, where
        // isolated-vm's first entry into an isolate from this thread does not count).
        if (typeof first === 'string') return this.#settle(slot, first, pace, computed);
        outcome = slot.wait(token);
        left = timeoutMs - (performance.now() - t0);
      } else {
        this.#starts.onIsolateThread++;
        pass = await this.#gate?.enter(req.fairKey, req.nested);
        outcome = slot.run(id, token, host, dataJson);
      }
      const ended = new Promise<never>((_, reject) => {
        // Disposing is the only way to stop both a busy loop and a run parked
        // on a host promise; the pool replaces the isolate.
        const stop = (err: ScadaLinkError): void => {
          stopped ??= err;
          slot.isolate.dispose();
          reject(stopped);
        };
        timer = setTimeout(() => stop(this.#timeoutError(req.timeoutMs)), left);
        if (req.signal !== undefined) {
          onAbort = () => stop(cancelledError());
          if (req.signal.aborted) onAbort();
          else req.signal.addEventListener('abort', onAbort, { once: true });
        }
      });
      return this.#settle(slot, await Promise.race([outcome, ended]), pace, computed);
    } catch (err) {
      throw this.#classify(err, slot, stopped);
    } finally {
      pass?.leave();
      slot.endRun();
      clearTimeout(timer);
      if (onAbort !== undefined) req.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The run's outcome from its JSON; tells the script's pace whether its first stretch was slow (and, on the Node thread, `computed` so). */
  #settle(slot: IsolateSlot, json: unknown, pace: Pace, computed: boolean): RunOutcome {
    if (typeof json === 'string') this.#checkPayload('result', json);
    const result = parseOutcome(json);
    if ('retry' in result || result.tainted === true) slot.isolate.dispose();
    else pace.ran(result.slow === true && computed);
    return result;
  }

  #paceOf(compiled: CompiledScript): Pace {
    let pace = this.#paces.get(compiled);
    if (pace === undefined) {
      pace = new Pace();
      this.#paces.set(compiled, pace);
    }
    return pace;
  }

  #classify(err: unknown, slot: IsolateSlot, stopped: ScadaLinkError | undefined): ScadaLinkError {
    if (stopped !== undefined) return stopped;
    if (err instanceof ScadaLinkError) return err;
    if (this.#pool.disposed) {
      return new ScadaLinkError(ScriptErrorCode.Disposed, 'the script sandbox was disposed during the run', { cause: err });
    }
    if (slot.isolate.isDisposed) {
      // isolated-vm disposes an isolate that crosses its memory limit.
      return new ScadaLinkError(ScriptErrorCode.Memory, `script exceeded its memory limit of ${this.#memoryMb} MB`, {
        cause: err,
        details: { memoryMb: this.#memoryMb },
      });
    }
    const message = err instanceof Error ? err.message : String(err);
    return new ScadaLinkError(ScriptErrorCode.Error, message, { cause: err });
  }

  #checkPayload(what: 'arguments' | 'result', json: string): void {
    const sizeBytes = utf8SizeOver(json, this.#maxPayloadBytes);
    if (sizeBytes === undefined) return;
    throw new ScadaLinkError(ScriptErrorCode.PayloadTooLarge, `the script's ${what === 'arguments' ? 'arguments are' : 'result is'} ${sizeBytes} bytes of JSON; the limit is ${this.#maxPayloadBytes}`, {
      details: { what, sizeBytes, limitBytes: this.#maxPayloadBytes },
    });
  }

  #timeoutError(timeoutMs: number): ScadaLinkError {
    return new ScadaLinkError(ScriptErrorCode.Timeout, `script exceeded its timeout of ${timeoutMs} ms`, {
      details: { timeoutMs },
    });
  }
}

function compileError(err: unknown, compiled: CompiledScript): ScadaLinkError {
  const raw = err instanceof Error ? err.message : String(err);
  const { message, line, column } = locateMessage(raw, compiled);
  const at = line === undefined ? compiled.filename : `${compiled.filename}:${line}:${column}`;
  return new ScadaLinkError(ScriptErrorCode.Compile, `${at}: ${message}`, {
    cause: err,
    details: { filename: compiled.filename, ...(line === undefined ? {} : { line, column }) },
  });
}

function cancelledError(): ScadaLinkError {
  return new ScadaLinkError(ScriptErrorCode.Cancelled, 'the script run was cancelled');
}
