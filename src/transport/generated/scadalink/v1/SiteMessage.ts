// Original file: proto/scadalink/v1/site_link.proto

import type { Hello as _scadalink_v1_Hello, Hello__Output as _scadalink_v1_Hello__Output } from '../../scadalink/v1/Hello.js';
import type { CommandReply as _scadalink_v1_CommandReply, CommandReply__Output as _scadalink_v1_CommandReply__Output } from '../../scadalink/v1/CommandReply.js';

export interface SiteMessage {
  'hello'?: (_scadalink_v1_Hello | null);
  'reply'?: (_scadalink_v1_CommandReply | null);
  'body'?: "hello"|"reply";
}

export interface SiteMessage__Output {
  'hello'?: (_scadalink_v1_Hello__Output | null);
  'reply'?: (_scadalink_v1_CommandReply__Output | null);
  'body'?: "hello"|"reply";
}
