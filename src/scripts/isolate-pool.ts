// Isolates are leased, one run at a time, and reused.
//
// Why exclusive leases: an isolate runs one thing at a time and its memory
// limit is shared by everything in it, so a run that loops or bloats would
// stall or kill every other run in the same isolate. One run per isolate keeps
// a runaway's damage to itself. Why reuse: creating an isolate and preparing
// its context (API installed, realm hardened) costs milliseconds; a run in the
// prepared context costs tens of microseconds (isolate-slot.ts).
//
// Warm capacity, not churn: `warm` isolates are created in the background as
// soon as the pool exists and whenever one is discarded (timeout, memory kill,
// cancellation, catastrophic error), so a run normally finds one ready.
// Isolates created beyond `warm` under a burst are kept while they are used
// and disposed only after `surplusIdleMs` without a run, so a steady
// concurrent load creates and disposes no isolate per run.

import { ScadaLinkError } from '../commons/index.js';
import { FairQueue } from './fair-queue.js';
import { IsolateSlot } from './isolate-slot.js';
import { ScriptErrorCode } from './protocol.js';

export { IsolateSlot };

export interface IsolatePoolOptions {
  readonly memoryMb: number;
  /** Upper bound of isolates alive at once (= concurrent runs); further runs queue. */
  readonly maxIsolates: number;
  /** Isolates kept ready (created ahead of use, replaced when discarded). */
  readonly warm: number;
  /** An isolate beyond `warm` is disposed after this long without a run. */
  readonly surplusIdleMs: number;
  /** Scripts kept registered per isolate. */
  readonly scriptsPerIsolate: number;
  readonly bootstrapSource: string;
  readonly onCatastrophicError?: (message: string) => void;
}

/** Isolates created for runs in one turn of the event loop (~1.3 ms each on the Node thread). */
const CREATE_PER_TURN = 8;

interface Waiter {
  resolve(slot: IsolateSlot): void;
  reject(err: unknown): void;
}

export interface IsolatePoolStats {
  /** Isolates created since the pool was made. */
  readonly created: number;
  /** Isolates disposed since (after a limit, as surplus, or by dispose()). */
  readonly disposed: number;
}

export class IsolatePool {
  /** Idle isolates, most recently used last. */
  readonly #idle: IsolateSlot[] = [];
  readonly #idleSince = new Map<IsolateSlot, number>();
  readonly #all = new Set<IsolateSlot>();
  /** Runs waiting for an isolate, admitted round-robin across fair keys (fair-queue.ts). */
  readonly #waiters = new FairQueue<Waiter>();
  #disposed = false;
  #created = 0;
  #disposedCount = 0;
  #warming: NodeJS.Immediate | undefined;
  #growing: NodeJS.Immediate | undefined;
  #createdThisTurn = 0;
  #trimTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: IsolatePoolOptions) {
    this.#warmUp();
  }

  get stats(): IsolatePoolStats {
    return { created: this.#created, disposed: this.#disposedCount };
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Isolates alive now (leased or idle). */
  get size(): number {
    return this.#all.size;
  }

  /**
   * An isolate for a run; when none is free the run waits its turn among
   * `fairKey`s (nested runs of a key first). A queued run whose `signal`
   * aborts leaves the queue, rejected with `cancelled()`.
   */
  acquire(fairKey = '', nested = false, signal?: AbortSignal, cancelled?: () => unknown): Promise<IsolateSlot> {
    if (this.#disposed) return Promise.reject(disposedError());
    for (let idle = this.#idle.pop(); idle !== undefined; idle = this.#idle.pop()) {
      this.#idleSince.delete(idle);
      if (!idle.isolate.isDisposed) return Promise.resolve(idle);
      this.discard(idle);
    }
    if (this.#all.size < this.opts.maxIsolates && this.#createdThisTurn < CREATE_PER_TURN) return Promise.resolve(this.#createNow());
    const waiting = new Promise<IsolateSlot>((resolve, reject) => {
      if (signal === undefined) {
        this.#waiters.push(fairKey, nested, { resolve, reject });
        return;
      }
      const onAbort = (): void => {
        if (this.#waiters.remove(fairKey, waiter)) reject(cancelled?.());
      };
      const waiter: Waiter = {
        resolve: (slot) => {
          signal.removeEventListener('abort', onAbort);
          resolve(slot);
        },
        reject: (err) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      this.#waiters.push(fairKey, nested, waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    if (this.#all.size < this.opts.maxIsolates) this.#nextTurn();
    return waiting;
  }

  /** Gives back a healthy isolate. */
  release(slot: IsolateSlot): void {
    if (this.#disposed || slot.isolate.isDisposed) {
      this.discard(slot);
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve(slot);
      return;
    }
    this.#idle.push(slot);
    this.#idleSince.set(slot, performance.now());
    if (this.#all.size > this.opts.warm) this.#scheduleTrim();
  }

  /** Disposes an isolate that hit a limit (or is surplus); a queued run gets a fresh one. */
  discard(slot: IsolateSlot): void {
    if (!this.#all.delete(slot)) return;
    this.#disposedCount++;
    if (!slot.isolate.isDisposed) slot.isolate.dispose();
    if (this.#disposed) return;
    const waiter = this.#waiters.shift();
    if (waiter === undefined) {
      this.#warmUp();
      return;
    }
    try {
      waiter.resolve(this.#create());
    } catch (err) {
      waiter.reject(err);
    }
  }

  /** Disposes every isolate, including leased ones: their runs fail. */
  dispose(): void {
    this.#disposed = true;
    if (this.#warming !== undefined) clearImmediate(this.#warming);
    if (this.#growing !== undefined) clearImmediate(this.#growing);
    clearTimeout(this.#trimTimer);
    for (const waiter of this.#waiters.drain()) waiter.reject(disposedError());
    this.#idle.length = 0;
    this.#idleSince.clear();
    for (const slot of this.#all) {
      this.#disposedCount++;
      if (!slot.isolate.isDisposed) slot.isolate.dispose();
    }
    this.#all.clear();
  }

  /**
   * Isolates for runs are created at most CREATE_PER_TURN per turn of the
   * event loop: a burst of hundreds of runs must not create dozens of
   * isolates in one go while HTTP, /health and timers wait (issue 10 point 6).
   * Runs beyond that wait, and get isolates created on the following turns.
   */
  #createNow(): IsolateSlot {
    const slot = this.#create();
    this.#createdThisTurn++;
    this.#nextTurn();
    return slot;
  }

  /** On the next turn: a new allowance of creations, spent first on the runs still waiting. */
  #nextTurn(): void {
    if (this.#disposed || this.#growing !== undefined) return;
    this.#growing = setImmediate(() => {
      this.#growing = undefined;
      this.#createdThisTurn = 0;
      while (!this.#disposed && this.#waiters.length > 0 && this.#all.size < this.opts.maxIsolates && this.#createdThisTurn < CREATE_PER_TURN) {
        const waiter = this.#waiters.shift()!;
        try {
          waiter.resolve(this.#createNow());
        } catch (err) {
          waiter.reject(err);
        }
      }
    });
  }

  /**
   * Creates isolates up to `warm` in the background, one per turn of the
   * event loop so that a burst of creations never holds up the runs' I/O.
   */
  #warmUp(): void {
    if (this.#disposed || this.#warming !== undefined || this.#all.size >= this.opts.warm) return;
    this.#warming = setImmediate(() => {
      this.#warming = undefined;
      if (this.#disposed || this.#all.size >= this.opts.warm) return;
      let slot: IsolateSlot;
      try {
        slot = this.#create();
      } catch {
        return; // the next discard or run tries again
      }
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) waiter.resolve(slot);
      else {
        this.#idle.push(slot);
        this.#idleSince.set(slot, performance.now());
      }
      this.#warmUp();
    });
    this.#warming.unref();
  }

  /** Disposes isolates beyond `warm` that have been idle for `surplusIdleMs`, least recently used first. */
  #scheduleTrim(): void {
    if (this.#trimTimer !== undefined || this.#disposed) return;
    this.#trimTimer = setTimeout(() => {
      this.#trimTimer = undefined;
      const now = performance.now();
      while (this.#all.size > this.opts.warm && this.#idle.length > 0) {
        const oldest = this.#idle[0]!;
        if (now - (this.#idleSince.get(oldest) ?? now) < this.opts.surplusIdleMs) break;
        this.#idle.shift();
        this.#idleSince.delete(oldest);
        this.discard(oldest);
      }
      if (this.#all.size > this.opts.warm && this.#idle.length > 0) this.#scheduleTrim();
    }, this.opts.surplusIdleMs);
    this.#trimTimer.unref();
  }

  #create(): IsolateSlot {
    const slot = new IsolateSlot({
      memoryMb: this.opts.memoryMb,
      bootstrapSource: this.opts.bootstrapSource,
      scriptsPerIsolate: this.opts.scriptsPerIsolate,
      ...(this.opts.onCatastrophicError === undefined ? {} : { onCatastrophicError: this.opts.onCatastrophicError }),
    });
    this.#all.add(slot);
    this.#created++;
    return slot;
  }
}

function disposedError(): ScadaLinkError {
  return new ScadaLinkError(ScriptErrorCode.Disposed, 'the script sandbox has been disposed');
}
