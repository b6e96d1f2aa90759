// Original file: proto/scadalink/v1/site_link.proto

import type { RetryParkedOperation as _scadalink_v1_RetryParkedOperation, RetryParkedOperation__Output as _scadalink_v1_RetryParkedOperation__Output } from '../../scadalink/v1/RetryParkedOperation.js';
import type { DiscardParkedOperation as _scadalink_v1_DiscardParkedOperation, DiscardParkedOperation__Output as _scadalink_v1_DiscardParkedOperation__Output } from '../../scadalink/v1/DiscardParkedOperation.js';
import type { PullTracking as _scadalink_v1_PullTracking, PullTracking__Output as _scadalink_v1_PullTracking__Output } from '../../scadalink/v1/PullTracking.js';
import type { DeployConfiguration as _scadalink_v1_DeployConfiguration, DeployConfiguration__Output as _scadalink_v1_DeployConfiguration__Output } from '../../scadalink/v1/DeployConfiguration.js';
import type { RouteCall as _scadalink_v1_RouteCall, RouteCall__Output as _scadalink_v1_RouteCall__Output } from '../../scadalink/v1/RouteCall.js';
import type { GetAttributes as _scadalink_v1_GetAttributes, GetAttributes__Output as _scadalink_v1_GetAttributes__Output } from '../../scadalink/v1/GetAttributes.js';
import type { SetAttributes as _scadalink_v1_SetAttributes, SetAttributes__Output as _scadalink_v1_SetAttributes__Output } from '../../scadalink/v1/SetAttributes.js';

export interface Command {
  'correlationId'?: (string);
  'retryParked'?: (_scadalink_v1_RetryParkedOperation | null);
  'discardParked'?: (_scadalink_v1_DiscardParkedOperation | null);
  'pullTracking'?: (_scadalink_v1_PullTracking | null);
  'deployConfiguration'?: (_scadalink_v1_DeployConfiguration | null);
  'routeCall'?: (_scadalink_v1_RouteCall | null);
  'getAttributes'?: (_scadalink_v1_GetAttributes | null);
  'setAttributes'?: (_scadalink_v1_SetAttributes | null);
  'body'?: "retryParked"|"discardParked"|"pullTracking"|"deployConfiguration"|"routeCall"|"getAttributes"|"setAttributes";
}

export interface Command__Output {
  'correlationId': (string);
  'retryParked'?: (_scadalink_v1_RetryParkedOperation__Output | null);
  'discardParked'?: (_scadalink_v1_DiscardParkedOperation__Output | null);
  'pullTracking'?: (_scadalink_v1_PullTracking__Output | null);
  'deployConfiguration'?: (_scadalink_v1_DeployConfiguration__Output | null);
  'routeCall'?: (_scadalink_v1_RouteCall__Output | null);
  'getAttributes'?: (_scadalink_v1_GetAttributes__Output | null);
  'setAttributes'?: (_scadalink_v1_SetAttributes__Output | null);
  'body'?: "retryParked"|"discardParked"|"pullTracking"|"deployConfiguration"|"routeCall"|"getAttributes"|"setAttributes";
}
