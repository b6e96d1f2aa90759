// A site command and its reply as bytes, for the hop between central nodes
// (issue 11, point 6): the node that holds a site's stream runs a command
// another node received. The bytes are the site link's own protobuf messages
// (a CentralMessage carrying the command, a SiteMessage carrying the reply),
// so every command the .proto gains is forwarded as it is, bytes fields too.
import { ScadaLinkError } from '../commons/index.js';
import { siteLinkService } from './proto.js';
import type { CommandBody } from './session.js';
import type { CentralMessage, CentralMessage__Output } from './generated/scadalink/v1/CentralMessage.js';
import type { CommandReply__Output } from './generated/scadalink/v1/CommandReply.js';
import type { SiteMessage, SiteMessage__Output } from './generated/scadalink/v1/SiteMessage.js';

interface ConnectCodec {
  requestSerialize(value: SiteMessage): Buffer;
  requestDeserialize(bytes: Buffer): SiteMessage__Output;
  responseSerialize(value: CentralMessage): Buffer;
  responseDeserialize(bytes: Buffer): CentralMessage__Output;
}

/** The Connect method's own (de)serialisers: the proto loader's, with the same options as the link. */
function connect(): ConnectCodec {
  return siteLinkService().Connect as unknown as ConnectCodec;
}

const malformed = (what: string): ScadaLinkError => new ScadaLinkError('FORWARD_MALFORMED', `the forwarded ${what} is not a site-link message`);

export function encodeCommand(body: CommandBody): Buffer {
  return connect().responseSerialize({ command: { ...body, correlationId: '' } });
}

export function decodeCommand(bytes: Buffer): CommandBody {
  let msg: CentralMessage__Output;
  try {
    msg = connect().responseDeserialize(bytes);
  } catch {
    throw malformed('command');
  }
  if (msg.command === null || msg.command === undefined || msg.command.body === undefined) throw malformed('command');
  const { correlationId: _ignored, ...body } = msg.command;
  return body as CommandBody;
}

export function encodeReply(reply: CommandReply__Output): Buffer {
  return connect().requestSerialize({ reply });
}

export function decodeReply(bytes: Buffer): CommandReply__Output {
  let msg: SiteMessage__Output;
  try {
    msg = connect().requestDeserialize(bytes);
  } catch {
    throw malformed('reply');
  }
  if (msg.reply === null || msg.reply === undefined) throw malformed('reply');
  return msg.reply;
}
