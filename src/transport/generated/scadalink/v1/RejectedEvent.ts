// Original file: proto/scadalink/v1/site_link.proto


export interface RejectedEvent {
  'eventId'?: (string);
  'reason'?: (string);
}

export interface RejectedEvent__Output {
  'eventId': (string);
  'reason': (string);
}
