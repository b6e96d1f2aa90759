// Original file: proto/scadalink/v1/site_link.proto

import type { ScriptActor as _scadalink_v1_ScriptActor, ScriptActor__Output as _scadalink_v1_ScriptActor__Output } from '../../scadalink/v1/ScriptActor.js';
import type { OperatorActor as _scadalink_v1_OperatorActor, OperatorActor__Output as _scadalink_v1_OperatorActor__Output } from '../../scadalink/v1/OperatorActor.js';

export interface Actor {
  'script'?: (_scadalink_v1_ScriptActor | null);
  'operator'?: (_scadalink_v1_OperatorActor | null);
  'who'?: "script"|"operator";
}

export interface Actor__Output {
  'script'?: (_scadalink_v1_ScriptActor__Output | null);
  'operator'?: (_scadalink_v1_OperatorActor__Output | null);
  'who'?: "script"|"operator";
}
