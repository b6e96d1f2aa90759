// Original file: proto/scadalink/v1/site_link.proto


export interface RouteResult {
  'valueJson'?: (string);
}

export interface RouteResult__Output {
  'valueJson': (string);
}
