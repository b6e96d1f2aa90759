// Original file: proto/scadalink/v1/site_link.proto


export interface OperatorActor {
  'name'?: (string);
}

export interface OperatorActor__Output {
  'name': (string);
}
