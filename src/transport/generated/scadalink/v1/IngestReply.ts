// Original file: proto/scadalink/v1/site_link.proto

import type { RejectedEvent as _scadalink_v1_RejectedEvent, RejectedEvent__Output as _scadalink_v1_RejectedEvent__Output } from '../../scadalink/v1/RejectedEvent.js';

export interface IngestReply {
  'accepted'?: (string)[];
  'rejected'?: (_scadalink_v1_RejectedEvent)[];
}

export interface IngestReply__Output {
  'accepted': (string)[];
  'rejected': (_scadalink_v1_RejectedEvent__Output)[];
}
