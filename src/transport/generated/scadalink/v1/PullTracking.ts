// Original file: proto/scadalink/v1/site_link.proto

import type { Long } from '@grpc/proto-loader';

export interface PullTracking {
  'afterVersion'?: (number | string | Long);
  'limit'?: (number);
}

export interface PullTracking__Output {
  'afterVersion': (number);
  'limit': (number);
}
