import {
  type Actor,
  type AuditEvent,
  type AuditKind,
  type AuditStatus,
  type OperationSnapshot,
  uuidv7,
} from '../../commons/index.js';

export interface AuditDetails {
  readonly error?: string | null;
  readonly httpStatus?: number | null;
  readonly durationMs?: number | null;
}

/** Builds the audit event of one lifecycle step from the snapshot that step wrote. */
export function auditEvent(
  kind: AuditKind,
  status: AuditStatus,
  snapshot: OperationSnapshot,
  actor: Actor,
  sourceNode: string,
  details: AuditDetails = {},
): AuditEvent {
  return {
    eventId: uuidv7(),
    trackedOperationId: snapshot.trackedOperationId,
    kind,
    status,
    channel: snapshot.channel,
    target: snapshot.target,
    occurredAtUtc: snapshot.updatedAtUtc,
    actor,
    sourceNode,
    error: details.error ?? null,
    httpStatus: details.httpStatus ?? null,
    durationMs: details.durationMs ?? null,
    operation: snapshot,
  };
}

export function scriptActor(instance: string | null, script: string | null): Actor {
  return { type: 'script', instance: instance ?? '', script: script ?? '' };
}
