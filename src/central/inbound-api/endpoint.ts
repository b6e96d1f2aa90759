// `POST /api/{methodName}` and `GET /api/openapi.json` (issue 11 points 1, 7,
// 8 and 9; docs/inbound-api.md), registered under /api in a context of their
// own: its body parser, error shape (`{"error", "code"}`) and not-found answer
// are the Inbound API's, not the admin API's.
//
// Order of checks: API key (401), method (404), approval (403), the
// Idempotency-Key header (400), media type (415), body size (413), JSON (400),
// parameters (400, every problem listed). The key is checked before the body
// is read, so an anonymous caller cannot make central parse a large body.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ScadaLinkError, describeError, jsonDepth, MAX_JSON_DEPTH } from '../../commons/index.js';
import type { InboundMethodConfig } from '../../config/index.js';
import type { JsonObject } from '../../scripts/index.js';
import type { ApiKeyStore } from '../db/index.js';
import { API_KEY_HEADER, authenticateApiKeyCached, requireApiKeyApproved } from './api-keys.js';
import { type CentralScriptDeps, MethodFailure, runMethod } from './central-scripts.js';
import { checkParameters, checkReturn, describeReturnMismatch } from './check.js';
import type { IdempotencyKeyRef, IdempotencyStore, InboundFailureLog } from './contracts.js';
import { type InboundErrorCode, inboundErrorStatus, invalidParameters } from './errors.js';
import { IDEMPOTENCY_HEADER, REPLAYED_HEADER, idempotencyKeyOf, idempotencyRef, recordsAnswer } from './idempotency.js';
import { type InboundMetrics, UNKNOWN_METHOD_LABEL } from './inbound-metrics.js';
import type { Catalog, MethodCatalog } from './method-catalog.js';
import { openApiDocument } from './openapi.js';

/** The default body limit: 1 MiB. */
export const DEFAULT_INBOUND_BODY_LIMIT = 1_048_576;

export interface InboundEndpointOptions {
  readonly repo: ApiKeyStore;
  readonly catalog: MethodCatalog;
  readonly scripts: CentralScriptDeps;
  readonly metrics: InboundMetrics;
  readonly logger: Logger;
  /** Where failures (every answer but 200) are recorded; without it they are only counted. */
  readonly failures?: InboundFailureLog;
  /** Idempotency-Key records; without it the header is validated and otherwise ignored. */
  readonly idempotency?: IdempotencyStore;
  /** Largest body accepted, in bytes (413 BODY_TOO_LARGE above). Default 1 MiB. */
  readonly bodyLimitBytes?: number;
}

/** What a request has established so far, for its answer and its failure record. */
interface CallState {
  readonly arrivedAt: number;
  readonly startedMs: number;
  name: string;
  keyName: string | null;
  method?: InboundMethodConfig;
  catalog?: Catalog;
  idempotencyKey?: string;
  /** Set once the call is claimed: the answer is recorded for it (or the claim released). */
  claimed?: IdempotencyKeyRef;
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly code: InboundErrorCode | 'ok';
  readonly site?: string | null;
}

const states = new WeakMap<FastifyRequest, CallState>();

function errorAnswer(code: InboundErrorCode, message: string, site: string | null = null): Answer {
  return { status: inboundErrorStatus(code), code, body: JSON.stringify({ error: message, code }), site };
}

const JSON_MEDIA = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body's parameters, or the answer refusing it. */
function parametersOf(req: FastifyRequest): { readonly params: unknown } | Answer {
  const body = req.body as Buffer | undefined;
  const type = req.headers['content-type'];
  const empty = body === undefined || body.length === 0;
  if (type === undefined ? !empty : !JSON_MEDIA.test(type.trim())) {
    return errorAnswer('UNSUPPORTED_MEDIA_TYPE', 'the body must be JSON, sent as Content-Type: application/json');
  }
  // No body at all reads as no parameters: a method without parameters is called with an empty POST.
  if (empty) return { params: {} };
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return errorAnswer('INVALID_JSON', 'the body is not valid UTF-8');
  }
  if (jsonDepth(text) > MAX_JSON_DEPTH) return errorAnswer('INVALID_JSON', `the body nests deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return { params: JSON.parse(text) as unknown };
  } catch {
    return errorAnswer('INVALID_JSON', 'the body is not valid JSON');
  }
}

export function inboundApiRoutes(opts: InboundEndpointOptions) {
  const { catalog, metrics, logger } = opts;
  const bodyLimit = opts.bodyLimitBytes ?? DEFAULT_INBOUND_BODY_LIMIT;

  const send = (req: FastifyRequest, reply: FastifyReply, answer: Answer, replayed = false): FastifyReply => {
    const state = states.get(req);
    const label = state?.method?.name ?? (state !== undefined && catalog.knows(state.name) ? state.name : UNKNOWN_METHOD_LABEL);
    const durationMs = state === undefined ? 0 : performance.now() - state.startedMs;
    metrics.answered(label, replayed ? 'replayed' : answer.code, durationMs / 1000);
    if (answer.status !== 200 && !replayed) recordFailure(state, answer, durationMs);
    if (state?.claimed !== undefined && opts.idempotency !== undefined) settleClaim(opts.idempotency, state.claimed, answer);
    if (replayed) void reply.header(REPLAYED_HEADER, 'true');
    return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body);
  };

  const recordFailure = (state: CallState | undefined, answer: Answer, durationMs: number): void => {
    if (opts.failures === undefined) return;
    const parsed = JSON.parse(answer.body) as { error: string };
    const failure = {
      method: state?.name ?? '', // cut by the failure log (FAILURE_FIELD_LIMITS.method, ending with …)
      keyName: state?.keyName ?? null,
      code: answer.code,
      message: parsed.error,
      status: answer.status,
      atUtc: new Date(state?.arrivedAt ?? Date.now()).toISOString(),
      durationMs: Math.round(durationMs),
      site: answer.site ?? null,
    };
    // Never on the answer's path: a slow or failing log must not delay or fail the call.
    opts.failures.record(failure).catch((err: unknown) => logger.warn({ err: describeError(err), code: answer.code }, 'Inbound API failure not recorded'));
  };

  const settleClaim = (store: IdempotencyStore, ref: IdempotencyKeyRef, answer: Answer): void => {
    const done = recordsAnswer(answer.status, answer.code) ? store.complete(ref, { status: answer.status, body: answer.body }) : store.release(ref);
    done.catch((err: unknown) => logger.warn({ err: describeError(err), method: ref.method }, 'Idempotency-Key record not written'));
  };

  /** Key, method, approval and the Idempotency-Key header, before the body is read. */
  const authorize = async (req: FastifyRequest<{ Params: { methodName: string } }>, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const state: CallState = { arrivedAt: Date.now(), startedMs: performance.now(), name: req.params.methodName, keyName: null };
    states.set(req, state);
    try {
      state.keyName = await authenticateApiKeyCached(opts.repo, req.headers[API_KEY_HEADER]);
      const found = await catalog.method(state.name);
      if (found.method === undefined) return send(req, reply, errorAnswer('UNKNOWN_METHOD', `no method ${state.name.slice(0, 100)}`));
      requireApiKeyApproved(state.keyName, found.method.apiKeys, state.name);
      state.method = found.method;
      state.catalog = found.catalog;
    } catch (err) {
      if (err instanceof ScadaLinkError && err.code.startsWith('API_KEY_')) return send(req, reply, errorAnswer(err.code as InboundErrorCode, err.message));
      throw err;
    }
    const key = idempotencyKeyOf(req.headers[IDEMPOTENCY_HEADER]);
    if (typeof key === 'object') return send(req, reply, errorAnswer('INVALID_IDEMPOTENCY_KEY', 'the Idempotency-Key header must be 1-255 visible ASCII characters (no spaces), sent once'));
    if (key !== undefined) state.idempotencyKey = key;
    return undefined;
  };

  const call = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const state = states.get(req)!;
    const method = state.method!;
    const body = parametersOf(req);
    if (!('params' in body)) return send(req, reply, body);
    const problems = checkParameters(method, body.params);
    if (problems.length > 0) {
      const invalid = invalidParameters(method.name, problems);
      return send(req, reply, { status: 400, code: 'INVALID_PARAMETERS', body: JSON.stringify(invalid.body) });
    }
    if (state.idempotencyKey !== undefined && opts.idempotency !== undefined) {
      const ref = idempotencyRef(state.keyName!, method.name, state.idempotencyKey, req.body as Buffer | undefined);
      const claim = await opts.idempotency.claim(ref, method.timeoutMs);
      if (claim.kind === 'replay') return send(req, reply, { status: claim.response.status, body: claim.response.body, code: 'ok' }, true);
      if (claim.kind === 'in-progress') return send(req, reply, errorAnswer('IN_PROGRESS', 'a call with this Idempotency-Key is still running; retry later'));
      if (claim.kind === 'conflict') return send(req, reply, errorAnswer('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for this method with a different body'));
      state.claimed = ref;
    }
    // checkParameters found none: the body is an object of declared, well-typed fields.
    return send(req, reply, await execute(state, method, body.params as JsonObject));
  };

  const execute = async (state: CallState, method: InboundMethodConfig, params: JsonObject): Promise<Answer> => {
    let value: unknown;
    try {
      value = await runMethod(opts.scripts, state.catalog!, method, params, state.arrivedAt + method.timeoutMs);
    } catch (err) {
      if (err instanceof MethodFailure) return errorAnswer(err.code, err.message, err.site);
      logger.error({ method: method.name, err: describeError(err) }, 'Inbound API method run failed');
      return errorAnswer('SCRIPT_ERROR', `method ${method.name} failed`);
    }
    const problems = checkReturn(method, value);
    if (problems.length > 0) {
      logger.warn({ method: method.name }, describeReturnMismatch(method.name, problems));
      return errorAnswer('RETURN_TYPE_MISMATCH', `method ${method.name} returned a value that does not match its return definition`);
    }
    return { status: 200, code: 'ok', body: JSON.stringify(value ?? null) };
  };

  return async (app: FastifyInstance): Promise<void> => {
    // The body is read raw (any media type, up to the limit) and checked in `call`, after the key.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
    app.setNotFoundHandler((req, reply) => {
      // The path after /api/, as the failure log's method (cut, like every name it records).
      states.set(req, { arrivedAt: Date.now(), startedMs: performance.now(), name: req.url.replace(/^\/api\/?/, '').split('?')[0] ?? '', keyName: null });
      return send(req, reply, errorAnswer('UNKNOWN_METHOD', 'methods are called with POST /api/{methodName}; the OpenAPI document is GET /api/openapi.json'));
    });
    app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
      if (states.get(req) === undefined) states.set(req, { arrivedAt: Date.now(), startedMs: performance.now(), name: '', keyName: null });
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return send(req, reply, errorAnswer('BODY_TOO_LARGE', `the body is over the limit of ${bodyLimit} bytes`));
      if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return send(req, reply, errorAnswer('UNSUPPORTED_MEDIA_TYPE', 'the body must be JSON, sent as Content-Type: application/json'));
      if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return send(req, reply, errorAnswer('INVALID_JSON', 'the request body could not be read'));
      logger.error({ err: describeError(err) }, 'Inbound API request failed');
      return send(req, reply, errorAnswer('INTERNAL_ERROR', 'central could not handle the call; retry'));
    });
    // No API key: external teams fetch it to generate clients (docs/inbound-api.md).
    app.get('/openapi.json', async (_req, reply) => {
      const current = await catalog.get();
      const info = { title: 'ScadaLink Inbound API', version: current.revision === null ? '0' : String(current.revision) };
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(openApiDocument(current.methods, info)));
    });
    app.post<{ Params: { methodName: string } }>('/:methodName', { onRequest: authorize }, call);
  };
}
