// Commons telemetry types <-> the protobuf messages of proto/scadalink/v1
// (the generated types in ./generated).
// proto3 `optional` fields arrive as undefined (or null) when unset; the
// commons types use null for "none".
import type { Actor, AuditEvent, AuditKind, AuditStatus, Channel, OperationSnapshot, OperationStatus } from '../commons/index.js';
import type { Actor as Actor_, Actor__Output } from './generated/scadalink/v1/Actor.js';
import type { AuditEvent as AuditEvent_, AuditEvent__Output } from './generated/scadalink/v1/AuditEvent.js';
import type { OperationSnapshot as OperationSnapshot_, OperationSnapshot__Output } from './generated/scadalink/v1/OperationSnapshot.js';

type ActorMsg = Actor_;
type SnapshotMsg = OperationSnapshot_;
type AuditEventMsg = AuditEvent_;

const opt = <T>(v: T | null | undefined): T | null => (v === undefined ? null : v);
const str = (v: string | undefined): string => v ?? '';

function actorMsg(a: Actor): ActorMsg {
  return a.type === 'script' ? { script: { instance: a.instance, script: a.script } } : { operator: { name: a.name } };
}

/** null when the message names no actor: the schema (./schema.ts) then rejects the event. */
function actorOf(m: Actor__Output | null | undefined): Actor {
  if (m?.operator) return { type: 'operator', name: str(m.operator.name) };
  if (m?.script) return { type: 'script', instance: str(m.script.instance), script: str(m.script.script) };
  return null as unknown as Actor;
}

export function snapshotMsg(s: OperationSnapshot): SnapshotMsg {
  return {
    trackedOperationId: s.trackedOperationId,
    channel: s.channel,
    target: s.target,
    status: s.status,
    retryCount: s.retryCount,
    lastError: s.lastError ?? undefined,
    httpStatus: s.httpStatus ?? undefined,
    createdAtUtc: s.createdAtUtc,
    updatedAtUtc: s.updatedAtUtc,
    terminalAtUtc: s.terminalAtUtc ?? undefined,
    sourceInstanceId: s.sourceInstanceId ?? undefined,
    sourceScript: s.sourceScript ?? undefined,
    sourceNode: s.sourceNode ?? undefined,
    version: s.version,
  };
}

/** Field values are passed on as they came; ./schema.ts validates them at the boundary. */
export function snapshotOf(m: OperationSnapshot__Output): OperationSnapshot {
  return {
    trackedOperationId: str(m.trackedOperationId) as OperationSnapshot['trackedOperationId'],
    channel: str(m.channel) as Channel,
    target: str(m.target),
    status: str(m.status) as OperationStatus,
    retryCount: m.retryCount ?? 0,
    lastError: opt(m.lastError),
    httpStatus: opt(m.httpStatus),
    createdAtUtc: str(m.createdAtUtc),
    updatedAtUtc: str(m.updatedAtUtc),
    terminalAtUtc: opt(m.terminalAtUtc),
    sourceInstanceId: opt(m.sourceInstanceId),
    sourceScript: opt(m.sourceScript),
    sourceNode: opt(m.sourceNode),
    version: Number(m.version ?? 0),
  };
}

export function auditEventMsg(e: AuditEvent): AuditEventMsg {
  return {
    eventId: e.eventId,
    trackedOperationId: e.trackedOperationId ?? undefined,
    kind: e.kind,
    status: e.status,
    channel: e.channel,
    target: e.target,
    occurredAtUtc: e.occurredAtUtc,
    actor: actorMsg(e.actor),
    sourceNode: e.sourceNode,
    error: e.error ?? undefined,
    httpStatus: e.httpStatus ?? undefined,
    durationMs: e.durationMs ?? undefined,
    operation: e.operation === null ? undefined : snapshotMsg(e.operation),
  };
}

export function auditEventOf(m: AuditEvent__Output): AuditEvent {
  return {
    eventId: str(m.eventId),
    trackedOperationId: opt(m.trackedOperationId) as AuditEvent['trackedOperationId'],
    kind: str(m.kind) as AuditKind,
    status: str(m.status) as AuditStatus,
    channel: str(m.channel) as Channel,
    target: str(m.target),
    occurredAtUtc: str(m.occurredAtUtc),
    actor: actorOf(m.actor),
    sourceNode: str(m.sourceNode),
    error: opt(m.error),
    httpStatus: opt(m.httpStatus),
    durationMs: opt(m.durationMs),
    operation: m.operation ? snapshotOf(m.operation) : null,
  };
}
