// Original file: proto/scadalink/v1/site_link.proto


export interface ScriptActor {
  'instance'?: (string);
  'script'?: (string);
}

export interface ScriptActor__Output {
  'instance': (string);
  'script': (string);
}
