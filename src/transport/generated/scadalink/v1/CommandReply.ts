// Original file: proto/scadalink/v1/site_link.proto

import type { TrackingPage as _scadalink_v1_TrackingPage, TrackingPage__Output as _scadalink_v1_TrackingPage__Output } from '../../scadalink/v1/TrackingPage.js';

export interface CommandReply {
  'correlationId'?: (string);
  'ok'?: (boolean);
  'errorCode'?: (string);
  'errorMessage'?: (string);
  'trackingPage'?: (_scadalink_v1_TrackingPage | null);
  'body'?: "trackingPage";
}

export interface CommandReply__Output {
  'correlationId': (string);
  'ok': (boolean);
  'errorCode': (string);
  'errorMessage': (string);
  'trackingPage'?: (_scadalink_v1_TrackingPage__Output | null);
  'body'?: "trackingPage";
}
