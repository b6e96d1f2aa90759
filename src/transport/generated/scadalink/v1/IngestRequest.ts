// Original file: proto/scadalink/v1/site_link.proto

import type { AuditEvent as _scadalink_v1_AuditEvent, AuditEvent__Output as _scadalink_v1_AuditEvent__Output } from '../../scadalink/v1/AuditEvent.js';

export interface IngestRequest {
  'site'?: (string);
  'events'?: (_scadalink_v1_AuditEvent)[];
}

export interface IngestRequest__Output {
  'site': (string);
  'events': (_scadalink_v1_AuditEvent__Output)[];
}
