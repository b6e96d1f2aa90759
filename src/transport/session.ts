// One site's live Connect stream on central (DESIGN §6). Central sends
// commands on it and awaits the correlated replies; the registry in
// SiteLinkServer decides which session is the site's (one per site).
import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { ScadaLinkError } from '../commons/index.js';
import type { CentralMessage } from './generated/scadalink/v1/CentralMessage.js';
import type { Command } from './generated/scadalink/v1/Command.js';
import type { CommandReply__Output } from './generated/scadalink/v1/CommandReply.js';
import type { SiteMessage__Output } from './generated/scadalink/v1/SiteMessage.js';

/** Command bodies central can send (one field of the proto's `Command.body`). */
export type CommandBody = Omit<Command, 'correlationId'>;

export interface SessionInfo {
  readonly site: string;
  readonly node: string;
  readonly version: string;
  readonly configRevision: string;
  /** Digest of the running revision's files ("" when none). */
  readonly configSha256: string;
  /** The stored hash the stream's secret was verified against: a rotation changes it and ends the session. */
  readonly secretHash: string;
}

export class SiteSession {
  readonly #pending = new Map<string, { resolve: (r: CommandReply__Output) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #closed = false;
  readonly site: string;
  readonly node: string;
  readonly version: string;
  readonly configRevision: string;
  readonly configSha256: string;
  readonly secretHash: string;

  constructor(
    info: SessionInfo,
    private readonly stream: grpc.ServerDuplexStream<SiteMessage__Output, CentralMessage>,
    private readonly timeoutMs: number,
  ) {
    ({ site: this.site, node: this.node, version: this.version, configRevision: this.configRevision, configSha256: this.configSha256, secretHash: this.secretHash } = info);
  }

  get open(): boolean {
    return !this.#closed;
  }

  /**
   * Sends a command and resolves with the site's reply. Rejects with
   * SITE_UNREACHABLE when the stream is closed or closes before the reply,
   * SITE_TIMEOUT when the site does not answer within `timeoutMs`.
   */
  command(body: CommandBody, timeoutMs = this.timeoutMs): Promise<CommandReply__Output> {
    if (this.#closed) return Promise.reject(unreachable(this.site, 'its link is closed'));
    const correlationId = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(correlationId);
        reject(siteTimeout(this.site, timeoutMs));
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

  /** @internal Marks the session closed and fails the commands still waiting for a reply. */
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

/** The site is connected but did not answer in time: the caller cannot tell whether the command ran. */
export function siteTimeout(site: string, timeoutMs: number): ScadaLinkError {
  return new ScadaLinkError('SITE_TIMEOUT', `site ${site} did not answer within ${timeoutMs} ms`, { details: { site, timeoutMs } });
}

export function unreachable(site: string, why: string): ScadaLinkError {
  return new ScadaLinkError('SITE_UNREACHABLE', `site ${site} is unreachable: ${why}`, { details: { site } });
}
