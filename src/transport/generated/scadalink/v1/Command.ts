// Original file: proto/scadalink/v1/site_link.proto

import type { RetryParkedOperation as _scadalink_v1_RetryParkedOperation, RetryParkedOperation__Output as _scadalink_v1_RetryParkedOperation__Output } from '../../scadalink/v1/RetryParkedOperation.js';
import type { DiscardParkedOperation as _scadalink_v1_DiscardParkedOperation, DiscardParkedOperation__Output as _scadalink_v1_DiscardParkedOperation__Output } from '../../scadalink/v1/DiscardParkedOperation.js';
import type { PullTracking as _scadalink_v1_PullTracking, PullTracking__Output as _scadalink_v1_PullTracking__Output } from '../../scadalink/v1/PullTracking.js';
import type { DeployConfiguration as _scadalink_v1_DeployConfiguration, DeployConfiguration__Output as _scadalink_v1_DeployConfiguration__Output } from '../../scadalink/v1/DeployConfiguration.js';

export interface Command {
  'correlationId'?: (string);
  'retryParked'?: (_scadalink_v1_RetryParkedOperation | null);
  'discardParked'?: (_scadalink_v1_DiscardParkedOperation | null);
  'pullTracking'?: (_scadalink_v1_PullTracking | null);
  'deployConfiguration'?: (_scadalink_v1_DeployConfiguration | null);
  'body'?: "retryParked"|"discardParked"|"pullTracking"|"deployConfiguration";
}

export interface Command__Output {
  'correlationId': (string);
  'retryParked'?: (_scadalink_v1_RetryParkedOperation__Output | null);
  'discardParked'?: (_scadalink_v1_DiscardParkedOperation__Output | null);
  'pullTracking'?: (_scadalink_v1_PullTracking__Output | null);
  'deployConfiguration'?: (_scadalink_v1_DeployConfiguration__Output | null);
  'body'?: "retryParked"|"discardParked"|"pullTracking"|"deployConfiguration";
}
