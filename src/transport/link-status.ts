// What the site knows about its link to central (issue 9, point 3): the
// state, the last failure with a stable code, and the last time central
// answered. A refusal is told apart from an unreachable central, and every
// failure is logged at warn, at most once per window per code, with how many
// were left out since.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';

/** Response header central sends once it accepted the site's stream (credentials and Hello). */
export const ACCEPTED_HEADER = 'x-scadalink-link';
export const ACCEPTED_VALUE = 'accepted';

/**
 * `connecting`: no outcome yet since start; `connected`: central accepted the
 * stream; `refused`: central (or its certificate) refused the site;
 * `disconnected`: central could not be reached, or the stream ended.
 */
export type LinkState = 'connecting' | 'connected' | 'refused' | 'disconnected';

/** The codes that mean central (or its certificate) turned this site away, rather than that it could not be reached. */
const REFUSAL_CODES = [
  'CREDENTIALS_REFUSED',
  'SITE_DISABLED',
  'PERMISSION_DENIED',
  'AUTH_THROTTLED',
  'TLS_NAME_MISMATCH',
  'TLS_UNTRUSTED',
  'TLS_HANDSHAKE_FAILED',
] as const;

/** The codes a link failure is told with (a bounded set: they label a metric). */
export const LINK_ERROR_CODES = [...REFUSAL_CODES, 'CENTRAL_UNREACHABLE', 'REPLACED', 'LINK_CLOSED', 'LINK_FAILED'] as const;
export type LinkErrorCode = (typeof LINK_ERROR_CODES)[number];

export interface LinkError {
  readonly code: LinkErrorCode;
  /** central's or the TLS layer's words; never the secret. */
  readonly message: string;
  readonly atUtc: string;
}

export interface LinkStatus {
  /** The central address the link is on (connected), or dials next. */
  readonly central: string;
  readonly state: LinkState;
  readonly lastError: LinkError | null;
  /** When central last accepted the stream or answered a call. */
  readonly lastContactUtc: string | null;
  /** Failures since start, by code. */
  readonly failures: Readonly<Partial<Record<LinkErrorCode, number>>>;
}

const REFUSALS: ReadonlySet<LinkErrorCode> = new Set<LinkErrorCode>(REFUSAL_CODES);

/** The code of a failed stream or call, from its gRPC status and details. */
export function linkErrorCode(code: grpc.status | undefined, details: string): LinkErrorCode {
  if (/^SITE_DISABLED\b/.test(details)) return 'SITE_DISABLED';
  switch (code) {
    case grpc.status.UNAUTHENTICATED:
      return 'CREDENTIALS_REFUSED';
    case grpc.status.PERMISSION_DENIED:
      return 'PERMISSION_DENIED';
    case grpc.status.RESOURCE_EXHAUSTED:
      return 'AUTH_THROTTLED';
    case grpc.status.ABORTED:
      return 'REPLACED';
    case grpc.status.UNAVAILABLE:
      if (/altnames|does not match certificate|ERR_TLS_CERT_ALTNAME/i.test(details)) return 'TLS_NAME_MISMATCH';
      if (/self[- ]signed|unable to (get|verify)|certificate (has expired|is not yet valid)|CERT_/i.test(details)) return 'TLS_UNTRUSTED';
      if (/ssl|tls|handshake|wrong version number/i.test(details)) return 'TLS_HANDSHAKE_FAILED';
      return 'CENTRAL_UNREACHABLE';
    default:
      return 'LINK_FAILED';
  }
}

export interface LinkTrackerOptions {
  /** The central address dialled first. */
  readonly central: string;
  readonly logger: Logger;
  /** A code's failures are logged at most once per this many ms (default 60 s); the next line counts those left out. */
  readonly logEveryMs?: number;
}

/** Keeps the link's status and logs its failures, rate-limited per code. */
export class LinkTracker {
  readonly #o: LinkTrackerOptions;
  #central: string;
  #state: LinkState = 'connecting';
  #lastError: LinkError | null = null;
  #lastContact: number | null = null;
  readonly #failures: Partial<Record<LinkErrorCode, number>> = {};
  /** Per code: when it was last logged, and failures not logged since. */
  readonly #logged = new Map<LinkErrorCode, { at: number; suppressed: number }>();

  constructor(options: LinkTrackerOptions) {
    this.#o = options;
    this.#central = options.central;
  }

  /** The link dials another central address from now (several central nodes). */
  dialing(central: string): void {
    this.#central = central;
  }

  get state(): LinkState {
    return this.#state;
  }

  status(): LinkStatus {
    return {
      central: this.#central,
      state: this.#state,
      lastError: this.#lastError,
      lastContactUtc: this.#lastContact === null ? null : new Date(this.#lastContact).toISOString(),
      failures: { ...this.#failures },
    };
  }

  /** Central answered (accepted the stream, or a call). */
  contact(): void {
    this.#lastContact = Date.now();
  }

  accepted(): void {
    this.#state = 'connected';
    this.contact();
  }

  /** A stream or call failed; `retryInMs` is told in the log line when a reconnect follows. */
  failed(grpcCode: grpc.status | undefined, details: string, retryInMs?: number): LinkErrorCode {
    const code = linkErrorCode(grpcCode, details);
    this.record(code, details, { retryInMs });
    return code;
  }

  /** Records a failure of a known code (state, counts, and a rate-limited warn unless `log` is false: the caller logs it). */
  record(code: LinkErrorCode, message: string, how: { readonly retryInMs?: number; readonly log?: boolean } = {}): void {
    const { retryInMs } = how;
    const now = Date.now();
    this.#state = REFUSALS.has(code) ? 'refused' : 'disconnected';
    this.#lastError = { code, message, atUtc: new Date(now).toISOString() };
    this.#failures[code] = (this.#failures[code] ?? 0) + 1;
    if (how.log === false) return;
    const seen = this.#logged.get(code);
    if (seen !== undefined && now - seen.at < (this.#o.logEveryMs ?? 60_000)) {
      seen.suppressed++;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.#logged.set(code, { at: now, suppressed: 0 });
    this.#o.logger.warn(
      { central: this.#central, code, reason: message, retryInMs, ...(suppressed > 0 ? { suppressed } : {}) },
      REFUSALS.has(code) ? 'central refused the link' : 'central link down',
    );
  }

  stopped(): void {
    this.#state = 'disconnected';
  }
}
