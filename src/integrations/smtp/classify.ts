// DESIGN §3.2 (normative): SMTP transient = connection refused, timeout, TLS
// handshake failure, 4xx replies; permanent = 5xx replies. Callers read
// `DeliveryError.classification`, never the message (STYLE §5).
import { DeliveryError, type FailureClass } from '../../commons/index.js';

/** Stable codes of every DeliveryError the SMTP notifier throws. */
export const SmtpErrorCode = {
  /** The server answered 4xx (transient) or 5xx (permanent); `details.smtpCode` is set. */
  Reply: 'SMTP_REPLY',
  /**
   * The server refused the credentials. 535 (wrong password, rejected token) is
   * permanent like every 5xx: a retry sends the same credentials and gets the
   * same answer, so the script sees the misconfiguration at once instead of
   * the buffer filling up. 454 (temporary auth failure) is transient. With
   * OAuth2 the notifier first retries once with a fresh token; only a second
   * refusal surfaces.
   */
  Auth: 'SMTP_AUTH',
  /** Refused, reset, DNS, closed mid-session or other socket failure. Transient. */
  Connection: 'SMTP_CONNECTION',
  /** Connecting, the greeting, the TLS upgrade or a reply took longer than connectionTimeoutMs. Transient. */
  Timeout: 'SMTP_TIMEOUT',
  /** TLS could not be set up (handshake, certificate, STARTTLS refused). Transient. */
  Tls: 'SMTP_TLS',
  /** The OAuth2 token endpoint failed: transient for connection/5xx/408/429, permanent for other answers (e.g. invalid_client). */
  OAuth2Token: 'SMTP_OAUTH2_TOKEN',
  /** The message cannot be sent as given (no recipient, invalid address). Permanent. */
  InvalidMessage: 'SMTP_INVALID_MESSAGE',
  /** The notifier was closed before or during the send. Transient: retry after restart. */
  NotifierClosed: 'SMTP_NOTIFIER_CLOSED',
  /**
   * Not a failure: the server took the message for some recipients and refused
   * others at RCPT TO. The send counts as delivered (a retry would send it again
   * to those who got it); the refused ones are named with their replies.
   */
  RecipientsRejected: 'SMTP_RECIPIENTS_REJECTED',
} as const;
export type SmtpErrorCode = (typeof SmtpErrorCode)[keyof typeof SmtpErrorCode];

/** Names the server in messages and removes configured secrets from text that came from outside. */
export interface SmtpTarget {
  readonly host: string;
  readonly port: number;
  redact?(text: string): string;
}

/** 4xx → transient, 5xx → permanent (DESIGN §3.2); anything else is a protocol hiccup → transient. */
export function classifySmtpReplyCode(code: number): FailureClass {
  return code >= 500 && code < 600 ? 'permanent' : 'transient';
}

/** The fields nodemailer puts on its errors (NodemailerError); all optional. */
interface SmtpFailure {
  code?: unknown;
  originalCode?: unknown;
  responseCode?: unknown;
  response?: unknown;
  command?: unknown;
  timeoutType?: unknown;
  rejectedErrors?: unknown;
}

// Errors with no server reply that a retry of the same message cannot fix.
const PERMANENT_CODES: ReadonlySet<string> = new Set([
  'EENVELOPE',
  'ENOAUTH',
  'EAUTH',
  'ECONFIG',
  'EMAXRECIPIENTS',
  'EREQUIRETLS',
  'EOTP',
]);

// Node / OpenSSL codes of a failed TLS handshake or certificate check.
const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|ERR_OSSL_|EPROTO$)|CERT|SELF_SIGNED|UNABLE_TO_|HOSTNAME_MISMATCH/;

const SNIPPET_CHARS = 200;

/**
 * Maps an error from nodemailer (or node:net / node:tls under it) to a
 * DeliveryError whose message names the SMTP code and host:port. Anything not
 * recognisably the message's own fault is treated as a connection failure: a
 * retry costs little, and retries that keep failing end in `Parked`.
 */
export function classifySmtpError(err: unknown, target: SmtpTarget): DeliveryError {
  const classified = deliveryErrorIn(err);
  if (classified !== undefined) return classified;

  const f: SmtpFailure = typeof err === 'object' && err !== null ? (err as SmtpFailure) : {};
  const code = str(f.code) ?? (err instanceof Error ? err.name : 'unknown');
  const original = str(f.originalCode);
  const smtpCode = typeof f.responseCode === 'number' ? f.responseCode : undefined;
  const command = str(f.command);
  const label = `SMTP ${target.host}:${target.port}`;
  const redact = target.redact ?? ((t: string): string => t);
  const details = {
    host: target.host,
    port: target.port,
    errorCode: code,
    ...(original === undefined ? {} : { originalCode: original }),
    ...(smtpCode === undefined ? {} : { smtpCode }),
    ...(command === undefined ? {} : { command }),
  };
  const make = (c: SmtpErrorCode, message: string, cls: FailureClass): DeliveryError =>
    new DeliveryError(c, message, cls, { cause: err, details });

  // Before the reply code: a refused STARTTLS (e.g. 502) is still "TLS could not be set up".
  if (code === 'ETLS' || TLS_CODE.test(original ?? '') || TLS_CODE.test(code)) {
    const why = smtpCode === undefined ? (original ?? code) : `SMTP ${smtpCode}`;
    return make(SmtpErrorCode.Tls, `${label}: TLS handshake failed (${why}): ${snippet(errText(err), redact)}`, 'transient');
  }
  if (code === 'ETIMEDOUT' || original === 'ETIMEDOUT') {
    const what = str(f.timeoutType) ?? 'ETIMEDOUT';
    return make(SmtpErrorCode.Timeout, `${label}: timed out (${what})`, 'transient');
  }
  if (smtpCode !== undefined && smtpCode >= 400 && smtpCode < 600) {
    const cls = replyClass(smtpCode, f.rejectedErrors);
    const reply = snippet(str(f.response) ?? String(smtpCode), redact);
    if (code === 'EAUTH') {
      return make(SmtpErrorCode.Auth, `${label}: authentication rejected (SMTP ${smtpCode}): ${reply}`, cls);
    }
    const to = command === undefined ? '' : ` to ${command}`;
    return make(SmtpErrorCode.Reply, `${label}: server replied SMTP ${smtpCode}${to}: ${reply}`, cls);
  }
  if (code === 'EAUTH' || code === 'ENOAUTH') {
    return make(SmtpErrorCode.Auth, `${label}: authentication failed (${code}): ${snippet(errText(err), redact)}`, 'permanent');
  }
  if (PERMANENT_CODES.has(code)) {
    return make(SmtpErrorCode.InvalidMessage, `${label}: message refused before sending (${code}): ${snippet(errText(err), redact)}`, 'permanent');
  }
  return make(
    SmtpErrorCode.Connection,
    `${label}: connection failed (${original ?? code}): ${snippet(errText(err), redact)}`,
    'transient',
  );
}

/**
 * When every recipient was refused, nodemailer reports the last reply; if any
 * refusal was a 4xx the message may still go through later, so it is transient.
 */
function replyClass(smtpCode: number, rejected: unknown): FailureClass {
  if (Array.isArray(rejected)) {
    for (const r of rejected as SmtpFailure[]) {
      if (typeof r?.responseCode === 'number' && classifySmtpReplyCode(r.responseCode) === 'transient') {
        return 'transient';
      }
    }
  }
  return classifySmtpReplyCode(smtpCode);
}

/** A DeliveryError already made by this module (e.g. by the token provider), possibly wrapped by nodemailer. */
function deliveryErrorIn(err: unknown): DeliveryError | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof DeliveryError) return current;
    current = current.cause;
  }
  return undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A server's text as it may appear in a message: secrets removed, on one line, at most 200 characters. */
export function snippet(text: string, redact: (t: string) => string): string {
  const flat = redact(text).replace(/\s+/g, ' ').trim();
  return flat.length > SNIPPET_CHARS ? `${flat.slice(0, SNIPPET_CHARS)}…` : flat;
}
