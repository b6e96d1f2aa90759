// Original file: proto/scadalink/v1/site_link.proto

import type { Actor as _scadalink_v1_Actor, Actor__Output as _scadalink_v1_Actor__Output } from '../../scadalink/v1/Actor.js';
import type { OperationSnapshot as _scadalink_v1_OperationSnapshot, OperationSnapshot__Output as _scadalink_v1_OperationSnapshot__Output } from '../../scadalink/v1/OperationSnapshot.js';

export interface AuditEvent {
  'eventId'?: (string);
  'trackedOperationId'?: (string);
  'kind'?: (string);
  'status'?: (string);
  'channel'?: (string);
  'target'?: (string);
  'occurredAtUtc'?: (string);
  'actor'?: (_scadalink_v1_Actor | null);
  'sourceNode'?: (string);
  'error'?: (string);
  'httpStatus'?: (number);
  'durationMs'?: (number | string);
  'operation'?: (_scadalink_v1_OperationSnapshot | null);
  '_trackedOperationId'?: "trackedOperationId";
  '_error'?: "error";
  '_httpStatus'?: "httpStatus";
  '_durationMs'?: "durationMs";
}

export interface AuditEvent__Output {
  'eventId': (string);
  'trackedOperationId'?: (string);
  'kind': (string);
  'status': (string);
  'channel': (string);
  'target': (string);
  'occurredAtUtc': (string);
  'actor': (_scadalink_v1_Actor__Output | null);
  'sourceNode': (string);
  'error'?: (string);
  'httpStatus'?: (number);
  'durationMs'?: (number);
  'operation': (_scadalink_v1_OperationSnapshot__Output | null);
  '_trackedOperationId'?: "trackedOperationId";
  '_error'?: "error";
  '_httpStatus'?: "httpStatus";
  '_durationMs'?: "durationMs";
}
