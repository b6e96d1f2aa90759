// The seams between the Inbound API's parts (issue 11), fixed before they
// were built in parallel: the endpoint and central scripts use these; the
// routed calls to sites (route-to) and the failure log and idempotency
// records (records) implement them.
import type { JsonObject, JsonValue } from '../../scripts/index.js';

/**
 * `Route.To(instanceCode)` for central scripts (point 5): resolves the
 * instance's site from the deployed configuration and sends the call over that
 * site's stream, synchronously, never buffered. Every method rejects with a
 * ScadaLinkError whose code is one of INBOUND_ERRORS: UNKNOWN_INSTANCE,
 * SITE_UNREACHABLE, SITE_TIMEOUT (message carries the elapsed ms), or
 * SCRIPT_ERROR (a safe message: no stack, path, SQL or secret).
 */
export interface SiteRouter {
  /** The site an instance is deployed to (UNKNOWN_INSTANCE when none). */
  siteOf(instanceCode: string): Promise<string>;
  call(instanceCode: string, script: string, params: JsonObject, deadline: RouteDeadline): Promise<JsonValue>;
  getAttributes(instanceCode: string, names: readonly string[], deadline: RouteDeadline): Promise<Record<string, JsonValue>>;
  setAttributes(instanceCode: string, values: Readonly<Record<string, JsonValue>>, deadline: RouteDeadline): Promise<void>;
}

export interface RouteDeadline {
  /** Epoch ms by which the method must have its answer: the routed call waits at most until then. */
  readonly atMs: number;
  /** Aborts when the method run ends (timeout, error) before the routed call answered. */
  readonly signal?: AbortSignal;
}

/** One failed Inbound API call, recorded centrally (point 7); successes are only counted in /metrics. */
export interface InboundFailure {
  readonly method: string;
  /** The API key's name; null when the key was missing or unknown. */
  readonly keyName: string | null;
  readonly code: string;
  /** The safe message the caller got. */
  readonly message: string;
  readonly status: number;
  readonly atUtc: string;
  readonly durationMs: number;
  /** The site of the routed call that failed, when there was one. */
  readonly site: string | null;
}

export interface InboundFailureLog {
  record(failure: InboundFailure): Promise<void>;
}

/** A response recorded for an Idempotency-Key (point 8). */
export interface RecordedResponse {
  readonly status: number;
  /** The JSON body as sent. */
  readonly body: string;
}

export type IdempotencyClaim =
  /** First of its key: run the method, then `complete` (or `release` when nothing should be recorded). */
  | { readonly kind: 'claimed' }
  /** Seen within 24 h with the same body: answer what was recorded. */
  | { readonly kind: 'replay'; readonly response: RecordedResponse }
  /** Another request with this key is running (after waiting up to the given time for it). */
  | { readonly kind: 'in-progress' }
  /** The key was used with a different body for this method: 422 IDEMPOTENCY_KEY_REUSED. */
  | { readonly kind: 'conflict' };

export interface IdempotencyKeyRef {
  readonly keyName: string;
  readonly method: string;
  readonly idempotencyKey: string;
  /** SHA-256 (hex) of the request body, to tell a reused key from a true retry. */
  readonly requestSha256: string;
}

export interface IdempotencyStore {
  /** Claims the key for a run that may take up to `runMs`; a claim older than that (a crashed node) can be taken over. */
  claim(ref: IdempotencyKeyRef, runMs: number): Promise<IdempotencyClaim>;
  complete(ref: IdempotencyKeyRef, response: RecordedResponse): Promise<void>;
  release(ref: IdempotencyKeyRef): Promise<void>;
}
