// Original file: proto/scadalink/v1/site_link.proto


export interface Hello {
  'site'?: (string);
  'node'?: (string);
  'version'?: (string);
  'configRevision'?: (string);
  'configSha256'?: (string);
}

export interface Hello__Output {
  'site': (string);
  'node': (string);
  'version': (string);
  'configRevision': (string);
  'configSha256': (string);
}
