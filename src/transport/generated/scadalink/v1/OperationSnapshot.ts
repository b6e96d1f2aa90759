// Original file: proto/scadalink/v1/site_link.proto

import type { Long } from '@grpc/proto-loader';

export interface OperationSnapshot {
  'trackedOperationId'?: (string);
  'channel'?: (string);
  'target'?: (string);
  'status'?: (string);
  'retryCount'?: (number);
  'lastError'?: (string);
  'httpStatus'?: (number);
  'createdAtUtc'?: (string);
  'updatedAtUtc'?: (string);
  'terminalAtUtc'?: (string);
  'sourceInstanceId'?: (string);
  'sourceScript'?: (string);
  'sourceNode'?: (string);
  'version'?: (number | string | Long);
  '_lastError'?: "lastError";
  '_httpStatus'?: "httpStatus";
  '_terminalAtUtc'?: "terminalAtUtc";
  '_sourceInstanceId'?: "sourceInstanceId";
  '_sourceScript'?: "sourceScript";
  '_sourceNode'?: "sourceNode";
}

export interface OperationSnapshot__Output {
  'trackedOperationId': (string);
  'channel': (string);
  'target': (string);
  'status': (string);
  'retryCount': (number);
  'lastError'?: (string);
  'httpStatus'?: (number);
  'createdAtUtc': (string);
  'updatedAtUtc': (string);
  'terminalAtUtc'?: (string);
  'sourceInstanceId'?: (string);
  'sourceScript'?: (string);
  'sourceNode'?: (string);
  'version': (number);
  '_lastError'?: "lastError";
  '_httpStatus'?: "httpStatus";
  '_terminalAtUtc'?: "terminalAtUtc";
  '_sourceInstanceId'?: "sourceInstanceId";
  '_sourceScript'?: "sourceScript";
  '_sourceNode'?: "sourceNode";
}
