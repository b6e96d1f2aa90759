// Original file: proto/scadalink/v1/site_link.proto


export interface Attributes {
  'valuesJson'?: (string);
}

export interface Attributes__Output {
  'valuesJson': (string);
}
