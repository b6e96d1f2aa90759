// HTTP/1.1 requests written byte for byte, so a test can send request lines
// that fetch() would normalise (percent-encoded letters, absolute form, dot
// segments, double slashes).
import { connect } from 'node:net';

export interface RawAnswer {
  readonly status: number;
  readonly body: string;
  /** The parsed body when it is JSON, else undefined. */
  readonly json: unknown;
}

export function rawRequest(
  port: number,
  method: string,
  target: string,
  /**
   * `headOnly`: send the head (with the body's content-length) but not the
   * body, for a server that must refuse on the declared length alone; writing
   * a body it refuses races its close (EPIPE, and a reset can discard its answer).
   */
  options: { readonly headers?: Readonly<Record<string, string>>; readonly body?: string; readonly headOnly?: boolean } = {},
): Promise<RawAnswer> {
  const body = options.body ?? '';
  const headers = { host: `127.0.0.1:${port}`, connection: 'close', ...(body === '' ? {} : { 'content-type': 'application/json' }), ...options.headers };
  const head = [`${method} ${target} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), `content-length: ${Buffer.byteLength(body)}`];
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    // A server that refuses a large body answers and closes while the body is
    // still being written (EPIPE, ECONNRESET): its answer is what counts.
    let failure: Error | undefined;
    socket.on('error', (err) => (failure = err));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (m === null) {
        reject(failure ?? new Error(`no HTTP answer to ${method} ${target}: ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      const split = text.indexOf('\r\n\r\n');
      const rawBody = split < 0 ? '' : text.slice(split + 4);
      const chunked = /\r\ntransfer-encoding: chunked\r\n/i.test(text.slice(0, split));
      const payload = chunked ? dechunk(rawBody) : rawBody;
      let json: unknown;
      try {
        json = JSON.parse(payload);
      } catch {
        json = undefined;
      }
      resolve({ status: Number(m[1]), body: payload, json });
    });
    // Not end(): a half-closed socket is dropped by the server before a slow handler answers; `connection: close` ends it.
    socket.write(`${head.join('\r\n')}\r\n\r\n${options.headOnly === true ? '' : body}`);
  });
}

function dechunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    if (eol < 0) return out;
    const size = parseInt(rest.slice(0, eol), 16);
    if (!(size > 0)) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

export interface RawExchange {
  /** The answer's status, or null when the server closed (or went quiet for `timeoutMs`) without an HTTP answer. */
  readonly status: number | null;
  readonly body: string;
  readonly json: unknown;
}

/**
 * Writes `bytes` as they are (a request fetch would refuse to send, or no
 * request at all) and reads until the server closes. A server that answers
 * nothing within `timeoutMs` is reported as `status: null`, like a drop.
 */
export function rawExchange(port: number, bytes: Buffer, timeoutMs = 10_000): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on('data', (c: Buffer) => chunks.push(c));
    // A refusal may close while bytes are still being written: the answer, if any, is what counts.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      const split = text.indexOf('\r\n\r\n');
      const head = split < 0 ? text : text.slice(0, split);
      const rawBody = split < 0 ? '' : text.slice(split + 4);
      const payload = /\r\ntransfer-encoding: chunked\r\n/i.test(head) ? dechunk(rawBody) : rawBody;
      let json: unknown;
      try {
        json = JSON.parse(payload);
      } catch {
        json = undefined;
      }
      resolve({ status: m === null ? null : Number(m[1]), body: payload, json });
    });
    socket.write(bytes);
  });
}
