import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import {
  type Channel,
  type Clock,
  DeliveryError,
  type OperationSnapshot,
  OperationFailedError,
  ScadaLinkError,
  type TrackedOperationId,
  describeError,
  newTrackedOperationId,
  systemClock,
} from '../../commons/index.js';
import type { BufferedOperation } from '../store/buffer.js';
import type { SiteStore } from '../store/site-store.js';
import type { SubmitInput } from '../store/store-types.js';
import { ReadyQueues } from './ready.js';
import { TargetSlots } from './slots.js';

export interface DeliveryContext {
  readonly id: TrackedOperationId;
  readonly channel: Channel;
  readonly target: string;
  readonly request: unknown;
  readonly signal: AbortSignal;
}

export interface DeliveryResult {
  readonly httpStatus?: number;
  readonly body?: unknown;
  /**
   * Delivered, but not all of it (an SMTP server refused some recipients):
   * the operation is Delivered all the same, and this is recorded as the
   * attempt's error and LastError and logged at warn.
   */
  readonly partial?: PartialDelivery;
}

export interface PartialDelivery {
  readonly code: string;
  /** One line for LastError and the audit event. */
  readonly message: string;
  /** Structured, for the site event log (e.g. each refused recipient with its reply). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Delivers one attempt; throws a classified DeliveryError on failure. */
export type DeliveryHandler = (ctx: DeliveryContext) => Promise<DeliveryResult>;

/** One attempt against an external system, a database or the SMTP server, once its outcome is known (for metrics). */
export interface AttemptRecord {
  readonly channel: Channel;
  /** The configured name (external system, database; `smtp` for notifications). */
  readonly target: string;
  readonly outcome: 'delivered' | 'transient' | 'permanent';
  readonly durationMs: number;
}

export type AttemptObserver = (attempt: AttemptRecord) => void;

export interface EngineOptions {
  readonly store: SiteStore;
  readonly handlers: Partial<Record<Channel, DeliveryHandler>>;
  readonly logger: Logger;
  /** Most attempts in flight against one target (channel + target name). Default 8. */
  readonly concurrencyOf?: (channel: Channel, target: string) => number;
  /** Most attempts in flight in all. Default 512. */
  readonly maxInFlight?: number;
  /** Longest sleep of the dispatcher between looks at the buffer. Default 500 ms. */
  readonly pollIntervalMs?: number;
  readonly pageSize?: number;
  readonly clock?: Clock;
  /** Told every attempt whose outcome is known (not one abandoned by shutdown). */
  readonly onAttempt?: AttemptObserver;
}

export type SubmitRequest = Omit<SubmitInput, 'id'> & { readonly id?: TrackedOperationId };

export interface SubmitOutcome {
  readonly trackedOperationId: TrackedOperationId;
  /** Where the operation stands once the immediate attempt is recorded. */
  readonly status: 'Delivered' | 'Forwarded' | 'Parked';
  readonly result?: DeliveryResult;
}

export interface EngineStats {
  submitted: number;
  attempts: { delivered: number; transient: number; permanent: number };
  parked: number;
}

const slotKey = (channel: Channel, target: string): string => `${channel}\u0000${target}`;

/**
 * The store-and-forward engine (DESIGN §3): records before acting, makes one
 * immediate attempt, then a dispatcher retries due rows at a fixed interval
 * until Delivered, Failed or Parked. An operation being attempted is claimed
 * in this process's memory, so no two attempts of one operation overlap and a
 * claim dies with the process that held it.
 */
export class StoreAndForwardEngine {
  readonly stats: EngineStats = { submitted: 0, attempts: { delivered: 0, transient: 0, permanent: 0 }, parked: 0 };
  private readonly store: SiteStore;
  private readonly handlers: Partial<Record<Channel, DeliveryHandler>>;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly maxInFlight: number;
  private readonly pollIntervalMs: number;
  private readonly pageSize: number;
  private readonly onAttempt: AttemptObserver | undefined;
  private readonly slots: TargetSlots;
  private readonly claims = new Set<string>();
  private readonly ready: ReadyQueues;
  private readonly inFlight = new Set<Promise<void>>();
  private immediate = 0;
  private readonly immediateIdle: (() => void)[] = [];
  private readonly abort = new AbortController();
  private running = false;
  private accepting = true;
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs = Number.POSITIVE_INFINITY;
  private lastRewindAtMs = Number.NEGATIVE_INFINITY;
  private sweepQueued = false;

  constructor(options: EngineOptions) {
    this.store = options.store;
    this.handlers = options.handlers;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.maxInFlight = options.maxInFlight ?? 512;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.pageSize = options.pageSize ?? 256;
    this.onAttempt = options.onAttempt;
    const concurrencyOf = options.concurrencyOf ?? (() => 8);
    const limitOf = (key: string): number => {
      const [channel, target] = key.split('\u0000') as [Channel, string];
      return Math.max(1, concurrencyOf(channel, target));
    };
    this.slots = new TargetSlots(limitOf);
    // Every attempt listens on this one signal; hundreds at once is expected.
    setMaxListeners(0, this.abort.signal);
    this.ready = new ReadyQueues(this.store.buffer, this.claims, {
      pageSize: this.pageSize,
      maxPagesPerFill: 4,
      capacity: Math.max(this.maxInFlight, this.pageSize),
      // One more round per target: a freed slot is refilled without reading the index.
      perKey: limitOf,
      keyOf: (op) => slotKey(op.channel, op.target),
    });
  }

  /**
   * Records the operation, then makes the immediate attempt while the caller
   * awaits. Transient failure: resolves with `Forwarded` (retries go on in the
   * background). Permanent failure: rejects with an OperationFailedError.
   */
  submit(request: SubmitRequest): Promise<SubmitOutcome> {
    if (!this.accepting) {
      return Promise.reject(new ScadaLinkError('SITE_STOPPING', 'the site is stopping and takes no new operations'));
    }
    const handler = this.handlers[request.channel];
    if (!handler) {
      return Promise.reject(new ScadaLinkError('CHANNEL_UNAVAILABLE', `no delivery handler for channel ${request.channel}`));
    }
    const id = request.id ?? newTrackedOperationId();
    return this.submitAndAttempt({ ...request, id }, handler);
  }

  private async submitAndAttempt(request: SubmitInput, handler: DeliveryHandler): Promise<SubmitOutcome> {
    const id = request.id;
    this.claims.add(id);
    // Counted so that stop() waits for immediate attempts too.
    this.immediate++;
    try {
      const op = await this.store.submit(request);
      this.stats.submitted++;
      const key = slotKey(op.channel, op.target);
      await this.slots.acquire(key);
      const slot = this.slotHolder(key);
      try {
        return await this.attempt(op, handler, true, slot);
      } catch (err) {
        // Unless the failure was recorded, the row is still due at its submit time, behind the cursor.
        if (!(err instanceof OperationFailedError)) this.ready.rewind();
        throw err;
      } finally {
        slot();
      }
    } finally {
      this.claims.delete(id);
      if (--this.immediate === 0) for (const resolve of this.immediateIdle.splice(0)) resolve();
    }
  }

  /** Resolves once no immediate attempt is in progress. */
  private immediatesDone(): Promise<void> {
    if (this.immediate === 0) return Promise.resolve();
    return new Promise((resolve) => this.immediateIdle.push(resolve));
  }

  /**
   * Returns a once-only release of a held slot. An attempt gives its slot back
   * as soon as the target has answered, before its outcome is committed: the
   * limit is on calls in flight against the target, and the operation itself
   * stays claimed until its outcome is recorded.
   */
  private slotHolder(key: string): () => void {
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.slots.release(key);
      this.queueSweep();
    };
  }

  private async attempt(
    op: BufferedOperation,
    handler: DeliveryHandler,
    immediate: boolean,
    releaseSlot: () => void,
  ): Promise<SubmitOutcome> {
    const started = performance.now();
    let result: DeliveryResult;
    try {
      result = await handler({
        id: op.id,
        channel: op.channel,
        target: op.target,
        request: JSON.parse(op.request) as unknown,
        signal: this.abort.signal,
      });
    } catch (err) {
      releaseSlot();
      if (this.abort.signal.aborted) {
        // Stopped mid-attempt: the outcome is unknown, so record nothing; the
        // row stays due and is attempted again (same Idempotency-Key) on restart.
        // The operation is recorded, so the caller still gets its id.
        throw new ScadaLinkError('SITE_STOPPING', `attempt of operation ${op.id} abandoned by shutdown; it resumes on restart`, {
          cause: err,
          details: { trackedOperationId: op.id },
        });
      }
      const error = err instanceof DeliveryError ? err : new DeliveryError('UNEXPECTED', describeError(err), 'transient', { cause: err });
      const durationMs = performance.now() - started;
      this.onAttempt?.({ channel: op.channel, target: op.target, outcome: error.transient ? 'transient' : 'permanent', durationMs });
      const outcome = await this.store.attemptFailed(op, error, immediate, { durationMs });
      if (error.transient) this.stats.attempts.transient++;
      else this.stats.attempts.permanent++;
      if (outcome === 'Parked') this.stats.parked++;
      if (outcome === 'Failed' && immediate) throw new OperationFailedError(op.id, error);
      if (outcome === 'Failed' || outcome === 'Gone') return { trackedOperationId: op.id, status: 'Forwarded' };
      return { trackedOperationId: op.id, status: outcome === 'Parked' ? 'Parked' : 'Forwarded' };
    }
    releaseSlot();
    const durationMs = performance.now() - started;
    this.onAttempt?.({ channel: op.channel, target: op.target, outcome: 'delivered', durationMs });
    await this.store.attemptSucceeded(op, { durationMs, httpStatus: result.httpStatus ?? null, partial: result.partial });
    this.stats.attempts.delivered++;
    return { trackedOperationId: op.id, status: 'Delivered', result };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.ready.rewind();
    this.queueSweep();
  }

  /** Wakes the dispatcher soon and makes it look at the whole due index (after an operator Retry, for example). */
  wake(): void {
    this.ready.rewind();
    this.queueSweep();
  }

  private queueSweep(): void {
    if (!this.running || this.sweepQueued) return;
    this.sweepQueued = true;
    setImmediate(() => {
      this.sweepQueued = false;
      this.sweep();
    });
  }

  /**
   * Claims due rows through the due index (going on from where the last sweep
   * stopped) and starts as many as the slots allow. Sweeps run after every
   * attempt that ends, so a busy dispatcher never waits for the timer.
   */
  private sweep(): void {
    if (!this.running) return;
    const now = this.clock.now();
    if (now - this.lastRewindAtMs >= this.pollIntervalMs) {
      // Safety net for rows that fell behind the cursor (ReadyQueues).
      this.lastRewindAtMs = now;
      this.ready.rewind();
    }
    let more = false;
    try {
      more = this.ready.fill(now) === 'more';
    } catch (err) {
      this.logger.error({ err }, 'dispatcher sweep failed');
    }
    this.ready.drain(
      (key) => this.inFlight.size < this.maxInFlight && this.slots.tryAcquire(key),
      (op, key) => this.dispatch(op, key),
    );
    if (more) this.queueSweep();
    else this.scheduleNext(now);
  }

  /** Arms the timer for the next row that falls due, or the poll interval, whichever is sooner. */
  private scheduleNext(now: number): void {
    if (!this.running) return;
    let at = now + this.pollIntervalMs;
    try {
      const next = this.store.buffer.nextDueAfter(now);
      if (next !== undefined) at = Math.min(at, next);
    } catch (err) {
      this.logger.error({ err }, 'dispatcher could not read the next due time');
    }
    // A timer that fires sooner than needed only costs an early sweep.
    if (this.timer && this.timerAtMs <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAtMs = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAtMs = Number.POSITIVE_INFINITY;
      this.sweep();
    }, Math.max(1, at - now));
    this.timer.unref();
  }

  /** Runs the attempt of a row the ready queues claimed; its slot is already held. */
  private dispatch(op: BufferedOperation, key: string): void {
    const handler = this.handlers[op.channel];
    const slot = this.slotHolder(key);
    const run = (async () => {
      let recorded = false;
      try {
        if (!handler) {
          slot();
          const err = new DeliveryError('CHANNEL_UNAVAILABLE', `no delivery handler for channel ${op.channel}`, 'transient');
          await this.store.attemptFailed(op, err, false, { durationMs: 0 });
        } else {
          await this.attempt(op, handler, false, slot);
        }
        recorded = true;
      } catch (err) {
        if (!(err instanceof ScadaLinkError && err.code === 'SITE_STOPPING')) {
          this.logger.error({ err, trackedOperationId: op.id }, 'recording an attempt failed; the operation stays due');
        }
      } finally {
        slot();
        this.claims.delete(op.id);
        // The row is still due at its old time, behind the cursor: look from the head again.
        if (!recorded) this.ready.rewind();
      }
    })();
    this.inFlight.add(run);
    // `run` records its own failures; this only untracks it, whichever way it settles.
    const untrack = (): void => {
      this.inFlight.delete(run);
      this.queueSweep();
    };
    run.then(untrack, untrack);
  }

  /**
   * Stops claiming, lets in-flight attempts finish within the deadline, then
   * abandons the rest (they stay due and resume on restart) and flushes.
   */
  async stop(deadlineMs = 10_000): Promise<void> {
    this.accepting = false;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.ready.clear();
    const all = Promise.allSettled([...this.inFlight, this.immediatesDone()]);
    let timeout: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timeout = setTimeout(() => resolve('expired'), deadlineMs);
    });
    const outcome = await Promise.race([all.then(() => 'done' as const), expired]);
    clearTimeout(timeout);
    if (outcome === 'expired') {
      this.abort.abort();
      await all;
    }
    this.store.committer.flush();
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  retryParked(id: string, operator: string): Promise<OperationSnapshot> {
    return this.store.retryParked(id, operator).finally(() => this.wake());
  }

  discardParked(id: string, operator: string): Promise<OperationSnapshot> {
    return this.store.discardParked(id, operator);
  }

  status(id: string): OperationSnapshot | undefined {
    return this.store.status(id);
  }
}
