// Original file: proto/scadalink/v1/site_link.proto


export interface RouteCall {
  'instance'?: (string);
  'script'?: (string);
  'paramsJson'?: (string);
  'timeoutMs'?: (number);
}

export interface RouteCall__Output {
  'instance': (string);
  'script': (string);
  'paramsJson': (string);
  'timeoutMs': (number);
}
