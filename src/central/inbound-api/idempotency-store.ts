// Idempotent retries for Inbound API callers (issue 11, point 8): a request
// with an `Idempotency-Key` header is run once per (API key, method,
// Idempotency-Key) within 24 h; a retry with the same body gets the recorded
// answer (status and body) without the script running again; the same key
// with another body is a conflict (422 IDEMPOTENCY_KEY_REUSED); a duplicate
// arriving while the first still runs waits for it, then gets 409
// IN_PROGRESS. Claims live in the central database, so this holds across
// every central replica.
import { setTimeout as sleep } from 'node:timers/promises';
import type { InboundRecordStore } from '../db/index.js';
import type { IdempotencyClaim, IdempotencyKeyRef, IdempotencyStore, RecordedResponse } from './contracts.js';

/** How long a recorded answer is replayed. */
export const IDEMPOTENCY_RETENTION_MS = 86_400_000;
/** How often a waiting duplicate reads the claim. */
export const IDEMPOTENCY_POLL_MS = 25;
/** The longest a duplicate waits for the first request before IN_PROGRESS. */
export const IDEMPOTENCY_MAX_WAIT_MS = 5_000;
/** Added to a claim's run time before another node may take it over: the time to record the answer after the run. */
export const IDEMPOTENCY_CLAIM_GRACE_MS = 1_000;

/** An Idempotency-Key header value: 1-255 visible ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function isIdempotencyKey(value: unknown): value is string {
  return typeof value === 'string' && IDEMPOTENCY_KEY.test(value);
}

export interface IdempotencyOptions {
  readonly retentionMs?: number;
  readonly pollMs?: number;
  readonly maxWaitMs?: number;
  readonly claimGraceMs?: number;
}

type Store = Pick<InboundRecordStore, 'claimIdempotencyKey' | 'completeIdempotencyKey' | 'releaseIdempotencyKey'>;

export class DatabaseIdempotencyStore implements IdempotencyStore {
  readonly #retentionMs: number;
  readonly #pollMs: number;
  readonly #maxWaitMs: number;
  readonly #graceMs: number;

  constructor(
    private readonly repo: Store,
    options: IdempotencyOptions = {},
  ) {
    this.#retentionMs = options.retentionMs ?? IDEMPOTENCY_RETENTION_MS;
    this.#pollMs = options.pollMs ?? IDEMPOTENCY_POLL_MS;
    this.#maxWaitMs = options.maxWaitMs ?? IDEMPOTENCY_MAX_WAIT_MS;
    this.#graceMs = options.claimGraceMs ?? IDEMPOTENCY_CLAIM_GRACE_MS;
  }

  /**
   * Claims the key (atomic across replicas); or answers replay / conflict at
   * once; or, while another request holds it, reads the claim every ~25 ms
   * for up to `runMs` (at most 5 s): it is claimed when the other released
   * it or its claim expired, replayed when the other recorded its answer,
   * and `in-progress` when the wait ends first.
   */
  async claim(ref: IdempotencyKeyRef, runMs: number): Promise<IdempotencyClaim> {
    // A run time that is not a sane number (a bug upstream) holds the key for its retention at most.
    const run = Number.isNaN(runMs) ? 0 : Math.min(Math.max(0, runMs), this.#retentionMs);
    const holdMs = run + this.#graceMs;
    const waitUntil = Date.now() + Math.min(run, this.#maxWaitMs);
    for (;;) {
      const attempt = await this.repo.claimIdempotencyKey(ref, holdMs);
      if (attempt.claimed) return { kind: 'claimed' };
      const row = attempt.row;
      // The row went between the claim and the read (released, purged): claim again.
      if (row === undefined) continue;
      if (row.requestSha256 !== ref.requestSha256) return { kind: 'conflict' };
      if (row.state === 'done') return { kind: 'replay', response: { status: row.status ?? 500, body: row.body ?? '' } };
      const left = waitUntil - Date.now();
      if (left <= 0) return { kind: 'in-progress' };
      // A bounded poll: the other request may run on another replica, and the
      // database is the only thing the two share (SQLite has no notifications).
      await sleep(Math.min(this.#pollMs, left));
    }
  }

  async complete(ref: IdempotencyKeyRef, response: RecordedResponse): Promise<void> {
    await this.repo.completeIdempotencyKey(ref, { status: response.status, body: response.body }, this.#retentionMs);
  }

  async release(ref: IdempotencyKeyRef): Promise<void> {
    await this.repo.releaseIdempotencyKey(ref);
  }
}
