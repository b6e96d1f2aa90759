// Central's end of the site link (DESIGN §6): a gRPC server that sites dial.
// Every call is authenticated by the site's name and secret (metadata); the
// site a batch is stamped with comes from those credentials, never from the
// payload. Each site keeps one Connect stream; central sends commands on it
// and awaits the correlated replies.
import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { type AuditEvent, ScadaLinkError, describeError } from '../commons/index.js';
import { ingestEventsOf } from './schema.js';
import { SITE_HEADER, SECRET_HEADER, siteLinkService } from './proto.js';
import type { CentralMessage } from './generated/scadalink/v1/CentralMessage.js';
import type { Command } from './generated/scadalink/v1/Command.js';
import type { CommandReply__Output } from './generated/scadalink/v1/CommandReply.js';
import type { IngestReply } from './generated/scadalink/v1/IngestReply.js';
import type { IngestRequest__Output } from './generated/scadalink/v1/IngestRequest.js';
import type { SiteMessage__Output } from './generated/scadalink/v1/SiteMessage.js';

export interface IngestAnswer {
  readonly accepted: readonly string[];
  readonly rejected: readonly { readonly eventId: string; readonly reason: string }[];
}

export interface SiteLinkServerOptions {
  /** True when `secret` is the site's (central compares it with the stored hash). */
  readonly authenticate: (site: string, secret: string) => Promise<boolean>;
  readonly ingest: (site: string, events: AuditEvent[]) => Promise<IngestAnswer>;
  /** A site said Hello on a new stream (after a reconnect too). */
  readonly onSession?: (session: SiteSession) => void;
  readonly logger: Logger;
  /** Server certificate and key (PEM); without them the link is plaintext (dev and tests only). */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** How long a command waits for its reply (default 10 s). */
  readonly commandTimeoutMs?: number;
}

/** Command bodies central can send (one field of the proto's `Command.body`). */
export type CommandBody = Omit<Command, 'correlationId'>;

/** One site's live Connect stream. */
export class SiteSession {
  readonly #pending = new Map<string, { resolve: (r: CommandReply__Output) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #closed = false;

  constructor(
    readonly site: string,
    readonly node: string,
    readonly version: string,
    readonly configRevision: string,
    /** Digest of the running revision's files ("" when none). */
    readonly configSha256: string,
    private readonly stream: grpc.ServerDuplexStream<SiteMessage__Output, CentralMessage>,
    private readonly timeoutMs: number,
  ) {}

  get open(): boolean {
    return !this.#closed;
  }

  /** Sends a command and resolves with the site's reply; SITE_UNREACHABLE when the stream is gone or the site does not answer in time. */
  command(body: CommandBody, timeoutMs = this.timeoutMs): Promise<CommandReply__Output> {
    if (this.#closed) return Promise.reject(unreachable(this.site, 'its link is closed'));
    const correlationId = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(correlationId);
        reject(unreachable(this.site, `no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(correlationId, { resolve, reject, timer });
      this.stream.write({ command: { ...body, correlationId } });
    });
  }

  /** @internal */
  replied(reply: CommandReply__Output): void {
    const p = this.#pending.get(reply.correlationId);
    if (p === undefined) return;
    this.#pending.delete(reply.correlationId);
    clearTimeout(p.timer);
    p.resolve(reply);
  }

  /** @internal */
  close(why: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(unreachable(this.site, why));
      this.#pending.delete(id);
    }
  }
}

function unreachable(site: string, why: string): ScadaLinkError {
  return new ScadaLinkError('SITE_UNREACHABLE', `site ${site} is unreachable: ${why}`, { details: { site } });
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
/** A verified secret is remembered (as a digest) this long, so scrypt does not run per batch. */
const VERIFIED_TTL_MS = 60_000;

export class SiteLinkServer {
  /** `session` (a SiteSession) whenever a site says Hello on a new stream. */
  readonly events = new EventEmitter();
  readonly #o: SiteLinkServerOptions;
  readonly #server = new grpc.Server();
  readonly #sessions = new Map<string, SiteSession>();
  readonly #verified = new Map<string, { digest: string; until: number }>();

  constructor(options: SiteLinkServerOptions) {
    this.#o = options;
    this.#server.addService(siteLinkService(), {
      Connect: (call: grpc.ServerDuplexStream<SiteMessage__Output, CentralMessage>) => void this.#connect(call),
      IngestAuditEvents: (call: grpc.ServerUnaryCall<IngestRequest__Output, IngestReply>, cb: grpc.sendUnaryData<IngestReply>) =>
        void this.#ingest(call, cb),
      IngestCachedTelemetry: (call: grpc.ServerUnaryCall<IngestRequest__Output, IngestReply>, cb: grpc.sendUnaryData<IngestReply>) =>
        void this.#ingest(call, cb),
    });
  }

  /** Listens on host:port (0 picks a free port) and resolves with the port. */
  listen(host: string, port: number): Promise<number> {
    const creds = this.#o.tls
      ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: this.#o.tls.cert, private_key: this.#o.tls.key }], false)
      : grpc.ServerCredentials.createInsecure();
    return new Promise((resolve, reject) =>
      this.#server.bindAsync(`${host}:${port}`, creds, (err, bound) => (err ? reject(err) : resolve(bound))),
    );
  }

  /** The live session of a site, if it is connected. */
  session(site: string): SiteSession | undefined {
    const s = this.#sessions.get(site);
    return s?.open === true ? s : undefined;
  }

  /** Sites with a live stream. */
  sites(): string[] {
    return [...this.#sessions.keys()].filter((site) => this.session(site) !== undefined);
  }

  /** Sends a command to a site: SITE_UNREACHABLE at once when it is not connected. */
  command(site: string, body: CommandBody): Promise<CommandReply__Output> {
    const s = this.session(site);
    if (s === undefined) return Promise.reject(unreachable(site, 'it is not connected'));
    return s.command(body);
  }

  async close(): Promise<void> {
    for (const s of this.#sessions.values()) s.close('central is stopping');
    this.#sessions.clear();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => this.#server.forceShutdown(), 2_000);
      this.#server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  async #authenticate(md: grpc.Metadata): Promise<string | undefined> {
    const site = md.get(SITE_HEADER)[0];
    const secret = md.get(SECRET_HEADER)[0];
    if (typeof site !== 'string' || typeof secret !== 'string' || site === '' || secret === '') return undefined;
    const digest = sha256(`${site}\u0000${secret}`);
    const known = this.#verified.get(site);
    if (known !== undefined && known.digest === digest && known.until > Date.now()) return site;
    let ok = false;
    try {
      ok = await this.#o.authenticate(site, secret);
    } catch (err) {
      this.#o.logger.error({ site, err: describeError(err) }, 'site authentication failed');
    }
    if (!ok) return undefined;
    this.#verified.set(site, { digest, until: Date.now() + VERIFIED_TTL_MS });
    return site;
  }

  async #ingest(
    call: grpc.ServerUnaryCall<IngestRequest__Output, IngestReply>,
    cb: grpc.sendUnaryData<IngestReply>,
  ): Promise<void> {
    const site = await this.#authenticate(call.metadata);
    if (site === undefined) {
      cb({ code: grpc.status.UNAUTHENTICATED, details: 'unknown site or wrong secret' });
      return;
    }
    if (call.request.site !== site) {
      cb({
        code: grpc.status.PERMISSION_DENIED,
        details: `the batch claims site "${call.request.site}" but the credentials are those of "${site}"`,
      });
      return;
    }
    try {
      // Invalid events never reach the repository; they are answered here (issue 8, point 2).
      const batch = ingestEventsOf(call.request.events);
      const result = await this.#o.ingest(site, batch.valid);
      const invalid = batch.rejected.map((r) => ({ eventId: r.id, reason: r.reason }));
      cb(null, { accepted: [...result.accepted], rejected: [...invalid, ...result.rejected.map((r) => ({ ...r }))] });
    } catch (err) {
      this.#o.logger.error({ site, err: describeError(err) }, 'telemetry batch not stored');
      cb({ code: grpc.status.UNAVAILABLE, details: `telemetry not stored: ${describeError(err)}` });
    }
  }

  async #connect(call: grpc.ServerDuplexStream<SiteMessage__Output, CentralMessage>): Promise<void> {
    const site = await this.#authenticate(call.metadata);
    if (site === undefined) {
      call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: 'unknown site or wrong secret' });
      return;
    }
    let session: SiteSession | undefined;
    call.on('data', (msg: SiteMessage__Output) => {
      if (msg.hello) {
        if (msg.hello.site !== site) {
          call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: `hello names site "${msg.hello.site}" but the credentials are those of "${site}"` });
          return;
        }
        session?.close('replaced by a new hello');
        session = new SiteSession(site, msg.hello.node, msg.hello.version, msg.hello.configRevision, msg.hello.configSha256, call, this.#o.commandTimeoutMs ?? 10_000);
        // A reconnect replaces the old stream of the site.
        this.#sessions.get(site)?.close('the site connected again');
        this.#sessions.set(site, session);
        this.#o.logger.info({ site, node: session.node }, 'site connected');
        this.#o.onSession?.(session);
        this.events.emit('session', session);
      } else if (msg.reply && session) {
        session.replied(msg.reply);
      }
    });
    const gone = (why: string): void => {
      if (session === undefined) return;
      session.close(why);
      if (this.#sessions.get(site) === session) {
        this.#sessions.delete(site);
        this.#o.logger.info({ site }, 'site disconnected');
      }
    };
    call.on('end', () => {
      gone('the site closed its link');
      call.end();
    });
    call.on('error', () => gone('its link failed'));
    call.on('cancelled', () => gone('its link was cancelled'));
  }
}
