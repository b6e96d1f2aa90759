// Central's end of the site link (DESIGN §6): a gRPC server that sites dial.
// Every call is authenticated by the site's name and secret (metadata) in a
// server interceptor, before its first message is read, so a stranger's body
// is never buffered; the site a batch is stamped with comes from those
// credentials, never from the payload. Each site has one live Connect stream
// at a time (docs/deployment.md, "One session per site"): the newest Hello
// wins and the older stream is ended with ABORTED. Central sends commands on
// the registered stream only and awaits the correlated replies.
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { describeError } from '../commons/index.js';
import { type AuthVerdict, SiteAuthenticator, siteDisabled, sourceOf } from './auth.js';
import { ACCEPTED_HEADER, ACCEPTED_VALUE } from './link-status.js';
import { ingestEventsOf } from './schema.js';
import { SITE_HEADER, SECRET_HEADER, siteLinkService } from './proto.js';
import { type CommandBody, SiteSession, unreachable } from './session.js';
import type { CentralMessage } from './generated/scadalink/v1/CentralMessage.js';
import type { CommandReply__Output } from './generated/scadalink/v1/CommandReply.js';
import type { IngestReply } from './generated/scadalink/v1/IngestReply.js';
import type { IngestRequest__Output } from './generated/scadalink/v1/IngestRequest.js';
import type { SiteMessage__Output } from './generated/scadalink/v1/SiteMessage.js';
import { MAX_SITE_MESSAGE_BYTES, type SiteLinkServerOptions } from './server-options.js';

type Stream = grpc.ServerDuplexStream<SiteMessage__Output, CentralMessage>;

interface Entry {
  readonly session: SiteSession;
  /** Ends the stream with a status (once). */
  readonly end: (code: grpc.status, details: string) => void;
}

export class SiteLinkServer {
  /** `session` (a SiteSession) whenever a site says Hello on a new stream; `closed` (it) when the site's registered stream ends. */
  readonly events = new EventEmitter();
  readonly #o: SiteLinkServerOptions;
  readonly #auth: SiteAuthenticator;
  readonly #server: grpc.Server;
  /** The registry: the one session per site that commands go to. */
  readonly #sessions = new Map<string, Entry>();
  // Verdicts travel from the interceptor to the handler with the call's own Metadata object, which a client cannot forge.
  readonly #verdicts = new WeakMap<grpc.Metadata, Extract<AuthVerdict, { ok: true }>>();
  /** When each site was last heard from on this node (ms since epoch): a call, a Hello, a reply. */
  readonly #lastSeen = new Map<string, number>();
  #poll: NodeJS.Timeout | undefined;
  #polling = false;

  constructor(options: SiteLinkServerOptions) {
    this.#o = options;
    this.#auth = new SiteAuthenticator(options.secrets, options.logger, options.throttle);
    this.#server = new grpc.Server({
      interceptors: [(_method, call) => this.#intercept(call)],
      'grpc.max_receive_message_length': MAX_SITE_MESSAGE_BYTES,
    });
    this.#server.addService(siteLinkService(), {
      Connect: (call: Stream) => this.#connect(call),
      IngestAuditEvents: (call: grpc.ServerUnaryCall<IngestRequest__Output, IngestReply>, cb: grpc.sendUnaryData<IngestReply>) =>
        this.#answerIngest(call, cb),
      IngestCachedTelemetry: (call: grpc.ServerUnaryCall<IngestRequest__Output, IngestReply>, cb: grpc.sendUnaryData<IngestReply>) =>
        this.#answerIngest(call, cb),
    });
  }

  /** Listens on host:port (0 picks a free port) and resolves with the port. */
  async listen(host: string, port: number): Promise<number> {
    const creds = this.#o.tls
      ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: this.#o.tls.cert, private_key: this.#o.tls.key }], false)
      : grpc.ServerCredentials.createInsecure();
    const bound = await new Promise<number>((resolve, reject) =>
      this.#server.bindAsync(`${host}:${port}`, creds, (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.#poll ??= setInterval(() => void this.#checkSecrets(), this.#o.rotationPollMs ?? 500);
    this.#poll.unref();
    return bound;
  }

  /** The live session of a site, if it is connected to this node. */
  session(site: string): SiteSession | undefined {
    const s = this.#sessions.get(site)?.session;
    return s?.open === true ? s : undefined;
  }

  /** When each site was last heard from on this node (ms since epoch), since it started. */
  lastSeen(): ReadonlyMap<string, number> {
    return this.#lastSeen;
  }

  /** Sites with a live stream. */
  sites(): string[] {
    return [...this.#sessions.keys()].filter((site) => this.session(site) !== undefined);
  }

  /** Sends a command to a site: SITE_UNREACHABLE at once when it is not connected, SITE_TIMEOUT when it does not answer in time. */
  command(site: string, body: CommandBody, timeoutMs?: number): Promise<CommandReply__Output> {
    const s = this.session(site);
    if (s === undefined) return Promise.reject(unreachable(site, 'it is not connected'));
    return s.command(body, timeoutMs);
  }

  async close(): Promise<void> {
    clearInterval(this.#poll);
    for (const e of this.#sessions.values()) e.session.close('central is stopping');
    this.#sessions.clear();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => this.#server.forceShutdown(), 2_000);
      this.#server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  #intercept(call: grpc.ServerInterceptingCallInterface): grpc.ServerInterceptingCall {
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          // The call's messages stay unread (grpc-js reads only once the handler starts) until this passes the metadata on.
          onReceiveMetadata: (md, pass) => {
            this.#auth.check(md.get(SITE_HEADER)[0], md.get(SECRET_HEADER)[0], sourceOf(call.getPeer())).then(
              (v) => {
                if (!v.ok) return call.sendStatus({ code: v.code, details: v.details });
                this.#verdicts.set(md, v);
                pass(md);
              },
              (err: unknown) => call.sendStatus({ code: grpc.status.INTERNAL, details: describeError(err) }),
            );
          },
        }),
    });
  }

  /** #ingest answers every outcome itself; what escapes it is a bug, logged and answered INTERNAL rather than left unhandled. */
  #answerIngest(call: grpc.ServerUnaryCall<IngestRequest__Output, IngestReply>, cb: grpc.sendUnaryData<IngestReply>): void {
    this.#ingest(call, cb).catch((err: unknown) => {
      this.#o.logger.error({ err: describeError(err) }, 'telemetry batch failed unexpectedly');
      cb({ code: grpc.status.INTERNAL, details: 'telemetry not stored: internal error' });
    });
  }

  async #ingest(call: grpc.ServerUnaryCall<IngestRequest__Output, IngestReply>, cb: grpc.sendUnaryData<IngestReply>): Promise<void> {
    const site = this.#verdicts.get(call.metadata)?.site;
    if (site === undefined) {
      cb({ code: grpc.status.UNAUTHENTICATED, details: 'the call was not authenticated' });
      return;
    }
    this.#lastSeen.set(site, Date.now());
    const received = call.request.events.length;
    if (call.request.site !== site) {
      this.#o.onIngest?.({ site, outcome: 'refused', events: [], accepted: [], rejected: 0, received });
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
      this.#o.onIngest?.({ site, outcome: 'stored', events: batch.valid, accepted: result.accepted, rejected: invalid.length + result.rejected.length, received });
      cb(null, { accepted: [...result.accepted], rejected: [...invalid, ...result.rejected.map((r) => ({ ...r }))] });
    } catch (err) {
      this.#o.logger.error({ site, err: describeError(err) }, 'telemetry batch not stored');
      this.#o.onIngest?.({ site, outcome: 'failed', events: [], accepted: [], rejected: 0, received });
      cb({ code: grpc.status.UNAVAILABLE, details: `telemetry not stored: ${describeError(err)}` });
    }
  }

  #connect(call: Stream): void {
    const verdict = this.#verdicts.get(call.metadata);
    if (verdict === undefined) {
      call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: 'the call was not authenticated' });
      return;
    }
    const { site, secretHash } = verdict;
    let session: SiteSession | undefined;
    let ended = false;
    const gone = (why: string): void => {
      if (session === undefined) return;
      session.close(why);
      // Only this stream's own session leaves the registry: a replaced stream ending later must not unlist its successor.
      if (this.#sessions.get(site)?.session === session) {
        this.#sessions.delete(site);
        this.#o.logger.info({ site, node: session.node, reason: why }, 'site disconnected');
        this.events.emit('closed', session);
      }
    };
    const end = (code: grpc.status, details: string): void => {
      if (ended) return;
      ended = true;
      gone(details);
      call.emit('error', { code, details });
    };
    call.on('data', (msg: SiteMessage__Output) => {
      if (ended) return;
      this.#lastSeen.set(site, Date.now());
      if (msg.hello) {
        if (msg.hello.site !== site) {
          end(grpc.status.PERMISSION_DENIED, `hello names site "${msg.hello.site}" but the credentials are those of "${site}"`);
        } else if (session !== undefined) {
          // One stream is one session: a second Hello would leave two sessions behind one stream.
          end(grpc.status.INVALID_ARGUMENT, 'a stream says hello once');
        } else {
          session = new SiteSession({ ...msg.hello, site, secretHash }, call, this.#o.commandTimeoutMs ?? 10_000);
          // Tells the site it was accepted (before any command can be written): until these headers it does not call its link open.
          const accepted = new grpc.Metadata();
          accepted.set(ACCEPTED_HEADER, ACCEPTED_VALUE);
          call.sendMetadata(accepted);
          this.#register({ session, end });
        }
      } else if (msg.reply && session) {
        session.replied(msg.reply);
      }
    });
    call.on('end', () => {
      ended = true;
      gone('the site closed its link');
      call.end();
    });
    call.on('error', () => {
      ended = true;
      gone('its link failed');
    });
    call.on('cancelled', () => {
      ended = true;
      gone('its link was cancelled');
    });
  }

  #register(entry: Entry): void {
    const { session } = entry;
    const older = this.#sessions.get(session.site);
    // Registered before the older stream is ended, so that stream's own end finds its successor in place.
    this.#sessions.set(session.site, entry);
    if (older !== undefined) {
      const why = `replaced by a newer connection of site ${session.site} from node ${session.node}`;
      this.#o.logger.warn({ site: session.site, node: session.node, replacedNode: older.session.node }, 'site connected again; its older stream is closed');
      older.end(grpc.status.ABORTED, why);
    }
    this.#o.logger.info({ site: session.site, node: session.node }, 'site connected');
    this.#o.onSession?.(session);
    this.events.emit('session', session);
  }

  /**
   * Ends the streams whose site's stored hash is no longer the one they were
   * opened with (a rotation, here or on another node), or whose site was
   * disabled or removed since.
   */
  async #checkSecrets(): Promise<void> {
    if (this.#polling || this.#sessions.size === 0) return;
    this.#polling = true;
    try {
      const sites = await this.#o.secrets.sites();
      for (const [site, e] of [...this.#sessions]) {
        const access = sites.get(site);
        if (access === undefined) {
          this.#o.logger.warn({ site, node: e.session.node }, 'site removed; its stream is closed');
          e.end(grpc.status.UNAUTHENTICATED, `site ${site} was removed at central`);
        } else if (access.disabled) {
          this.#o.logger.warn({ site, node: e.session.node }, 'site disabled; its stream is closed');
          e.end(grpc.status.PERMISSION_DENIED, siteDisabled(site));
        } else if (access.secretHash !== e.session.secretHash) {
          this.#o.logger.warn({ site, node: e.session.node }, "site's secret changed; its stream is closed");
          e.end(grpc.status.UNAUTHENTICATED, "the site's secret was changed");
        }
      }
    } catch (err) {
      this.#o.logger.warn({ err: describeError(err) }, 'site secrets not checked');
    } finally {
      this.#polling = false;
    }
  }
}
