// SMTP settings of a site (seed WP-10, DESIGN §3.2). `resolveSmtpSettings`
// validates them once and fills every default (STYLE §6), so the notifier
// never checks a field again.
import { ConfigError } from '../../commons/index.js';

export type SmtpTlsMode = 'None' | 'StartTLS' | 'SSL';

export interface SmtpBasicAuth {
  readonly type: 'Basic';
  readonly username: string;
  readonly password: string;
}

/** OAuth2 client credentials (Microsoft 365); the token is sent with XOAUTH2 as the from address. */
export interface SmtpOAuth2Auth {
  readonly type: 'OAuth2';
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Default `https://login.microsoftonline.com/{tenantId}/oauth2/v2.0/token`. */
  readonly tokenEndpoint?: string;
  /** Default `https://outlook.office365.com/.default`. */
  readonly scope?: string;
}

export interface SmtpNoAuth {
  readonly type: 'None';
}

export type SmtpAuth = SmtpBasicAuth | SmtpOAuth2Auth | SmtpNoAuth;

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  readonly tls: SmtpTlsMode;
  readonly auth: SmtpAuth;
  readonly fromAddress: string;
  /** Connect, greeting, TLS upgrade and socket inactivity limit. Default 30000. */
  readonly connectionTimeoutMs?: number;
  /** Most SMTP connections open at once. Default 5. */
  readonly maxConnections?: number;
  /** Default true. Set false only for test servers with a self-signed certificate. */
  readonly tlsRejectUnauthorized?: boolean;
  /** Extra trusted CA certificate(s) in PEM, e.g. a private or test CA. */
  readonly ca?: string | Buffer;
}

export type ResolvedOAuth2Auth = Required<SmtpOAuth2Auth>;

export interface ResolvedSmtpSettings {
  readonly host: string;
  readonly port: number;
  readonly tls: SmtpTlsMode;
  readonly auth: SmtpBasicAuth | ResolvedOAuth2Auth | SmtpNoAuth;
  readonly fromAddress: string;
  readonly connectionTimeoutMs: number;
  readonly maxConnections: number;
  readonly tlsRejectUnauthorized: boolean;
  readonly ca: string | Buffer | undefined;
}

export const DEFAULT_CONNECTION_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_CONNECTIONS = 5;
export const DEFAULT_OAUTH2_SCOPE = 'https://outlook.office365.com/.default';

export function defaultTokenEndpoint(tenantId: string): string {
  return `https://login.microsoftonline.com/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
}

const TLS_MODES: ReadonlySet<string> = new Set(['None', 'StartTLS', 'SSL']);

type Issue = { path: string; message: string };

/**
 * Validates settings and fills the defaults. Throws ConfigError naming each bad
 * field; no message ever quotes a password or client secret.
 */
export function resolveSmtpSettings(settings: SmtpSettings, path = 'smtp'): ResolvedSmtpSettings {
  const issues: Issue[] = [];
  const need = (ok: boolean, field: string, message: string): void => {
    if (!ok) issues.push({ path: `${path}.${field}`, message });
  };
  need(nonEmpty(settings.host), 'host', 'must be a non-empty string');
  need(Number.isInteger(settings.port) && settings.port > 0 && settings.port < 65536, 'port', 'must be an integer 1-65535');
  need(TLS_MODES.has(settings.tls), 'tls', "must be 'None', 'StartTLS' or 'SSL'");
  need(nonEmpty(settings.fromAddress) && settings.fromAddress.includes('@'), 'fromAddress', 'must be an e-mail address');
  const timeout = settings.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS;
  need(Number.isInteger(timeout) && timeout > 0, 'connectionTimeoutMs', 'must be a positive integer');
  const maxConnections = settings.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  need(Number.isInteger(maxConnections) && maxConnections > 0, 'maxConnections', 'must be a positive integer');
  const auth = resolveAuth(settings.auth, `${path}.auth`, issues);
  if (issues.length > 0 || auth === undefined) throw new ConfigError(issues);
  return {
    host: settings.host,
    port: settings.port,
    tls: settings.tls,
    auth,
    fromAddress: settings.fromAddress,
    connectionTimeoutMs: timeout,
    maxConnections,
    tlsRejectUnauthorized: settings.tlsRejectUnauthorized ?? true,
    ca: settings.ca,
  };
}

function resolveAuth(auth: SmtpAuth | undefined, path: string, issues: Issue[]): ResolvedSmtpSettings['auth'] | undefined {
  const before = issues.length;
  const need = (ok: boolean, field: string, message: string): void => {
    if (!ok) issues.push({ path: `${path}.${field}`, message });
  };
  switch (auth?.type) {
    case 'None':
      return auth;
    case 'Basic':
      need(nonEmpty(auth.username), 'username', 'must be a non-empty string');
      need(nonEmpty(auth.password), 'password', 'must be a non-empty string');
      return issues.length === before ? auth : undefined;
    case 'OAuth2': {
      need(nonEmpty(auth.tenantId), 'tenantId', 'must be a non-empty string');
      need(nonEmpty(auth.clientId), 'clientId', 'must be a non-empty string');
      need(nonEmpty(auth.clientSecret), 'clientSecret', 'must be a non-empty string');
      const tokenEndpoint = auth.tokenEndpoint ?? (nonEmpty(auth.tenantId) ? defaultTokenEndpoint(auth.tenantId) : '');
      need(isHttpUrl(tokenEndpoint), 'tokenEndpoint', 'must be an http(s) URL');
      const scope = auth.scope ?? DEFAULT_OAUTH2_SCOPE;
      need(nonEmpty(scope), 'scope', 'must be a non-empty string');
      if (issues.length !== before) return undefined;
      return { ...auth, tokenEndpoint, scope };
    }
    default:
      issues.push({ path: `${path}.type`, message: "must be 'Basic', 'OAuth2' or 'None'" });
      return undefined;
  }
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
