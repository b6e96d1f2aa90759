// One error shape for every HTTP answer of every node: {"error": {"code",
// "message"}} with a stable code, Fastify's own refusals included (unknown
// route, bad URL, body too large, unsupported media type, invalid JSON). A
// client's mistake is a 4xx, never a 500.
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { ScadaLinkError, describeError } from './errors.js';

/** Deeper JSON than this is refused (INVALID_JSON) before it is parsed. */
export const MAX_JSON_DEPTH = 64;

const FASTIFY_CODES: Readonly<Record<string, { status: number; code: string }>> = {
  FST_ERR_BAD_URL: { status: 400, code: 'BAD_URL' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'BODY_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'INVALID_CONTENT_LENGTH' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID_JSON' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_JSON' },
  FST_ERR_VALIDATION: { status: 400, code: 'INVALID_REQUEST' },
};

function send(reply: FastifyReply, status: number, code: string, message: string, details?: Readonly<Record<string, unknown>>): FastifyReply {
  const error = details === undefined || Object.keys(details).length === 0 ? { code, message } : { code, message, details };
  return reply.code(status).type('application/json; charset=utf-8').send({ error });
}

/** A URL as it may appear in a message: bounded, so a megabyte of path is not echoed back. */
function shown(url: string): string {
  return url.length > 200 ? `${url.slice(0, 200)}…` : url;
}

/** A request Node's HTTP parser refused (malformed request line, headers too large, too slow): answered on the raw socket. */
function clientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, code, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'REQUEST_TIMEOUT', 'the request did not arrive in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'HEADERS_TOO_LARGE', 'the request headers are too large']
        : [400, 'Bad Request', 'BAD_REQUEST', 'malformed HTTP request'];
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

/** Options every node's Fastify server is built with. */
export function httpServerOptions(): FastifyServerOptions {
  return {
    logger: false,
    clientErrorHandler: clientError,
    // Errors the router raises before any route or hook exists for the request.
    frameworkErrors: (err: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
      const known = FASTIFY_CODES[err.code];
      void send(reply, known?.status ?? 400, known?.code ?? 'BAD_REQUEST', describeError(err));
    },
  };
}

/** Depth of the deepest array or object in a JSON text, counted without parsing it. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return max;
}

/**
 * Installs the error shape on a node's server: the not-found answer, the error
 * handler, a JSON parser that refuses too-deep documents, and a refusal of any
 * query parameter given more than once (handlers read one value per name).
 */
export function answerErrorsAsJson(app: FastifyInstance, statusOf: Readonly<Record<string, number>> = {}): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (jsonDepth(text) > MAX_JSON_DEPTH) {
      done(new ScadaLinkError('INVALID_JSON', `the body nests deeper than ${MAX_JSON_DEPTH} levels`), undefined);
      return;
    }
    // Fastify's own parser (prototype-poisoning checks included) answers through `done`.
    const answered = parse(req, text, done);
    if (answered instanceof Promise) answered.then((value) => done(null, value), (err: Error) => done(err, undefined));
  });
  app.setNotFoundHandler((req, reply) => send(reply, 404, 'NOT_FOUND', `no route ${req.method} ${shown(req.url)}`));
  app.setErrorHandler((err: FastifyError | ScadaLinkError | Error, _req, reply) => {
    if (err instanceof ScadaLinkError) {
      const status = Object.hasOwn(statusOf, err.code) ? statusOf[err.code]! : err.code === 'INVALID_JSON' ? 400 : 422;
      return send(reply, status, err.code, err.message, err.details);
    }
    const code = (err as FastifyError).code;
    const known = typeof code === 'string' && Object.hasOwn(FASTIFY_CODES, code) ? FASTIFY_CODES[code] : undefined;
    if (known !== undefined) return send(reply, known.status, known.code, describeError(err));
    const status = (err as FastifyError).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) return send(reply, status, 'INVALID_REQUEST', describeError(err));
    return send(reply, 500, 'INTERNAL', describeError(err));
  });
  app.addHook('preValidation', async (req, reply) => {
    const query = req.query;
    if (query === null || typeof query !== 'object') return undefined;
    for (const [name, value] of Object.entries(query)) {
      if (Array.isArray(value)) {
        return send(reply, 400, 'INVALID_QUERY', `${name.slice(0, 100)}: given more than once`, { parameter: name.slice(0, 100) });
      }
    }
    return undefined;
  });
}
