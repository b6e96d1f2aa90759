// OAuth2 client-credentials tokens for SMTP XOAUTH2 (seed WP-10, CD-NS-6):
// fetched on first use, cached, refreshed shortly before they expire, and
// dropped by `invalidate()` when the SMTP server refuses one. The client
// secret goes into the request body only; no error, detail or log carries it.
import { DeliveryError, type Redactor, createRedactor } from '../../commons/index.js';
import { SmtpErrorCode } from './classify.js';
import type { SmtpAuthConfig } from '../../config/index.js';

/** What the notifier needs of a token source; OAuth2TokenProvider is the real one. */
export interface AccessTokenSource {
  /** A token valid for at least a little longer; concurrent callers share one request. */
  getToken(): Promise<string>;
  /** Forgets the cached token, so the next getToken() asks the endpoint again. */
  invalidate(): void;
}

export interface OAuth2TokenProviderOptions {
  /** Refresh this long before `expires_in` runs out (capped at half the token's lifetime). Default 60000. */
  readonly refreshMarginMs?: number;
  /** Deadline of one token request. Default 30000. */
  readonly requestTimeoutMs?: number;
  /** Current time in ms; tests pass a controllable clock. Default Date.now. */
  readonly now?: () => number;
}

type Credentials = Pick<Extract<SmtpAuthConfig, { type: 'OAuth2' }>, 'clientId' | 'clientSecret' | 'tokenEndpoint' | 'scope'>;

const DEFAULT_REFRESH_MARGIN_MS = 60_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
// An answer without expires_in: Entra ID always sends it; one hour is its usual lifetime.
const DEFAULT_EXPIRES_IN_S = 3600;
const SNIPPET_CHARS = 200;

interface CachedToken {
  readonly value: string;
  /** When to stop using it: expiry minus the refresh margin. */
  readonly refreshAt: number;
}

export class OAuth2TokenProvider implements AccessTokenSource {
  readonly #credentials: Credentials;
  readonly #marginMs: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  /** Endpoint without query or userinfo, safe to put in messages. */
  readonly #endpointLabel: string;
  readonly #redactor: Redactor;
  #cached: CachedToken | undefined;
  #inFlight: Promise<CachedToken> | undefined;

  constructor(credentials: Credentials, opts: OAuth2TokenProviderOptions = {}) {
    this.#credentials = credentials;
    this.#marginMs = opts.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
    this.#timeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#now = opts.now ?? Date.now;
    const url = new URL(credentials.tokenEndpoint);
    this.#endpointLabel = `${url.origin}${url.pathname}`;
    // The secret as sent (form-encoded) and as given: an endpoint may echo either.
    this.#redactor = createRedactor([credentials.clientSecret]);
  }

  async getToken(): Promise<string> {
    const cached = this.#cached;
    if (cached !== undefined && this.#now() < cached.refreshAt) return cached.value;
    if (this.#inFlight === undefined) {
      const request = this.#request().finally(() => {
        if (this.#inFlight === request) this.#inFlight = undefined;
      });
      this.#inFlight = request;
    }
    return (await this.#inFlight).value;
  }

  invalidate(): void {
    this.#cached = undefined;
  }

  async #request(): Promise<CachedToken> {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.#credentials.clientId,
      client_secret: this.#credentials.clientSecret,
      scope: this.#credentials.scope,
    });
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.#credentials.tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: body.toString(),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw this.#transportError(err);
    }
    if (!res.ok) throw this.#statusError(res.status, text);
    const token = this.#parse(text);
    this.#cached = token;
    return token;
  }

  #parse(text: string): CachedToken {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const obj = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    const value = obj['access_token'];
    if (typeof value !== 'string' || value.length === 0) {
      // Not the answer's fault of any message: a proxy page or a broken endpoint may recover.
      throw this.#error('answered without an access_token', 'transient');
    }
    const raw = obj['expires_in'];
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
    const lifetimeMs = (Number.isFinite(n) && n > 0 ? n : DEFAULT_EXPIRES_IN_S) * 1000;
    // A token shorter-lived than twice the margin would be refreshed on every call; use half its life instead.
    const margin = Math.min(this.#marginMs, lifetimeMs / 2);
    return { value, refreshAt: this.#now() + lifetimeMs - margin };
  }

  #statusError(status: number, text: string): DeliveryError {
    // 400/401 (invalid_client, invalid_scope, unauthorized_client) is configuration a retry will not fix.
    const transient = status === 408 || status === 429 || status >= 500;
    let reason = '';
    try {
      const obj = JSON.parse(text) as Record<string, unknown>;
      const parts = [obj['error'], obj['error_description']].filter((p): p is string => typeof p === 'string');
      reason = parts.join(': ');
    } catch {
      reason = text;
    }
    const flat = this.#redact(reason).replace(/\s+/g, ' ').trim();
    const snippet = flat.length > SNIPPET_CHARS ? `${flat.slice(0, SNIPPET_CHARS)}…` : flat;
    return this.#error(`answered HTTP ${status}${snippet.length > 0 ? `: ${snippet}` : ''}`, transient ? 'transient' : 'permanent', {
      httpStatus: status,
    });
  }

  #transportError(err: unknown): DeliveryError {
    const name = err instanceof Error ? err.name : '';
    if (name === 'TimeoutError') {
      return this.#error(`no answer within ${this.#timeoutMs} ms`, 'transient');
    }
    // undici reports "fetch failed" and puts the socket error (ECONNREFUSED, ENOTFOUND…) in `cause`.
    const cause = err instanceof Error ? err.cause : undefined;
    const code = errorCode(cause) ?? errorCode(err) ?? (name || 'unknown');
    // The cause is not attached: nothing from the request (which holds the secret) can leak through it.
    return this.#error(`request failed (${code})`, 'transient', { errorCode: code });
  }

  #error(
    what: string,
    classification: 'transient' | 'permanent',
    extra: { httpStatus?: number; errorCode?: string } = {},
  ): DeliveryError {
    return new DeliveryError(
      SmtpErrorCode.OAuth2Token,
      `OAuth2 token endpoint ${this.#endpointLabel} ${what} (client ${this.#credentials.clientId})`,
      classification,
      {
        httpStatus: extra.httpStatus,
        details: {
          tokenEndpoint: this.#endpointLabel,
          clientId: this.#credentials.clientId,
          ...(extra.httpStatus === undefined ? {} : { httpStatus: extra.httpStatus }),
          ...(extra.errorCode === undefined ? {} : { errorCode: extra.errorCode }),
        },
      },
    );
  }

  #redact(text: string): string {
    return this.#redactor.text(text);
  }
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
