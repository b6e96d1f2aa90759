// The answers of `POST /api/{method}` other than 200 (issue 11 points 1-8;
// docs/inbound-api.md): every one is `{"error": "...", "code": "..."}` with a
// stable code, and INVALID_PARAMETERS adds `details.problems`. The table is the
// one source for the endpoint's statuses and for the OpenAPI document.

import type { TypeProblem } from './check.js';

export interface InboundErrorInfo {
  readonly code: string;
  readonly status: number;
  /** For the OpenAPI document and the docs. */
  readonly description: string;
}

export const INBOUND_ERRORS = [
  { code: 'INVALID_JSON', status: 400, description: 'The body is not valid JSON (or nests too deep).' },
  { code: 'INVALID_IDEMPOTENCY_KEY', status: 400, description: 'The Idempotency-Key header is not 1-255 visible ASCII characters (no spaces).' },
  { code: 'INVALID_PARAMETERS', status: 400, description: 'Parameters missing, unknown or of the wrong type; details.problems lists every one with its JSON path.' },
  { code: 'API_KEY_MISSING', status: 401, description: 'No X-API-Key header.' },
  { code: 'API_KEY_INVALID', status: 401, description: 'The key is unknown or disabled.' },
  { code: 'API_KEY_NOT_APPROVED', status: 403, description: 'The key is valid but not approved for this method.' },
  { code: 'UNKNOWN_METHOD', status: 404, description: 'No method of this name.' },
  { code: 'UNKNOWN_INSTANCE', status: 404, description: 'The script routed a call to an instance that is not deployed.' },
  { code: 'IN_PROGRESS', status: 409, description: 'A call with the same Idempotency-Key is still running.' },
  { code: 'BODY_TOO_LARGE', status: 413, description: 'The body is over the configured limit.' },
  { code: 'UNSUPPORTED_MEDIA_TYPE', status: 415, description: 'The body is not application/json.' },
  { code: 'IDEMPOTENCY_KEY_REUSED', status: 422, description: 'The Idempotency-Key was used within 24 h for this method with a different body.' },
  { code: 'SCRIPT_ERROR', status: 500, description: 'The method script failed; the message reveals no internal detail.' },
  { code: 'INTERNAL_ERROR', status: 500, description: 'Central could not handle the call (e.g. its database did not answer); the script may not have run. Retry.' },
  { code: 'RETURN_TYPE_MISMATCH', status: 500, description: 'The method script returned a value that does not match the return definition.' },
  { code: 'SITE_UNREACHABLE', status: 503, description: 'The routed call could not reach the instance\'s site (calls are never buffered).' },
  { code: 'SITE_TIMEOUT', status: 504, description: 'The site did not answer a routed call within the method\'s remaining time.' },
  { code: 'METHOD_TIMEOUT', status: 504, description: 'The method did not finish within its timeout and was stopped.' },
] as const satisfies readonly InboundErrorInfo[];

export type InboundErrorCode = (typeof INBOUND_ERRORS)[number]['code'];

/** `{ error, code }`, and `details` where a code has them. */
export interface InboundErrorBody {
  readonly error: string;
  readonly code: InboundErrorCode;
  readonly details?: { readonly problems: readonly TypeProblem[] };
}

export function inboundErrorStatus(code: InboundErrorCode): number {
  return INBOUND_ERRORS.find((e) => e.code === code)?.status ?? 500;
}

/** The 400 for a body with problems (from checkParameters). */
export function invalidParameters(methodName: string, problems: readonly TypeProblem[]): { status: 400; body: InboundErrorBody } {
  const n = problems.length;
  return {
    status: 400,
    body: {
      error: `invalid parameters for ${methodName}: ${n} problem${n === 1 ? '' : 's'}`,
      code: 'INVALID_PARAMETERS',
      details: { problems },
    },
  };
}
