// Original file: proto/scadalink/v1/site_link.proto


export interface GetAttributes {
  'instance'?: (string);
  'names'?: (string)[];
}

export interface GetAttributes__Output {
  'instance': (string);
  'names': (string)[];
}
