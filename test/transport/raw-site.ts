// A site link client built straight from proto/, with no reconnect and no
// manners: the impostor, the flooder and the stale-secret caller of issue 8's
// tests. It speaks to a real central (in-process or a process) on loopback.
import * as grpc from '@grpc/grpc-js';
import { SECRET_HEADER, SITE_HEADER, siteLinkPackage } from '../../src/transport/proto.js';
import type { CentralMessage__Output } from '../../src/transport/generated/scadalink/v1/CentralMessage.js';
import type { Command__Output } from '../../src/transport/generated/scadalink/v1/Command.js';
import type { IngestRequest } from '../../src/transport/generated/scadalink/v1/IngestRequest.js';
import type { SiteLinkClient } from '../../src/transport/generated/scadalink/v1/SiteLink.js';
import type { SiteMessage } from '../../src/transport/generated/scadalink/v1/SiteMessage.js';

export function rawClient(address: string): SiteLinkClient {
  const Ctor = siteLinkPackage().scadalink.v1.SiteLink;
  return new Ctor(address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1 }) as unknown as SiteLinkClient;
}

export function credentials(site: string, secret: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set(SITE_HEADER, site);
  md.set(SECRET_HEADER, secret);
  return md;
}

/** One ingest call (IngestAuditEvents unless told): null when central took it, else its error. */
export function ingest(
  address: string,
  site: string,
  secret: string,
  request: IngestRequest = { site, events: [] },
  rpc: 'IngestAuditEvents' | 'IngestCachedTelemetry' = 'IngestAuditEvents',
): Promise<grpc.ServiceError | null> {
  const c = rawClient(address);
  return new Promise((resolve) => {
    c[rpc](request, credentials(site, secret), { deadline: Date.now() + 30_000 }, (err) => {
      c.close();
      resolve(err);
    });
  });
}

/** A Connect stream that says Hello as `node` and answers every command with `answer` (recording it). */
export class RawSite {
  readonly commands: Command__Output[] = [];
  /** Resolves with the status the stream ended with. */
  readonly ended: Promise<{ code: grpc.status; details: string }>;
  readonly #client: SiteLinkClient;
  readonly #stream: grpc.ClientDuplexStream<SiteMessage, CentralMessage__Output>;

  constructor(address: string, site: string, secret: string, readonly node: string, answer = { ok: false, errorCode: 'IMPOSTOR', errorMessage: `answered by ${node}` }) {
    this.#client = rawClient(address);
    this.#stream = this.#client.Connect(credentials(site, secret));
    this.ended = new Promise((resolve) => {
      this.#stream.on('error', (err: grpc.ServiceError) => resolve({ code: err.code, details: err.details }));
      this.#stream.on('end', () => resolve({ code: grpc.status.OK, details: 'end' }));
    });
    this.#stream.on('data', (msg: CentralMessage__Output) => {
      if (!msg.command) return;
      this.commands.push(msg.command);
      this.#stream.write({ reply: { ...answer, correlationId: msg.command.correlationId } });
    });
    this.hello(site);
  }

  hello(site: string): void {
    this.#stream.write({ hello: { site, node: this.node, version: 'raw', configRevision: '', configSha256: '' } });
  }

  close(): void {
    this.#stream.cancel();
    this.#client.close();
  }
}
