// Notification Service SMTP client (seed WP-10, WP-11, DESIGN §3.2). One call
// of send() is one attempt at one e-mail; retrying and buffering belong to the
// store-and-forward engine, which reads `DeliveryError.classification`.
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type { Mail, SMTPPoolOptions, SMTPPoolSentMessageInfo, SendMailOptions } from 'nodemailer';
import { DeliveryError, createRedactor, describeError } from '../../commons/index.js';
import type { SmtpConfig } from '../../config/index.js';
import { SmtpErrorCode, classifySmtpError, snippet, type SmtpTarget } from './classify.js';
import { OAuth2TokenProvider, type AccessTokenSource } from './oauth2.js';

export interface SmtpMessage {
  readonly subject: string;
  /** Plain text; sent as text/plain, never HTML. */
  readonly body: string;
  /** Every address goes into BCC (the envelope); none appears in a header. */
  readonly recipients: readonly string[];
}

/** A recipient the server refused at RCPT TO while it took the message for others. */
export interface RejectedRecipient {
  readonly recipient: string;
  /** The server's reply, redacted and cut to one line (e.g. `550 5.1.1 <x@example.com>: user unknown`). */
  readonly reply: string;
  readonly smtpCode: number | null;
}

export interface SmtpSendResult {
  /** The Message-ID header of the e-mail, with angle brackets. */
  readonly messageId: string;
  /** Recipients the server refused; the message went to all the others. Empty when it took every one. */
  readonly rejected: readonly RejectedRecipient[];
  /** Wall time of the send, including an OAuth2 re-authentication retry. */
  readonly durationMs: number;
}

export interface SmtpNotifierOptions {
  /** Token source for OAuth2 settings; default an OAuth2TokenProvider built from the settings. Share one to share its cache. */
  readonly tokenProvider?: AccessTokenSource;
}

type Pool = Mail<SMTPPoolSentMessageInfo, SMTPPoolOptions>;

// A connection is replaced after this many messages, so no single session lives forever.
const MAX_MESSAGES_PER_CONNECTION = 100;
// Tokens handed to nodemailer, kept only to redact them from server replies.
const REMEMBERED_TOKENS = 4;

export class SmtpNotifier {
  readonly #settings: SmtpConfig;
  /** The CA (PEM) of `caFile`, read once. */
  readonly #ca: Buffer | undefined;
  readonly #tokens: AccessTokenSource | undefined;
  readonly #target: SmtpTarget;
  readonly #secrets: string[] = [];
  readonly #recentTokens: string[] = [];
  readonly #inFlight = new Set<Promise<unknown>>();
  #pool: Pool | undefined;
  #closed = false;

  /**
   * Takes the project's SMTP settings as config resolved them (validated, every
   * default filled); connects on the first send. An unreadable `caFile` is a
   * transient SMTP_TLS failure: the operator can put it in place and the
   * operation is retried.
   */
  constructor(settings: SmtpConfig, opts: SmtpNotifierOptions = {}) {
    const s = settings;
    this.#settings = s;
    this.#ca = s.caFile === undefined ? undefined : readCa(s);
    if (s.auth.type === 'OAuth2') {
      this.#tokens = opts.tokenProvider ?? new OAuth2TokenProvider(s.auth);
      this.#secrets.push(s.auth.clientSecret);
    } else if (s.auth.type === 'Basic') {
      const { username, password } = s.auth;
      const b64 = (t: string): string => Buffer.from(t, 'utf8').toString('base64');
      // As given, and as AUTH LOGIN / AUTH PLAIN put it on the wire.
      this.#secrets.push(password, b64(password), b64(`\0${username}\0${password}`));
    }
    this.#target = { host: s.host, port: s.port, redact: (text) => this.#redact(text) };
  }

  /**
   * Sends one e-mail: From and To are the from address, every recipient is in
   * BCC, the body is plain text (seed CD-NS-1, KDD-ext-4). Recipients are not
   * deduplicated (CD-NS-2). Throws a classified DeliveryError.
   */
  async send(message: SmtpMessage): Promise<SmtpSendResult> {
    const started = performance.now();
    const mail = this.#compose(message);
    const attempt = this.#sendWithReauth(mail);
    this.#inFlight.add(attempt);
    try {
      const info = await attempt;
      return { messageId: info.messageId, rejected: this.#rejected(info), durationMs: performance.now() - started };
    } finally {
      this.#inFlight.delete(attempt);
    }
  }

  /** Closes idle connections at once; resolves when the sends in flight have settled. */
  async close(): Promise<void> {
    this.#closed = true;
    const pool = this.#pool;
    this.#pool = undefined;
    pool?.close();
    await Promise.allSettled([...this.#inFlight]);
  }

  async #sendWithReauth(mail: SendMailOptions): Promise<SMTPPoolSentMessageInfo> {
    try {
      return await this.#poolForSend().sendMail(mail);
    } catch (err) {
      if (!this.#isTokenRejection(err)) throw this.#classify(err);
      // A cached token the server no longer accepts (revoked, clock skew): one retry with a fresh one.
      // Servers that answer 334 first (Gmail) get a renewal inside nodemailer already; Microsoft 365 answers 535.
      this.#tokens?.invalidate();
    }
    try {
      return await this.#poolForSend().sendMail(mail);
    } catch (err) {
      throw this.#classify(err);
    }
  }

  /**
   * nodemailer sends to the recipients the server took and reports the others
   * only in the result (`rejected`, `rejectedErrors`); when it refused every
   * one, sendMail throws instead (classified like any reply).
   */
  #rejected(info: SMTPPoolSentMessageInfo): RejectedRecipient[] {
    const byRecipient = new Map<string, { response?: unknown; responseCode?: unknown }>();
    for (const e of info.rejectedErrors ?? []) {
      const recipient = (e as { recipient?: unknown }).recipient;
      if (typeof recipient === 'string') byRecipient.set(recipient, e);
    }
    return (info.rejected ?? []).map((recipient) => {
      const e = byRecipient.get(recipient);
      const code = typeof e?.responseCode === 'number' ? e.responseCode : null;
      const reply = typeof e?.response === 'string' ? snippet(e.response, (t) => this.#redact(t)) : String(code ?? 'refused');
      return { recipient, reply, smtpCode: code };
    });
  }

  #compose(message: SmtpMessage): SendMailOptions {
    const recipients = message.recipients;
    if (!Array.isArray(recipients) || recipients.length === 0) {
      throw this.#invalid('the message has no recipient');
    }
    for (const r of recipients) {
      if (typeof r !== 'string' || r.trim().length === 0 || /[\r\n<>]/.test(r)) {
        throw this.#invalid('a recipient is not a valid e-mail address');
      }
    }
    const from = this.#settings.fromAddress;
    return {
      from,
      to: from,
      bcc: [...recipients],
      subject: message.subject,
      text: message.body,
      // Explicit, so the from address (the To header) is not also a RCPT TO: only the recipients get a copy.
      envelope: { from, to: [...recipients] },
    };
  }

  #poolForSend(): Pool {
    if (this.#closed) {
      throw new DeliveryError(SmtpErrorCode.NotifierClosed, `${this.#label()}: notifier is closed`, 'transient', {
        details: { host: this.#settings.host, port: this.#settings.port },
      });
    }
    if (this.#pool === undefined) {
      this.#pool = nodemailer.createTransport(this.#poolOptions());
      // Failures reach the caller through sendMail; an 'error' event without a listener would crash the process.
      this.#pool.on('error', () => undefined);
    }
    return this.#pool;
  }

  #poolOptions(): SMTPPoolOptions & { pool: true } {
    const s = this.#settings;
    const timeout = s.connectionTimeoutMs;
    return {
      pool: true,
      host: s.host,
      port: s.port,
      maxConnections: s.maxConnections,
      maxMessages: MAX_MESSAGES_PER_CONNECTION,
      secure: s.tls === 'SSL',
      requireTLS: s.tls === 'StartTLS',
      ignoreTLS: s.tls === 'None',
      tls: this.#ca === undefined ? {} : { ca: this.#ca },
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      dnsTimeout: timeout,
      auth: this.#authOptions(),
      // nodemailer's logger is off: nothing this module hands it is ever logged.
      logger: false,
      debug: false,
    };
  }

  #authOptions(): SMTPPoolOptions['auth'] {
    const auth = this.#settings.auth;
    if (auth.type === 'Basic') return { user: auth.username, pass: auth.password };
    const tokens = this.#tokens;
    if (auth.type !== 'OAuth2' || tokens === undefined) return undefined;
    return {
      type: 'OAuth2',
      // XOAUTH2 names the mailbox that sends: the from address.
      user: this.#settings.fromAddress,
      // Asked once per new pooled connection; `renew` is nodemailer's signal that the last token was refused.
      provisionCallback: (_user, renew, callback) => {
        if (renew) tokens.invalidate();
        tokens.getToken().then(
          (token) => {
            this.#remember(token);
            callback(null, token);
          },
          (err: unknown) => callback(this.#tokenFailure(err)),
        );
      },
    };
  }

  /** EAUTH with a server reply: the server refused the token (not a token-endpoint failure). */
  #isTokenRejection(err: unknown): boolean {
    if (this.#tokens === undefined || this.#closed) return false;
    if (typeof err !== 'object' || err === null) return false;
    const e = err as { code?: unknown; responseCode?: unknown };
    return e.code === 'EAUTH' && typeof e.responseCode === 'number';
  }

  /**
   * nodemailer overwrites `code` on the error a token callback hands it, so the
   * classified DeliveryError travels as the `cause` of a throwaway wrapper;
   * classifySmtpError finds it there.
   */
  #tokenFailure(err: unknown): Error {
    const failure =
      err instanceof DeliveryError
        ? err
        : new DeliveryError(
            SmtpErrorCode.OAuth2Token,
            `${this.#label()}: OAuth2 token source failed: ${this.#redact(describeError(err))}`,
            'transient',
            { details: { host: this.#settings.host, port: this.#settings.port } },
          );
    return new Error('OAuth2 token unavailable', { cause: failure });
  }

  #classify(err: unknown): DeliveryError {
    const classified = classifySmtpError(err, this.#target);
    if (this.#closed && classified.code === SmtpErrorCode.Connection) {
      return new DeliveryError(SmtpErrorCode.NotifierClosed, `${this.#label()}: notifier closed during the send`, 'transient', {
        cause: classified,
        details: classified.details,
      });
    }
    return classified;
  }

  #invalid(reason: string): DeliveryError {
    return new DeliveryError(SmtpErrorCode.InvalidMessage, `${this.#label()}: ${reason}`, 'permanent', {
      details: { host: this.#settings.host, port: this.#settings.port },
    });
  }

  #label(): string {
    return `SMTP ${this.#settings.host}:${this.#settings.port}`;
  }

  #remember(token: string): void {
    if (this.#recentTokens.includes(token)) return;
    this.#recentTokens.push(token);
    if (this.#recentTokens.length > REMEMBERED_TOKENS) this.#recentTokens.shift();
  }

  #redact(text: string): string {
    // Built per use: the tokens change, and only failures are redacted.
    return createRedactor([...this.#secrets, ...this.#recentTokens]).text(text);
  }
}

function readCa(s: SmtpConfig): Buffer {
  try {
    return readFileSync(s.caFile!);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new DeliveryError(SmtpErrorCode.Tls, `SMTP ${s.host}:${s.port}: cannot read caFile ${s.caFile} (${code})`, 'transient', {
      details: { host: s.host, port: s.port },
    });
  }
}
