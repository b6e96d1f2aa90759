// External System Gateway: one HTTP call of a configured method (DESIGN §3.1,
// §3.2). It makes exactly one attempt; retrying and buffering belong to the
// store-and-forward engine, which reads `DeliveryError.classification`.
import { Pool } from 'undici';
import { DeliveryError, createRedactor } from '../../commons/index.js';
import type { ExternalSystemConfig } from '../../config/index.js';
import { HttpErrorCode, classifyTransportError, statusError, type CallLabel } from './classify.js';
import { buildJsonBody, buildPath, buildQuery, compileMethod, validateParams, type CompiledMethod } from './method.js';
import { parseResponseBody } from './response.js';

export interface HttpGatewayOptions {
  /** Most keep-alive connections to one origin (scheme + host + port). Default 64. */
  readonly connectionsPerOrigin?: number;
}

export interface HttpCallOptions {
  /** Sent as `Idempotency-Key`; cached calls pass the TrackedOperationId on every attempt (DESIGN §3 rule 3). */
  readonly idempotencyKey?: string;
  /** Aborts the attempt (e.g. on shutdown); the call then fails with transient HTTP_ABORTED. */
  readonly signal?: AbortSignal;
}

export interface HttpCallResult {
  readonly status: number;
  /** JSON-parsed body; the text when it is not JSON; undefined when empty. */
  readonly body: unknown;
}

/** What the site needs of an HTTP gateway: HttpGateway in this thread, ThreadedHttpGateway in a worker. */
export interface HttpCaller {
  call(
    system: ExternalSystemConfig,
    methodName: string,
    params: Readonly<Record<string, unknown>>,
    opts?: HttpCallOptions,
  ): Promise<HttpCallResult>;
  close(): Promise<void>;
}

const DEFAULT_CONNECTIONS_PER_ORIGIN = 64;
const ACCEPT = 'application/json, */*;q=0.8';
const EMPTY_PARAMS: Readonly<Record<string, unknown>> = Object.freeze({});

interface BoundMethod {
  readonly compiled: CompiledMethod;
  readonly call: CallLabel;
}

/** Everything about a system that does not change between calls, computed once. */
interface CompiledSystem {
  readonly pool: Pool;
  /** Path of the base URL without trailing slash ('' for the root). */
  readonly basePath: string;
  /** Query of the base URL without '?', appended to every request. */
  readonly baseQuery: string;
  /** Flat [name, value, ...] lists; undici does not mutate them, so they are shared. */
  readonly headers: readonly string[];
  readonly jsonHeaders: readonly string[];
  readonly methods: Map<string, BoundMethod>;
  readonly redact: (text: string) => string;
}

export class HttpGateway implements HttpCaller {
  readonly #connections: number;
  readonly #pools = new Map<string, Pool>();
  // Configuration objects are readonly and replaced on redeploy, so caching by identity is safe.
  readonly #systems = new WeakMap<ExternalSystemConfig, CompiledSystem>();
  #closed = false;

  constructor(opts: HttpGatewayOptions = {}) {
    const connections = opts.connectionsPerOrigin ?? DEFAULT_CONNECTIONS_PER_ORIGIN;
    if (!Number.isInteger(connections) || connections < 1) {
      throw new RangeError(`connectionsPerOrigin must be a positive integer, got ${connections}`);
    }
    this.#connections = connections;
  }

  async call(
    system: ExternalSystemConfig,
    methodName: string,
    params: Readonly<Record<string, unknown>>,
    opts?: HttpCallOptions,
  ): Promise<HttpCallResult> {
    const sys = this.#compile(system);
    const method = bindMethod(system, sys, methodName);
    const p = params ?? EMPTY_PARAMS;
    validateParams(method.compiled, p, method.call);

    let path = sys.basePath + '/' + buildPath(method.compiled, p, method.call);
    let query = method.compiled.hasBody ? '' : buildQuery(method.compiled, p, method.call);
    if (sys.baseQuery.length > 0) query = query.length > 0 ? `${sys.baseQuery}&${query}` : sys.baseQuery;
    if (query.length > 0) path += (path.includes('?') ? '&' : '?') + query;
    const body = method.compiled.hasBody ? buildJsonBody(method.compiled, p, method.call) : undefined;

    const base = method.compiled.hasBody ? sys.jsonHeaders : sys.headers;
    const key = opts?.idempotencyKey;
    const headers = key === undefined ? base : [...base, 'idempotency-key', key];
    return send(sys, method, path, headers, body, system.timeoutMs, opts?.signal);
  }

  /** Closes every pooled connection; calls in flight finish first. */
  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }

  #compile(system: ExternalSystemConfig): CompiledSystem {
    if (this.#closed) {
      throw new DeliveryError(HttpErrorCode.GatewayClosed, `${system.name}: HTTP gateway is closed`, 'transient', {
        details: { system: system.name },
      });
    }
    let sys = this.#systems.get(system);
    if (sys === undefined) {
      sys = compileSystem(system, (origin) => this.#pool(origin));
      this.#systems.set(system, sys);
    }
    return sys;
  }

  #pool(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, { connections: this.#connections });
      this.#pools.set(origin, pool);
    }
    return pool;
  }
}

function compileSystem(system: ExternalSystemConfig, poolFor: (origin: string) => Pool): CompiledSystem {
  let url: URL;
  try {
    url = new URL(system.baseUrl);
  } catch {
    throw invalidConfig(system, 'baseUrl is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalidConfig(system, 'baseUrl must be http or https');
  }
  const auth: string[] = [];
  // The credentials, and whatever else of the definition came from the
  // environment (a token in the base URL's query): a remote may echo any of it.
  const secrets: string[] = [...(system.secrets ?? [])];
  if (system.auth.type === 'apiKey') {
    auth.push(system.auth.header.toLowerCase(), system.auth.key);
    secrets.push(system.auth.key);
  } else if (system.auth.type === 'basic') {
    const token = Buffer.from(`${system.auth.username}:${system.auth.password}`, 'utf8').toString('base64');
    auth.push('authorization', `Basic ${token}`);
    secrets.push(token, system.auth.password);
  }
  const headers = ['accept', ACCEPT, ...auth];
  return {
    pool: poolFor(url.origin),
    basePath: url.pathname.replace(/\/+$/, ''),
    baseQuery: url.search.slice(1),
    headers,
    jsonHeaders: [...headers, 'content-type', 'application/json'],
    methods: new Map(),
    redact: createRedactor(secrets).text,
  };
}

function bindMethod(system: ExternalSystemConfig, sys: CompiledSystem, methodName: string): BoundMethod {
  let bound = sys.methods.get(methodName);
  if (bound !== undefined) return bound;
  const config = Object.hasOwn(system.methods, methodName) ? system.methods[methodName] : undefined;
  if (config === undefined) {
    throw new DeliveryError(
      HttpErrorCode.UnknownMethod,
      `${system.name}: unknown method "${methodName}"`,
      'permanent',
      { details: { system: system.name, method: methodName } },
    );
  }
  bound = {
    compiled: compileMethod(config),
    call: {
      label: `${system.name}.${methodName}`,
      details: Object.freeze({ system: system.name, method: methodName }),
      redact: sys.redact,
    },
  };
  sys.methods.set(methodName, bound);
  return bound;
}

/**
 * One attempt under one deadline (system.timeoutMs) that covers connecting,
 * waiting for the headers and reading the body; the caller's signal can cut it short.
 */
async function send(
  sys: CompiledSystem,
  method: BoundMethod,
  path: string,
  headers: readonly string[],
  body: string | undefined,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<HttpCallResult> {
  if (signal?.aborted === true) throw aborted(method.call, signal.reason);
  const controller = new AbortController();
  let timedOut = false;
  let callerAborted = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = (): void => {
    callerAborted = true;
    controller.abort();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  let status: number;
  let text: string;
  let contentType: string | string[] | undefined;
  try {
    const res = await sys.pool.request({
      path,
      method: method.compiled.verb,
      headers: headers as string[],
      body,
      signal: controller.signal,
    });
    status = res.statusCode;
    contentType = res.headers['content-type'];
    text = await res.body.text();
  } catch (err) {
    if (timedOut) {
      throw new DeliveryError(
        HttpErrorCode.Timeout,
        `${method.call.label}: no complete response within ${timeoutMs} ms`,
        'transient',
        { cause: err, details: { ...method.call.details, timeoutMs } },
      );
    }
    if (callerAborted) throw aborted(method.call, signal?.reason);
    throw classifyTransportError(err, method.call);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }

  if (status >= 200 && status < 300) return { status, body: parseResponseBody(text, contentType) };
  throw statusError(status, text, method.call);
}

function aborted(call: CallLabel, reason: unknown): DeliveryError {
  return new DeliveryError(HttpErrorCode.Aborted, `${call.label}: aborted by the caller`, 'transient', {
    cause: reason,
    details: call.details,
  });
}

function invalidConfig(system: ExternalSystemConfig, reason: string): DeliveryError {
  // Neither the URL nor the parser's error goes into the error: the URL may carry user:password.
  return new DeliveryError(HttpErrorCode.RequestInvalid, `${system.name}: ${reason}`, 'permanent', {
    details: { system: system.name },
  });
}
