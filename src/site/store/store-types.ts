// What the site store's transitions take and answer (site-store.ts): an
// operation to submit, an attempt's details, where a failed attempt leaves
// the operation, and the store's counters.
import type { Channel, TrackedOperationId } from '../../commons/index.js';

export interface SubmitInput {
  readonly id: TrackedOperationId;
  readonly channel: Channel;
  /** The name the retry settings and concurrency limit belong to (system, connection, list). */
  readonly target: string;
  /** What people see, e.g. `ERP.postOrder`. */
  readonly targetSummary: string;
  readonly request: unknown;
  readonly maxRetries: number;
  readonly retryIntervalMs: number;
  readonly sourceInstanceId: string | null;
  readonly sourceScript: string | null;
}

export interface AttemptInfo {
  readonly durationMs: number;
  readonly httpStatus?: number | null;
  /** A success that reached only part of its audience (engine's PartialDelivery). */
  readonly partial?: { readonly code: string; readonly message: string; readonly details?: Readonly<Record<string, unknown>> };
}

/** Where an operation rests after a failed attempt. */
export type FailureOutcome = 'Forwarded' | 'Attempted' | 'Parked' | 'Failed' | 'Gone';

/** Every transition only reads and writes the store and side state its hooks restore (see GroupCommitter). */

export interface StoreCounters {
  auditWriteFailures: number;
}
