// The Inbound API's records in the central database (issue 11, points 7 and
// 8): the failure log and the Idempotency-Key claims, on both engines
// (db/sqlite-inbound.ts, db/postgres-inbound.ts). inbound-api/failure-log.ts
// and inbound-api/idempotency.ts build the Inbound API's contracts over these.

/** A failed Inbound API call as recorded (inbound-api/contracts.ts's InboundFailure). */
export interface InboundFailureRecord {
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

/** A recorded failure with its id: ids grow in the order rows were recorded. */
export interface InboundFailureRow extends InboundFailureRecord {
  readonly id: number;
}

export interface InboundFailureFilter {
  readonly method?: string;
  readonly keyName?: string;
  readonly code?: string;
  readonly site?: string;
  /** AtUtc ≥ from, < to (ISO). */
  readonly from?: string;
  readonly to?: string;
}

export interface InboundFailurePage {
  readonly items: InboundFailureRow[];
  /** Pass as `after` for the next page; null on the last one. */
  readonly next: number | null;
}

/** The identity of an Idempotency-Key: the same key of the same API key for the same method. */
export interface IdempotencyRef {
  readonly keyName: string;
  readonly method: string;
  readonly idempotencyKey: string;
  /** SHA-256 (hex) of the request body. */
  readonly requestSha256: string;
}

export interface IdempotencyRow extends IdempotencyRef {
  readonly state: 'in-progress' | 'done';
  /** The recorded answer ('done' only). */
  readonly status: number | null;
  readonly body: string | null;
  readonly claimedAtUtc: string;
  /** In progress: when the claim may be taken over. Done: when the answer stops being replayed. */
  readonly expiresAtUtc: string;
}

/**
 * One claim attempt: claimed, or the live row that holds the key (undefined
 * when the row changed between two statements: released, purged, or taken
 * over by another replica; try again).
 */
export type IdempotencyAttempt = { readonly claimed: true } | { readonly claimed: false; readonly row: IdempotencyRow | undefined };

export interface InboundPurgeResult {
  readonly inboundFailures: number;
  /** Idempotency rows past their expiry. */
  readonly idempotencyKeys: number;
}

export interface InboundRecordStore {
  recordInboundFailure(failure: InboundFailureRecord): Promise<void>;
  /** Failures newest first (by id), keyset-paged: `after` is the last id of the previous page. */
  listInboundFailures(filter: InboundFailureFilter, page: { readonly after?: number; readonly limit: number }): Promise<InboundFailurePage>;
  /**
   * One atomic attempt to claim the key for a run of up to `runMs`: inserts an
   * in-progress row, or takes over a row whose expiry has passed (a done row
   * older than its retention, or the claim of a run that never finished). Not
   * claimed: the row that holds the key.
   */
  claimIdempotencyKey(ref: IdempotencyRef, runMs: number): Promise<IdempotencyAttempt>;
  /** Records the answer of a claimed key, replayed for `keepMs`; false when the claim (same body digest, in progress) is gone. */
  completeIdempotencyKey(ref: IdempotencyRef, response: { readonly status: number; readonly body: string }, keepMs: number): Promise<boolean>;
  /** Drops an in-progress claim of this body digest (nothing is recorded); false when there was none. */
  releaseIdempotencyKey(ref: IdempotencyRef): Promise<boolean>;
  idempotencyRow(ref: Omit<IdempotencyRef, 'requestSha256'>): Promise<IdempotencyRow | undefined>;
  /** Deletes failures recorded before `failuresBefore` and idempotency rows past their expiry. */
  purgeInbound(cutoffs: { readonly failuresBefore: string }): Promise<InboundPurgeResult>;
}
