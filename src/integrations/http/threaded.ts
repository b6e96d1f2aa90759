// The HTTP gateway in a worker thread: the same calls, classification and
// errors as HttpGateway, but the sockets, the HTTP parsing and the error
// building run on another core. The site uses it so that the store, the
// engine and the scripts keep the event loop (bench: refused, deliver).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DeliveryError, describeError, packageRoot } from '../../commons/index.js';
import type { ExternalSystemConfig } from '../../config/index.js';
import { HttpErrorCode } from './classify.js';
import type { HttpCallOptions, HttpCallResult, HttpCaller, HttpGatewayOptions } from './gateway.js';
import type { FromGatewayThread, GatewayFailure, GatewayWorkerData, ToGatewayThread } from './thread-protocol.js';

/**
 * The worker's module. From dist/ it sits next to this file; under vitest this
 * module is the .ts source, which a worker cannot load without a TypeScript
 * loader, so the worker runs the build output (`npm test` builds first).
 */
function workerUrl(): URL {
  const sibling = new URL('./gateway-worker.js', import.meta.url);
  if (existsSync(sibling)) return sibling;
  return pathToFileURL(join(packageRoot(), 'dist', 'integrations', 'http', 'gateway-worker.js'));
}

interface Pending {
  readonly resolve: (r: HttpCallResult) => void;
  readonly reject: (err: unknown) => void;
  readonly signal: AbortSignal | undefined;
}

/**
 * Rebuilds the thread's failure. A DeliveryError is data to the engine (it is
 * classified and recorded, never printed with a stack), and capturing a stack
 * walks the whole await chain, so it is built without one.
 */
function revive(f: GatewayFailure): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    if (f.name === 'DeliveryError' && f.code !== undefined && f.classification !== undefined) {
      return new DeliveryError(f.code, f.message, f.classification, {
        httpStatus: f.httpStatus,
        details: f.details,
      });
    }
    const err = f.name === 'TypeError' ? new TypeError(f.message) : new Error(f.message);
    err.name = f.name;
    if (f.code !== undefined) Object.assign(err, { code: f.code });
    return err;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export class ThreadedHttpGateway implements HttpCaller {
  readonly #options: HttpGatewayOptions;
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  /** Each caller signal with calls in flight: its number in the thread and those calls. One listener per signal. */
  #signals = new Map<AbortSignal, { readonly num: number; readonly ids: Set<number> }>();
  #systemIds = new WeakMap<ExternalSystemConfig, number>();
  #nextId = 1;
  #outbox: ToGatewayThread[] = [];
  #flushScheduled = false;
  #closed = false;

  constructor(options: HttpGatewayOptions = {}) {
    const connections = options.connectionsPerOrigin;
    if (connections !== undefined && (!Number.isInteger(connections) || connections < 1)) {
      throw new RangeError(`connectionsPerOrigin must be a positive integer, got ${connections}`);
    }
    this.#options = options;
  }

  call(
    system: ExternalSystemConfig,
    methodName: string,
    params: Readonly<Record<string, unknown>>,
    opts?: HttpCallOptions,
  ): Promise<HttpCallResult> {
    if (this.#closed) {
      return Promise.reject(
        new DeliveryError(HttpErrorCode.GatewayClosed, `${system.name}: HTTP gateway is closed`, 'transient', {
          details: { system: system.name },
        }),
      );
    }
    const signal = opts?.signal;
    if (signal?.aborted === true) return Promise.reject(aborted(system, methodName));

    const worker = this.#ensureWorker();
    let sid = this.#systemIds.get(system);
    if (sid === undefined) {
      sid = this.#nextId++;
      this.#systemIds.set(system, sid);
      this.#send({ t: 'system', sid, config: system });
    }
    const id = this.#nextId++;
    this.#send({
      t: 'call',
      id,
      sid,
      method: methodName,
      params,
      idempotencyKey: opts?.idempotencyKey,
      signal: signal === undefined ? 0 : this.#watch(signal, id),
    });
    if (this.#pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, signal });
    });
  }

  /** Lets the calls in flight finish, closes every connection and ends the thread. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const worker = this.#worker;
    if (worker === undefined) return;
    this.#send({ t: 'close' });
    this.#flush();
    worker.ref();
    await new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  }

  #ensureWorker(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const data: GatewayWorkerData = { options: this.#options };
    // No Node options: the thread needs none, and some of the process's own
    // (`--input-type` for `node -e`) would stop it from starting.
    const worker = new Worker(workerUrl(), { workerData: data, execArgv: [] });
    worker.unref();
    worker.on('message', (batch: readonly FromGatewayThread[]) => this.#settle(batch));
    worker.on('messageerror', (err) => this.#lose(worker, `sent a reply that cannot be read: ${describeError(err)}`));
    worker.on('error', (err) => this.#lose(worker, `failed: ${describeError(err)}`));
    worker.on('exit', (code) => this.#lose(worker, `stopped (exit code ${code})`));
    this.#worker = worker;
    return worker;
  }

  #send(m: ToGatewayThread): void {
    this.#outbox.push(m);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#outbox;
    if (batch.length === 0) return;
    this.#outbox = [];
    try {
      this.#worker?.postMessage(batch);
    } catch (err) {
      // A parameter structured clone cannot copy (a function, a symbol) is one
      // JSON could not send either. Send the batch again one message at a
      // time, so only the calls that carry such a value fail.
      for (const m of batch) {
        try {
          this.#worker?.postMessage([m]);
        } catch {
          if (m.t === 'call') {
            this.#take(m.id)?.reject(
              new DeliveryError(
                HttpErrorCode.InvalidParameters,
                `${m.method}: parameters cannot be sent: ${describeError(err)}`,
                'permanent',
                { details: { method: m.method } },
              ),
            );
          }
        }
      }
    }
  }

  #settle(batch: readonly FromGatewayThread[]): void {
    for (const r of batch) {
      const pending = this.#take(r.id);
      if (pending === undefined) continue;
      if (r.ok) pending.resolve({ status: r.status, body: r.body });
      else pending.reject(revive(r.failure));
    }
  }

  #take(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    if (pending === undefined) return undefined;
    this.#pending.delete(id);
    if (pending.signal !== undefined) this.#unwatch(pending.signal, id);
    if (this.#pending.size === 0) this.#worker?.unref();
    return pending;
  }

  #watch(signal: AbortSignal, id: number): number {
    let watched = this.#signals.get(signal);
    if (watched === undefined) {
      watched = { num: this.#nextId++, ids: new Set() };
      this.#signals.set(signal, watched);
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    watched.ids.add(id);
    return watched.num;
  }

  #unwatch(signal: AbortSignal, id: number): void {
    const watched = this.#signals.get(signal);
    if (watched === undefined) return;
    watched.ids.delete(id);
    if (watched.ids.size === 0) {
      this.#signals.delete(signal);
      signal.removeEventListener('abort', this.#onAbort);
      this.#send({ t: 'release', signal: watched.num });
    }
  }

  readonly #onAbort = (event: Event): void => {
    const watched = this.#signals.get(event.target as AbortSignal);
    if (watched === undefined) return;
    this.#send({ t: 'abort', signal: watched.num });
    this.#flush();
  };

  /** The thread is gone: its calls fail transient (the engine retries them) and the next call starts a new one. */
  #lose(worker: Worker, why: string): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    void worker.terminate();
    // What was queued for the lost thread goes with it: its calls fail below,
    // and the next thread is told about each system afresh.
    this.#outbox = [];
    this.#systemIds = new WeakMap();
    for (const signal of this.#signals.keys()) signal.removeEventListener('abort', this.#onAbort);
    this.#signals = new Map();
    const failed = [...this.#pending.keys()];
    for (const id of failed) {
      this.#take(id)?.reject(
        new DeliveryError(HttpErrorCode.ThreadFailed, `HTTP gateway thread ${why}`, 'transient'),
      );
    }
  }
}

function aborted(system: ExternalSystemConfig, method: string): DeliveryError {
  return new DeliveryError(HttpErrorCode.Aborted, `${system.name}.${method}: aborted by the caller`, 'transient', {
    details: { system: system.name, method },
  });
}
