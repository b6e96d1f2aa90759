// The site's telemetry forwarder (central issue, point 3): drains the audit
// outbox to central in bounded batches, at least once. An event leaves the
// outbox only when central has acknowledged it (accepted) or refused it for
// good (rejected: moved to audit_rejected with the reason, never resent).
// While central is unreachable it backs off, capped, with jitter; the outbox
// keeps everything on disk meanwhile.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { type AuditEvent, describeError } from '../../commons/index.js';
import type { SiteStore } from '../store/site-store.js';

/** Central's answer to one batch. */
export interface TelemetryAck {
  readonly accepted: readonly string[];
  readonly rejected: readonly { readonly eventId: string; readonly reason: string }[];
}

/**
 * Where telemetry goes: the gRPC client in production, the central repository
 * directly in `scadalink dev`. Cached-operation events (with their snapshot)
 * and synchronous `ApiCall` events travel as separate batches (DESIGN §6:
 * IngestCachedTelemetry and IngestAuditEvents).
 */
export interface TelemetrySink {
  ingestCachedTelemetry(events: readonly AuditEvent[]): Promise<TelemetryAck>;
  ingestAuditEvents(events: readonly AuditEvent[]): Promise<TelemetryAck>;
}

export interface ForwarderOptions {
  readonly store: SiteStore;
  readonly sink: TelemetrySink;
  readonly logger: Logger;
  /** Events per batch (default 500). */
  readonly batchSize?: number;
  /** How often an idle forwarder looks at the outbox even without a commit (default 1 s). */
  readonly pollMs?: number;
  /** First backoff after a failure (default 250 ms), doubled per failure up to maxBackoffMs (default 30 s). */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

export interface ForwarderStats {
  sent: number;
  rejected: number;
  failures: number;
  lastError: string | null;
}

export class TelemetryForwarder {
  readonly stats: ForwarderStats = { sent: 0, rejected: 0, failures: 0, lastError: null };
  /** `settled` (count) after each acknowledged batch; `failure` (error) after each batch that could not be sent. */
  readonly events = new EventEmitter();
  readonly #o: Required<Omit<ForwarderOptions, 'logger' | 'store' | 'sink'>> & ForwarderOptions;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #backoffMs = 0;
  readonly #onCommit = (): void => this.#wake?.();

  constructor(options: ForwarderOptions) {
    this.#o = { batchSize: 500, pollMs: 1_000, minBackoffMs: 250, maxBackoffMs: 30_000, ...options };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#o.store.changes.on('committed', this.#onCommit);
    this.#loop = this.#run();
  }

  /** Stops after the batch in flight (its acknowledgement is still applied). */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#o.store.changes.off('committed', this.#onCommit);
    this.#wake?.();
    await this.#loop;
  }

  /** Sends what is queued now, until the outbox is empty or a batch fails; resolves with the number of events settled. */
  async drainOnce(): Promise<number> {
    let settled = 0;
    for (;;) {
      const n = await this.#sendBatch();
      settled += n;
      if (n < this.#o.batchSize) return settled;
    }
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let full = false;
      try {
        full = (await this.#sendBatch()) >= this.#o.batchSize;
        this.#backoffMs = 0;
      } catch (err) {
        this.stats.failures++;
        this.stats.lastError = describeError(err);
        this.events.emit('failure', err);
        this.#backoffMs = Math.min(this.#o.maxBackoffMs, Math.max(this.#o.minBackoffMs, this.#backoffMs * 2));
        if (this.stats.failures === 1 || this.#backoffMs === this.#o.maxBackoffMs) {
          this.#o.logger.warn({ err: this.stats.lastError, retryInMs: this.#backoffMs }, 'telemetry not sent; will retry');
        }
        // Full jitter over the upper half, so sites that lost central together do not return together.
        await this.#sleep(this.#backoffMs / 2 + Math.random() * (this.#backoffMs / 2), false);
        continue;
      }
      if (!full) await this.#sleep(this.#o.pollMs, true);
    }
  }

  /** Sends one page of the outbox; resolves with how many events it settled. */
  async #sendBatch(): Promise<number> {
    // Only durable events leave the site: none of a batch whose sync has not returned.
    const page = this.#o.store.outbox.page(0, this.#o.batchSize, this.#o.store.durableAuditSeq());
    if (page.length === 0) return 0;
    const cached: AuditEvent[] = [];
    const plain: AuditEvent[] = [];
    for (const { event } of page) (event.operation === null ? plain : cached).push(event);
    const acks = await Promise.all([
      cached.length > 0 ? this.#o.sink.ingestCachedTelemetry(cached) : undefined,
      plain.length > 0 ? this.#o.sink.ingestAuditEvents(plain) : undefined,
    ]);
    const accepted: string[] = [];
    const rejected: { eventId: string; reason: string }[] = [];
    for (const ack of acks) {
      if (ack === undefined) continue;
      accepted.push(...ack.accepted);
      rejected.push(...ack.rejected);
    }
    this.#o.store.outbox.settle(accepted, rejected);
    this.stats.sent += accepted.length;
    this.stats.rejected += rejected.length;
    for (const r of rejected) {
      this.#o.logger.warn({ eventId: r.eventId, reason: r.reason }, 'central rejected an audit event; moved to audit_rejected');
    }
    // Anything central neither accepted nor rejected stays queued and goes again next time.
    this.events.emit('settled', accepted.length + rejected.length);
    return accepted.length + rejected.length;
  }

  /** Waits `ms`, or less when a commit queues new events (if `wakeOnCommit`) or stop() is called. */
  #sleep(ms: number, wakeOnCommit: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.#wake = wakeOnCommit || !this.#running ? done : () => (this.#running ? undefined : done());
    });
  }
}
