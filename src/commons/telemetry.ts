import type { TrackedOperationId } from './ids.js';
import type { AuditKind, AuditStatus, Channel, OperationStatus } from './vocabulary.js';

/** Who caused an audit event (DESIGN §4): a script, or the operator who asked. */
export type Actor =
  | { readonly type: 'script'; readonly instance: string; readonly script: string }
  | { readonly type: 'operator'; readonly name: string };

/** The operational snapshot of one tracked operation (seed 000 SiteCallOperational + Version). */
export interface OperationSnapshot {
  readonly trackedOperationId: TrackedOperationId;
  readonly channel: Channel;
  readonly target: string;
  readonly status: OperationStatus;
  readonly retryCount: number;
  readonly lastError: string | null;
  readonly httpStatus: number | null;
  readonly createdAtUtc: string;
  readonly updatedAtUtc: string;
  readonly terminalAtUtc: string | null;
  readonly sourceInstanceId: string | null;
  readonly sourceScript: string | null;
  readonly sourceNode: string | null;
  /** Site-wide, strictly increasing; central applies only newer versions (DESIGN §4.1). */
  readonly version: number;
}

/** One audit event with the operational snapshot it produced (the combined telemetry packet). */
export interface AuditEvent {
  readonly eventId: string;
  readonly trackedOperationId: TrackedOperationId | null;
  readonly kind: AuditKind;
  readonly status: AuditStatus;
  readonly channel: Channel;
  readonly target: string;
  readonly occurredAtUtc: string;
  readonly actor: Actor;
  readonly sourceNode: string;
  readonly error: string | null;
  readonly httpStatus: number | null;
  readonly durationMs: number | null;
  /** Absent for synchronous ApiCall events, which have no tracking row. */
  readonly operation: OperationSnapshot | null;
}
