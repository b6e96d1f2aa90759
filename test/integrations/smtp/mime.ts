// Just enough RFC 5322 parsing to check what the notifier put on the wire:
// unfolded headers, and the body decoded from 7bit, quoted-printable or base64.

export interface ParsedMessage {
  /** Every header in order, names lower-cased, values unfolded. */
  readonly headers: readonly (readonly [string, string])[];
  /** The decoded body with CRLF turned into LF. */
  readonly body: string;
  readonly raw: string;
}

export function parseMessage(raw: string): ParsedMessage {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const encodedBody = split < 0 ? '' : raw.slice(split + 4);
  const headers: [string, string][] = [];
  for (const line of head.replace(/\r\n([ \t])/g, '$1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const encoding = header({ headers }, 'content-transfer-encoding')?.toLowerCase();
  let body = encodedBody;
  if (encoding === 'quoted-printable') {
    body = Buffer.from(
      encodedBody.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      'latin1',
    ).toString('utf8');
  } else if (encoding === 'base64') {
    body = Buffer.from(encodedBody.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  return { headers, body: body.replace(/\r\n/g, '\n'), raw };
}

/** The first value of a header, undefined when absent. */
export function header(msg: Pick<ParsedMessage, 'headers'>, name: string): string | undefined {
  return msg.headers.find(([n]) => n === name)?.[1];
}
