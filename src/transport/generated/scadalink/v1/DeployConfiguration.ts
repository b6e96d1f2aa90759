// Original file: proto/scadalink/v1/site_link.proto

import type { Long } from '@grpc/proto-loader';

export interface DeployConfiguration {
  'revision'?: (number | string | Long);
  'sha256'?: (string);
  'files'?: ({[key: string]: string});
}

export interface DeployConfiguration__Output {
  'revision': (number);
  'sha256': (string);
  'files': ({[key: string]: string});
}
