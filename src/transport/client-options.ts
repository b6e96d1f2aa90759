// What a site gives its end of the site link (client.ts): where central is,
// the site's credentials, how it answers central's commands and how it backs
// off; and what a telemetry batch is answered.
import type { Logger } from 'pino';
import type { Command__Output } from './generated/scadalink/v1/Command.js';
import type { CommandReply } from './generated/scadalink/v1/CommandReply.js';

export interface TelemetryAnswer {
  readonly accepted: string[];
  readonly rejected: { eventId: string; reason: string }[];
}

export interface SiteLinkClientOptions {
  /** central's `host:port`, or several central nodes' in the order they are tried. */
  readonly address: string | readonly string[];
  readonly site: string;
  readonly secret: string;
  readonly node: string;
  readonly version: string;
  /** The configuration revision the site runs, told to central on every (re)connect. */
  readonly configRevision?: () => string;
  /** The digest of that revision's files, told with it. */
  readonly configSha256?: () => string;
  /** Use TLS; `ca` (PEM) trusts a private or self-signed central certificate. */
  readonly tls?: { readonly ca?: Buffer };
  /** Runs one of central's commands and returns the reply (without its correlation id). */
  readonly onCommand: (command: Command__Output) => Promise<Omit<CommandReply, 'correlationId'>>;
  readonly logger: Logger;
  /** Reconnect backoff: from minBackoffMs (default 200 ms) doubling to maxBackoffMs (default 30 s), with jitter. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /**
   * First wait after central closed this site's stream because another
   * connection of the same site replaced it (default 1 s); it doubles with
   * every replacement up to maxBackoffMs and only a long-lived stream resets it.
   */
  readonly replacedBackoffMs?: number;
  /** Deadline of a telemetry batch (default 15 s). */
  readonly callTimeoutMs?: number;
  /** Failures of one code are logged at most once per this many ms (default 60 s; the next line counts those left out). */
  readonly logEveryMs?: number;
}
