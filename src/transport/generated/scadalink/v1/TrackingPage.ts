// Original file: proto/scadalink/v1/site_link.proto

import type { OperationSnapshot as _scadalink_v1_OperationSnapshot, OperationSnapshot__Output as _scadalink_v1_OperationSnapshot__Output } from '../../scadalink/v1/OperationSnapshot.js';

export interface TrackingPage {
  'rows'?: (_scadalink_v1_OperationSnapshot)[];
  'more'?: (boolean);
}

export interface TrackingPage__Output {
  'rows': (_scadalink_v1_OperationSnapshot__Output)[];
  'more': (boolean);
}
