// Original file: proto/scadalink/v1/site_link.proto


export interface DiscardParkedOperation {
  'trackedOperationId'?: (string);
  'operator'?: (string);
}

export interface DiscardParkedOperation__Output {
  'trackedOperationId': (string);
  'operator': (string);
}
