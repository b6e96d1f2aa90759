// DESIGN §3.2 (normative): HTTP transient = connection refused/reset, DNS
// failure, timeout, 408, 429, 5xx; permanent = every other 4xx. Callers read
// `DeliveryError.classification`, never the message (STYLE §5).
import { DeliveryError, type FailureClass } from '../../commons/index.js';

/** Stable codes of every DeliveryError the HTTP gateway throws. */
export const HttpErrorCode = {
  /** The server answered with a non-2xx status; `httpStatus` is set. */
  Status: 'HTTP_STATUS',
  /** The per-system deadline (connect + headers + body) passed. Transient. */
  Timeout: 'HTTP_TIMEOUT',
  /** Refused, reset, DNS, TLS or other socket failure. Transient. */
  Connection: 'HTTP_CONNECTION',
  /** The caller's AbortSignal fired (e.g. shutdown). Transient: retry later. */
  Aborted: 'HTTP_ABORTED',
  /** The gateway was closed before the call. Transient: retry after restart. */
  GatewayClosed: 'HTTP_GATEWAY_CLOSED',
  /** The gateway's worker thread ended with the call in flight. Transient: the next call starts a new one. */
  ThreadFailed: 'HTTP_THREAD_FAILED',
  /** The request could not be built (bad header value, bad URL). Permanent. */
  RequestInvalid: 'HTTP_REQUEST_INVALID',
  UnknownMethod: 'UNKNOWN_METHOD',
  InvalidParameters: 'INVALID_PARAMETERS',
} as const;
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode];

export function classifyHttpStatus(status: number): FailureClass | 'success' {
  if (status >= 200 && status < 300) return 'success';
  if (status === 408 || status === 429 || (status >= 500 && status < 600)) return 'transient';
  // 1xx never surfaces; 3xx is not followed (undici's default), so it is a
  // configuration problem a retry will not fix.
  return 'permanent';
}

const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

// Errors raised while building the request: retrying the same request cannot help.
const INVALID_REQUEST_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'ERR_INVALID_URL',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
]);

/** Identifies the call in messages without exposing the URL (it may carry userinfo). */
export interface CallLabel {
  readonly label: string;
  readonly details: Readonly<Record<string, unknown>>;
  /** Removes configured secrets from text that came from outside (bodies, causes). */
  redact(text: string): string;
}

export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * Maps an error thrown by undici (or node:net / node:dns under it) to a
 * DeliveryError. Anything not recognisably the request's own fault is treated
 * as a connection failure: a retry costs little, and retries that keep failing
 * end in `Parked`, where an operator sees them.
 */
export function classifyTransportError(err: unknown, call: CallLabel): DeliveryError {
  const code = errorCode(err) ?? (err instanceof Error ? err.name : 'unknown');
  const detail = call.redact(err instanceof Error ? err.message : String(err));
  const details = { ...call.details, errorCode: code };
  if (TIMEOUT_CODES.has(code)) {
    return new DeliveryError(HttpErrorCode.Timeout, `${call.label}: timed out (${code})`, 'transient', {
      cause: err,
      details,
    });
  }
  if (INVALID_REQUEST_CODES.has(code)) {
    return new DeliveryError(
      HttpErrorCode.RequestInvalid,
      `${call.label}: invalid request (${code}): ${detail}`,
      'permanent',
      { cause: err, details },
    );
  }
  return new DeliveryError(
    HttpErrorCode.Connection,
    `${call.label}: connection failed (${code}): ${detail}`,
    'transient',
    { cause: err, details },
  );
}

const SNIPPET_CHARS = 200;

/** A non-2xx answer: HTTP_STATUS with the status and a short, redacted body snippet. */
export function statusError(status: number, bodyText: string, call: CallLabel): DeliveryError {
  const classification = classifyHttpStatus(status);
  let message = `${call.label}: HTTP ${status}`;
  if (bodyText.length > 0) {
    const flat = call.redact(bodyText).replace(/\s+/g, ' ').trim();
    message += `: ${flat.length > SNIPPET_CHARS ? `${flat.slice(0, SNIPPET_CHARS)}…` : flat}`;
  }
  return new DeliveryError(
    HttpErrorCode.Status,
    message,
    classification === 'success' ? 'permanent' : classification,
    { httpStatus: status, details: { ...call.details, httpStatus: status } },
  );
}
