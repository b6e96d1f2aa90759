// The site's end of the site link (DESIGN §6): it dials central, keeps one
// Connect stream open (reconnecting with capped exponential backoff and
// jitter), answers central's commands on it, and sends telemetry batches by
// the unary ingest RPCs. Given several central addresses (central nodes on one
// database, issue 11 point 6) it dials the first, and after a broken stream
// the next, round the list.
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { type AuditEvent, ScadaLinkError, describeError } from '../commons/index.js';
import { MAX_BUNDLE_BYTES } from '../config/index.js';
import { auditEventMsg } from './convert.js';
import { ACCEPTED_HEADER, ACCEPTED_VALUE, LinkTracker, type LinkStatus } from './link-status.js';
import { SECRET_HEADER, SITE_HEADER, siteLinkPackage } from './proto.js';
import type { CentralMessage__Output } from './generated/scadalink/v1/CentralMessage.js';
import type { Command__Output } from './generated/scadalink/v1/Command.js';
import type { CommandReply } from './generated/scadalink/v1/CommandReply.js';
import type { IngestReply__Output } from './generated/scadalink/v1/IngestReply.js';
import type { IngestRequest } from './generated/scadalink/v1/IngestRequest.js';
import type { SiteLinkClient as GeneratedClient } from './generated/scadalink/v1/SiteLink.js';
import type { SiteMessage } from './generated/scadalink/v1/SiteMessage.js';
import type { SiteLinkClientOptions, TelemetryAnswer } from './client-options.js';

/** A stream that stayed up this long was a real connection: the backoff starts again from the minimum. */
const STABLE_MS = 5_000;
/**
 * Two live connections of one site replace each other on central (docs/deployment.md,
 * "One session per site"); their streams stay up between replacements, so the
 * replacement backoff outlives STABLE_MS and resets only after this long.
 */
const REPLACED_STABLE_MS = 5 * 60_000;

export class SiteLinkClient {
  /**
   * `connected` when central accepted a stream (its credentials and Hello),
   * `disconnected` (reason) when a stream ends or is refused, `replaced`
   * (reason) when a newer connection of this site took its place.
   */
  readonly events = new EventEmitter();
  readonly #o: SiteLinkClientOptions;
  readonly #tracker: LinkTracker;
  readonly #addresses: readonly string[];
  /** One gRPC client per address, made when first dialled. */
  readonly #clients = new Map<string, GeneratedClient>();
  /** The address dialled now (an index into #addresses). */
  #at = 0;
  #stopped = false;
  #stream: grpc.ClientDuplexStream<SiteMessage, CentralMessage__Output> | undefined;
  #running = false;
  #backoffMs = 0;
  #retry: NodeJS.Timeout | undefined;
  #stable: NodeJS.Timeout | undefined;
  #replacedStable: NodeJS.Timeout | undefined;
  #replacedBackoffMs = 0;
  #attempts = 0;

  constructor(options: SiteLinkClientOptions) {
    this.#o = options;
    this.#addresses = typeof options.address === 'string' ? [options.address] : [...options.address];
    if (this.#addresses.length === 0) throw new ScadaLinkError('INVALID_ARGUMENT', 'the site link needs at least one central address');
    this.#tracker = new LinkTracker({ central: this.#addresses[0]!, logger: options.logger, logEveryMs: options.logEveryMs });
  }

  /** The gRPC client of the address dialled now. */
  get #client(): GeneratedClient {
    // As a closed gRPC client would: nothing is dialled again once stopped.
    if (this.#stopped) throw new ScadaLinkError('CENTRAL_UNAVAILABLE', 'the link to central is stopped');
    const address = this.#addresses[this.#at]!;
    let client = this.#clients.get(address);
    if (client === undefined) {
      const o = this.#o;
      const creds = o.tls ? grpc.credentials.createSsl(o.tls.ca ?? null) : grpc.credentials.createInsecure();
      const Ctor = siteLinkPackage().scadalink.v1.SiteLink;
      client = new Ctor(address, creds, {
        // Dead links are noticed without waiting for TCP.
        'grpc.keepalive_time_ms': 20_000,
        'grpc.keepalive_timeout_ms': 10_000,
        'grpc.keepalive_permit_without_calls': 1,
        'grpc.initial_reconnect_backoff_ms': o.minBackoffMs ?? 200,
        'grpc.max_reconnect_backoff_ms': o.maxBackoffMs ?? 30_000,
        // A configuration deployment carries the whole project (at most MAX_BUNDLE_BYTES).
        'grpc.max_receive_message_length': 2 * MAX_BUNDLE_BYTES,
      }) as unknown as GeneratedClient;
      this.#clients.set(address, client);
    }
    return client;
  }

  /** After a broken stream, the next address is dialled (round the list). */
  #next(): void {
    if (this.#addresses.length < 2) return;
    this.#at = (this.#at + 1) % this.#addresses.length;
    this.#tracker.dialing(this.#addresses[this.#at]!);
  }

  /** Whether central accepted the stream open now. */
  get connected(): boolean {
    return this.#stream !== undefined && this.#tracker.state === 'connected';
  }

  /** State, last failure and last contact (for the site's /info and /metrics). */
  status(): LinkStatus {
    return this.#tracker.status();
  }

  /** Reconnect attempts since the last stable connection. */
  get attempts(): number {
    return this.#attempts;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#connect();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#tracker.stopped();
    clearTimeout(this.#retry);
    clearTimeout(this.#stable);
    clearTimeout(this.#replacedStable);
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream !== undefined) {
      stream.end();
      stream.cancel();
    }
    this.#stopped = true;
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
    await Promise.resolve();
  }

  ingestCachedTelemetry(events: readonly AuditEvent[]): Promise<TelemetryAnswer> {
    return this.#ingest('IngestCachedTelemetry', events);
  }

  ingestAuditEvents(events: readonly AuditEvent[]): Promise<TelemetryAnswer> {
    return this.#ingest('IngestAuditEvents', events);
  }

  #metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set(SITE_HEADER, this.#o.site);
    md.set(SECRET_HEADER, this.#o.secret);
    return md;
  }

  #ingest(rpc: 'IngestCachedTelemetry' | 'IngestAuditEvents', events: readonly AuditEvent[]): Promise<TelemetryAnswer> {
    const request: IngestRequest = { site: this.#o.site, events: events.map(auditEventMsg) };
    const deadline = new Date(Date.now() + (this.#o.callTimeoutMs ?? 15_000));
    return new Promise((resolve, reject) => {
      this.#client[rpc](request, this.#metadata(), { deadline }, (err: grpc.ServiceError | null, reply?: IngestReply__Output) => {
        if (err || reply === undefined) {
          reject(
            new ScadaLinkError('CENTRAL_UNAVAILABLE', `central did not take the batch: ${err?.details ?? 'no reply'}`, {
              details: { grpcCode: err?.code ?? null },
            }),
          );
          return;
        }
        this.#tracker.contact();
        resolve({ accepted: reply.accepted, rejected: reply.rejected.map((r) => ({ eventId: r.eventId, reason: r.reason })) });
      });
    });
  }

  #connect(): void {
    if (!this.#running) return;
    this.#attempts++;
    const stream = this.#client.Connect(this.#metadata());
    this.#stream = stream;
    let ended = false;
    const end = (why: string, code?: grpc.status): void => {
      if (ended) return;
      ended = true;
      clearTimeout(this.#stable);
      clearTimeout(this.#replacedStable);
      if (this.#stream === stream) this.#stream = undefined;
      if (!this.#running) return;
      this.events.emit('disconnected', why);
      // Central ends a stream with ABORTED only when a newer connection of this site took its place.
      if (code === grpc.status.ABORTED) this.#scheduleAfterReplaced(why);
      else {
        this.#scheduleReconnect(why, code);
        // Told with the failure's address above; the retry dials the next one.
        this.#next();
      }
    };
    // Central sends its response headers, marked, only once it accepted the credentials and the Hello.
    stream.on('metadata', (md: grpc.Metadata) => {
      if (ended || md.get(ACCEPTED_HEADER)[0] !== ACCEPTED_VALUE) return;
      this.#tracker.accepted();
      this.#armStable();
      this.events.emit('connected');
    });
    stream.on('data', (msg: CentralMessage__Output) => {
      this.#tracker.contact();
      if (msg.command) {
        this.#run(stream, msg.command).catch((err: unknown) =>
          this.#o.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'central command not answered'),
        );
      }
    });
    stream.on('error', (err: grpc.ServiceError) => end(err.details || err.message, err.code));
    stream.on('end', () => end('central closed the link'));
    stream.write({
      hello: {
        site: this.#o.site,
        node: this.#o.node,
        version: this.#o.version,
        configRevision: this.#o.configRevision?.() ?? '',
        configSha256: this.#o.configSha256?.() ?? '',
      },
    });
  }

  /** Backoffs start again from their minimum once an accepted stream has stayed up long enough. */
  #armStable(): void {
    this.#stable = setTimeout(() => {
      this.#backoffMs = 0;
      this.#attempts = 0;
    }, STABLE_MS);
    this.#stable.unref();
    this.#replacedStable = setTimeout(() => (this.#replacedBackoffMs = 0), REPLACED_STABLE_MS);
    this.#replacedStable.unref();
  }

  #scheduleReconnect(why: string, code: grpc.status | undefined): void {
    const min = this.#o.minBackoffMs ?? 200;
    const max = this.#o.maxBackoffMs ?? 30_000;
    this.#backoffMs = Math.min(max, Math.max(min, this.#backoffMs * 2));
    // Jitter over the upper half: sites cut off together do not all return at once.
    const wait = this.#backoffMs / 2 + Math.random() * (this.#backoffMs / 2);
    // Every failure reaches the tracker: it logs each code at most once per window, counting the rest.
    if (code === undefined) this.#tracker.record('LINK_CLOSED', why, { retryInMs: Math.round(wait) });
    else this.#tracker.failed(code, why, Math.round(wait));
    this.#retry = setTimeout(() => this.#connect(), wait);
  }

  #scheduleAfterReplaced(why: string): void {
    // Logged below on every replacement, as before.
    this.#tracker.record('REPLACED', why, { log: false });
    const max = this.#o.maxBackoffMs ?? 30_000;
    this.#replacedBackoffMs = Math.min(max, Math.max(this.#o.replacedBackoffMs ?? 1_000, this.#replacedBackoffMs * 2));
    const wait = this.#replacedBackoffMs / 2 + Math.random() * (this.#replacedBackoffMs / 2);
    this.#o.logger.warn(
      { reason: why, retryInMs: Math.round(wait) },
      'central closed this link: another connection of this site replaced it (two nodes running as one site, or its secret is known elsewhere)',
    );
    this.events.emit('replaced', why);
    this.#retry = setTimeout(() => this.#connect(), wait);
  }

  async #run(stream: grpc.ClientDuplexStream<SiteMessage, CentralMessage__Output>, command: Command__Output): Promise<void> {
    let reply: Omit<CommandReply, 'correlationId'>;
    try {
      reply = await this.#o.onCommand(command);
    } catch (err) {
      const code = err instanceof ScadaLinkError ? err.code : 'COMMAND_FAILED';
      reply = { ok: false, errorCode: code, errorMessage: describeError(err) };
    }
    if (this.#stream === stream) stream.write({ reply: { ...reply, correlationId: command.correlationId } });
  }
}
