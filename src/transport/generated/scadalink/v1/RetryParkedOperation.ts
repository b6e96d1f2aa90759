// Original file: proto/scadalink/v1/site_link.proto


export interface RetryParkedOperation {
  'trackedOperationId'?: (string);
  'operator'?: (string);
}

export interface RetryParkedOperation__Output {
  'trackedOperationId': (string);
  'operator': (string);
}
