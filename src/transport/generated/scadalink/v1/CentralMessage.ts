// Original file: proto/scadalink/v1/site_link.proto

import type { Command as _scadalink_v1_Command, Command__Output as _scadalink_v1_Command__Output } from '../../scadalink/v1/Command.js';

export interface CentralMessage {
  'command'?: (_scadalink_v1_Command | null);
  'body'?: "command";
}

export interface CentralMessage__Output {
  'command'?: (_scadalink_v1_Command__Output | null);
  'body'?: "command";
}
