// The seams between the Inbound API's parts (issue 11), fixed before they
// were built in parallel: the endpoint and central scripts use these; the
// routed calls to sites (route-to) and the failure log and idempotency
// records (records) implement them.
import type { JsonObject, JsonValue } from '../../scripts/index.js';
import type { IdempotencyRef, InboundFailureRecord } from '../db/index.js';

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

/** One failed Inbound API call, recorded centrally (point 7) as the central database's row; successes are only counted in /metrics. */
export type InboundFailure = InboundFailureRecord;

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

/** The same key of the same API key for the same method, with the body's SHA-256 to tell a reused key from a true retry. */
export type IdempotencyKeyRef = IdempotencyRef;

export interface IdempotencyStore {
  /** Claims the key for a run that may take up to `runMs`; a claim older than that (a crashed node) can be taken over. */
  claim(ref: IdempotencyKeyRef, runMs: number): Promise<IdempotencyClaim>;
  complete(ref: IdempotencyKeyRef, response: RecordedResponse): Promise<void>;
  release(ref: IdempotencyKeyRef): Promise<void>;
}
