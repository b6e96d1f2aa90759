// Turns a batch of audit events into the rows both engines write: validates
// each event (an invalid one is rejected with its reason, never written) and
// keeps, per operation, only the snapshot with the highest version, since one
// upsert statement cannot touch a row twice.
import {
  type AuditEvent,
  type OperationSnapshot,
  AuditKind,
  isChannel,
  isOperationStatus,
  isTrackedOperationId,
} from '../../commons/index.js';
import type { RejectedEvent } from './types.js';

const KIND_OF_CHANNEL: Readonly<Record<string, string>> = {
  ApiOutbound: 'ExternalCall',
  DbOutbound: 'DatabaseWrite',
  Notification: 'Notification',
};

const AUDIT_KINDS: ReadonlySet<string> = new Set(Object.values(AuditKind));
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export interface IngestRows {
  readonly events: AuditEvent[];
  readonly snapshots: OperationSnapshot[];
  readonly rejected: RejectedEvent[];
}

export function seedKind(channel: string): string {
  return KIND_OF_CHANNEL[channel] ?? channel;
}

function problem(e: AuditEvent): string | undefined {
  if (typeof e !== 'object' || e === null) return 'not an object';
  if (!isTrackedOperationId(e.eventId)) return 'eventId is not a UUID';
  if (!AUDIT_KINDS.has(e.kind)) return `unknown kind "${String(e.kind)}"`;
  if (!isOperationStatus(e.status)) return `unknown status "${String(e.status)}"`;
  if (!isChannel(e.channel)) return `unknown channel "${String(e.channel)}"`;
  if (typeof e.target !== 'string') return 'target is not a string';
  if (typeof e.occurredAtUtc !== 'string' || !ISO_UTC.test(e.occurredAtUtc)) return 'occurredAtUtc is not an ISO-8601 UTC time';
  if (typeof e.sourceNode !== 'string') return 'sourceNode is not a string';
  if (e.trackedOperationId !== null && !isTrackedOperationId(e.trackedOperationId)) return 'trackedOperationId is not a UUID';
  const op = e.operation;
  if (op === null || op === undefined) {
    if (e.kind !== AuditKind.ApiCall) return `a ${e.kind} event carries no operation snapshot`;
    return undefined;
  }
  if (op.trackedOperationId !== e.trackedOperationId) return 'operation.trackedOperationId differs from the event';
  if (!isOperationStatus(op.status)) return `unknown operation status "${String(op.status)}"`;
  if (!isChannel(op.channel)) return `unknown operation channel "${String(op.channel)}"`;
  if (!Number.isSafeInteger(op.version) || op.version < 1) return 'operation.version is not a positive integer';
  if (!Number.isSafeInteger(op.retryCount) || op.retryCount < 0) return 'operation.retryCount is not a count';
  for (const f of ['createdAtUtc', 'updatedAtUtc'] as const) {
    if (typeof op[f] !== 'string' || !ISO_UTC.test(op[f])) return `operation.${f} is not an ISO-8601 UTC time`;
  }
  if (op.terminalAtUtc !== null && (typeof op.terminalAtUtc !== 'string' || !ISO_UTC.test(op.terminalAtUtc))) {
    return 'operation.terminalAtUtc is not an ISO-8601 UTC time';
  }
  return undefined;
}

export function ingestRows(events: readonly AuditEvent[]): IngestRows {
  const valid: AuditEvent[] = [];
  const rejected: RejectedEvent[] = [];
  const seen = new Set<string>();
  const newest = new Map<string, OperationSnapshot>();
  for (const e of events) {
    const why = problem(e);
    if (why !== undefined) {
      const id = typeof e === 'object' && e !== null && typeof e.eventId === 'string' ? e.eventId : '';
      rejected.push({ eventId: id, reason: why });
      continue;
    }
    // The same event twice in one batch is one row; both copies are accepted.
    if (!seen.has(e.eventId)) {
      seen.add(e.eventId);
      valid.push(e);
    }
    const op = e.operation;
    if (op !== null) {
      const held = newest.get(op.trackedOperationId);
      if (held === undefined || op.version > held.version) newest.set(op.trackedOperationId, op);
    }
  }
  return { events: valid, snapshots: [...newest.values()], rejected };
}
