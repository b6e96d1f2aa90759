// What central gives its end of the site link (server.ts) and what it is told
// back: the options, a telemetry batch's answer and outcome, and the largest
// message a site may send.
import type { Logger } from 'pino';
import type { AuditEvent } from '../commons/index.js';
import type { SiteSecrets } from './auth.js';
import type { SiteSession } from './session.js';
import type { ThrottleOptions } from './throttle.js';

export interface IngestAnswer {
  readonly accepted: readonly string[];
  readonly rejected: readonly { readonly eventId: string; readonly reason: string }[];
}

/** One telemetry batch's fate, for central's metrics. */
export interface IngestOutcome {
  readonly site: string;
  /** `stored`: written (each event accepted or rejected); `failed`: the database did not take it; `refused`: it claimed another site. */
  readonly outcome: 'stored' | 'failed' | 'refused';
  /** The events that passed the boundary's checks (all of them are accepted or rejected by the repository when stored). */
  readonly events: readonly AuditEvent[];
  readonly accepted: readonly string[];
  /** Rejected at the boundary (invalid) and by the repository. */
  readonly rejected: number;
  /** Every event the batch carried. */
  readonly received: number;
}

export interface SiteLinkServerOptions {
  /** The sites' stored secret hashes (read on every call, and polled to end streams whose secret was rotated). */
  readonly secrets: SiteSecrets;
  readonly ingest: (site: string, events: AuditEvent[]) => Promise<IngestAnswer>;
  /** Told every authenticated telemetry batch's outcome (central's /metrics). */
  readonly onIngest?: (outcome: IngestOutcome) => void;
  /** A site said Hello on a new stream (after a reconnect too). */
  readonly onSession?: (session: SiteSession) => void;
  readonly logger: Logger;
  /** Server certificate and key (PEM); without them the link is plaintext (dev and tests only). */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** How long a command waits for its reply (default 10 s). */
  readonly commandTimeoutMs?: number;
  /** How often the stored hashes (and disabled flags) of connected sites are compared with their sessions' (default 500 ms). */
  readonly rotationPollMs?: number;
  /** How failed authentications are slowed (tests shorten it). */
  readonly throttle?: ThrottleOptions;
}

/**
 * Largest message central reads from a site (4 MiB, docs/deployment.md): a
 * telemetry batch or a reconciliation page. A longer one is refused with
 * RESOURCE_EXHAUSTED from its length prefix, before its body is buffered.
 */
export const MAX_SITE_MESSAGE_BYTES = 4 * 1024 * 1024;
