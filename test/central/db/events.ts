// Telemetry as a site sends it: audit events carrying their operation snapshot.
import {
  type AuditEvent,
  type AuditKind,
  type OperationSnapshot,
  type OperationStatus,
  type TrackedOperationId,
  isTerminal,
  newTrackedOperationId,
  uuidv7,
} from '../../../src/commons/index.js';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const at = (n: number): string => new Date(T0 + n * 1000).toISOString();

/** One lifecycle step of operation `id`: its audit event with the snapshot after the step. */
export function step(
  id: TrackedOperationId,
  kind: AuditKind,
  status: OperationStatus,
  version: number,
  extra: Partial<OperationSnapshot> = {},
): AuditEvent {
  const operation: OperationSnapshot = {
    trackedOperationId: id,
    channel: 'ApiOutbound',
    target: 'ERP.postOrder',
    status,
    retryCount: Math.max(0, version - 2),
    lastError: status === 'Forwarded' || status === 'Attempted' ? 'HTTP 503' : null,
    httpStatus: status === 'Delivered' ? 200 : status === 'Submitted' ? null : 503,
    createdAtUtc: at(0),
    updatedAtUtc: at(version),
    terminalAtUtc: isTerminal(status) ? at(version) : null,
    sourceInstanceId: 'Pump1',
    sourceScript: 'order',
    sourceNode: 'plant-a@host',
    version,
    ...extra,
  };
  return {
    eventId: uuidv7(),
    trackedOperationId: id,
    kind,
    status,
    channel: operation.channel,
    target: operation.target,
    occurredAtUtc: at(version),
    actor: { type: 'script', instance: 'Pump1', script: 'order' },
    sourceNode: 'plant-a@host',
    error: operation.lastError,
    httpStatus: operation.httpStatus,
    durationMs: status === 'Submitted' ? null : 12.5,
    operation,
  };
}

/** Seed 000 G2: a cached call that fails twice and then succeeds (DESIGN §4: 5 audit rows). */
export function failTwiceThenDeliver(id = newTrackedOperationId()): AuditEvent[] {
  return [
    step(id, 'CachedSubmit', 'Submitted', 1),
    step(id, 'ApiCallCached', 'Forwarded', 2),
    step(id, 'ApiCallCached', 'Attempted', 3),
    step(id, 'ApiCallCached', 'Attempted', 4),
    step(id, 'CachedResolve', 'Delivered', 5),
  ];
}
