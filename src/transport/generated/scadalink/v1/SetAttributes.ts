// Original file: proto/scadalink/v1/site_link.proto


export interface SetAttributes {
  'instance'?: (string);
  'valuesJson'?: (string);
}

export interface SetAttributes__Output {
  'instance': (string);
  'valuesJson': (string);
}
