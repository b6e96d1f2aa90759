// The `Idempotency-Key` request header (issue 11 point 8; docs/inbound-api.md).
// With it, and an IdempotencyStore on the node, a call is claimed before the
// script runs; a retry of the same call (same API key, method, header value
// and body) within 24 h gets the recorded answer without running the script.
//
// What is recorded: every answer produced after the claim (200, and 4xx/5xx
// from the run: a script error, a return type mismatch, UNKNOWN_INSTANCE),
// except 503 and 504 (SITE_UNREACHABLE, SITE_TIMEOUT, METHOD_TIMEOUT) and
// INTERNAL_ERROR: those say "try again", so the claim is released and a retry
// runs the method.
// Answers before the claim (401, 403, 404, 400, 413, 415) are never recorded:
// nothing ran, and a corrected retry must not be answered with the old error.
import { createHash } from 'node:crypto';
import type { IdempotencyKeyRef } from './contracts.js';
import { isIdempotencyKey } from './idempotency-store.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'Idempotency-Replayed';

/**
 * The header's value: undefined when absent, or `{ invalid }` when it is not
 * 1-255 visible ASCII characters (no spaces) (or was sent twice).
 */
export function idempotencyKeyOf(header: string | readonly string[] | undefined): string | undefined | { invalid: true } {
  if (header === undefined) return undefined;
  if (!isIdempotencyKey(header)) return { invalid: true };
  return header;
}

export function idempotencyRef(keyName: string, method: string, idempotencyKey: string, body: Buffer | undefined): IdempotencyKeyRef {
  const requestSha256 = createHash('sha256')
    .update(body ?? Buffer.alloc(0))
    .digest('hex');
  return { keyName, method, idempotencyKey, requestSha256 };
}

/** Whether an answer is recorded for its key (else the claim is released): not a 503, a 504 or central's own failure. */
export function recordsAnswer(status: number, code: string): boolean {
  return status !== 503 && status !== 504 && code !== 'INTERNAL_ERROR';
}
