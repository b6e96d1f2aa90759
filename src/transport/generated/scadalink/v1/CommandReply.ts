// Original file: proto/scadalink/v1/site_link.proto

import type { TrackingPage as _scadalink_v1_TrackingPage, TrackingPage__Output as _scadalink_v1_TrackingPage__Output } from '../../scadalink/v1/TrackingPage.js';
import type { RouteResult as _scadalink_v1_RouteResult, RouteResult__Output as _scadalink_v1_RouteResult__Output } from '../../scadalink/v1/RouteResult.js';
import type { Attributes as _scadalink_v1_Attributes, Attributes__Output as _scadalink_v1_Attributes__Output } from '../../scadalink/v1/Attributes.js';

export interface CommandReply {
  'correlationId'?: (string);
  'ok'?: (boolean);
  'errorCode'?: (string);
  'errorMessage'?: (string);
  'trackingPage'?: (_scadalink_v1_TrackingPage | null);
  'routeResult'?: (_scadalink_v1_RouteResult | null);
  'attributes'?: (_scadalink_v1_Attributes | null);
  'body'?: "trackingPage"|"routeResult"|"attributes";
}

export interface CommandReply__Output {
  'correlationId': (string);
  'ok': (boolean);
  'errorCode': (string);
  'errorMessage': (string);
  'trackingPage'?: (_scadalink_v1_TrackingPage__Output | null);
  'routeResult'?: (_scadalink_v1_RouteResult__Output | null);
  'attributes'?: (_scadalink_v1_Attributes__Output | null);
  'body'?: "trackingPage"|"routeResult"|"attributes";
}
