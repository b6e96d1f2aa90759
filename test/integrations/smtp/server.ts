// A real SMTP server (smtp-server) on 127.0.0.1 (STYLE §3): records every
// connection, authentication and message it receives, and answers through
// per-test policies.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerOptions } from 'smtp-server';
import { parseMessage, type ParsedMessage } from './mime.js';

export interface ReceivedMail extends ParsedMessage {
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  /** The authenticated user of the session, undefined when none. */
  readonly user: string | undefined;
  /** True when the session was under TLS (implicit or STARTTLS). */
  readonly secure: boolean;
}

export interface AuthAttempt {
  readonly method: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly accessToken: string | undefined;
  readonly secure: boolean;
  readonly accepted: boolean;
}

/** Decides an AUTH: true accepts, a number refuses with that reply code. */
export type AuthPolicy = (auth: SMTPServerAuthentication) => true | number;

export type Stage = 'MAIL' | 'RCPT' | 'DATA';

export interface TestSmtpServer {
  readonly port: number;
  readonly mails: ReceivedMail[];
  readonly auths: AuthAttempt[];
  /** Errors the server reported (TLS failures, client resets). */
  readonly errors: Error[];
  /** Connections open now, the most open at once, and all accepted so far. */
  connections(): { open: number; max: number; total: number };
  /** Resolves once `count` messages have arrived in total. */
  waitForMails(count: number): Promise<void>;
  setAuth(policy: AuthPolicy): void;
  /** From now on, answer `code message` at `stage` (undefined: accept again). */
  rejectAt(stage: Stage | undefined, code?: number, message?: string): void;
  /** From now on, answer `code message` to RCPT TO of this address only (its other recipients are taken). */
  rejectRecipient(address: string, code?: number, message?: string): void;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Implicit TLS from the first byte. */
  readonly secure?: boolean;
  /** Certificate for `secure` or STARTTLS; without it STARTTLS is not offered. */
  readonly cert?: { readonly key: string; readonly cert: string };
  readonly authMethods?: string[];
  readonly auth?: AuthPolicy;
  /** Listen on this port (default: a free one). */
  readonly port?: number;
}

const ACCEPT_ALL: AuthPolicy = () => true;

export async function startSmtpServer(opts: StartOptions = {}): Promise<TestSmtpServer> {
  const mails: ReceivedMail[] = [];
  const auths: AuthAttempt[] = [];
  const errors: Error[] = [];
  const mailWaiters: { count: number; resolve: () => void }[] = [];
  let policy = opts.auth ?? ACCEPT_ALL;
  let rejection: { stage: Stage; code: number; message: string } | undefined;
  const refusedRecipients = new Map<string, { code: number; message: string }>();
  let open = 0;
  let max = 0;
  let total = 0;

  const refuse = (stage: Stage): Error | null => {
    if (rejection?.stage !== stage) return null;
    return Object.assign(new Error(rejection.message), { responseCode: rejection.code });
  };

  const options: SMTPServerOptions = {
    secure: opts.secure ?? false,
    ...(opts.cert === undefined ? { disabledCommands: ['STARTTLS'] } : { key: opts.cert.key, cert: opts.cert.cert }),
    authMethods: opts.authMethods ?? ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 2_000,
    onConnect(_session, callback) {
      open += 1;
      total += 1;
      max = Math.max(max, open);
      callback();
    },
    onClose(_session, callback) {
      open -= 1;
      callback();
    },
    onAuth(auth, session, callback) {
      const verdict = policy(auth);
      auths.push({
        method: auth.method,
        username: auth.username,
        password: auth.password ?? undefined,
        accessToken: auth.accessToken,
        secure: session.secure,
        accepted: verdict === true,
      });
      if (verdict === true) return callback(null, { user: auth.username });
      // Refused directly with the code, as Microsoft 365 does (no 334 challenge first).
      return callback(Object.assign(new Error('5.7.3 Authentication unsuccessful'), { responseCode: verdict }));
    },
    onMailFrom(_address, _session, callback) {
      callback(refuse('MAIL'));
    },
    onRcptTo(address, _session, callback) {
      const refusal = refusedRecipients.get(address.address);
      if (refusal !== undefined) return callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
      return callback(refuse('RCPT'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const err = refuse('DATA');
        if (err !== null) return callback(err);
        const from = session.envelope.mailFrom;
        mails.push({
          ...parseMessage(Buffer.concat(chunks).toString('utf8')),
          mailFrom: from === false ? '' : from.address,
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : undefined,
          secure: session.secure,
        });
        for (const w of [...mailWaiters]) {
          if (mails.length >= w.count) {
            mailWaiters.splice(mailWaiters.indexOf(w), 1);
            w.resolve();
          }
        }
        callback(null);
      });
    },
  };
  const server = new SMTPServer(options);
  // Without a listener an 'error' (e.g. a client aborting the TLS handshake) would crash the test process.
  server.on('error', (err) => errors.push(err));
  server.listen(opts.port ?? 0, '127.0.0.1');
  await once(server.server, 'listening');
  const port = (server.server.address() as AddressInfo).port;

  return {
    port,
    mails,
    auths,
    errors,
    connections: () => ({ open, max, total }),
    waitForMails: (count) =>
      mails.length >= count ? Promise.resolve() : new Promise<void>((resolve) => mailWaiters.push({ count, resolve })),
    setAuth: (p) => {
      policy = p;
    },
    rejectAt: (stage, code = 550, message = 'rejected') => {
      rejection = stage === undefined ? undefined : { stage, code, message };
    },
    rejectRecipient: (address, code = 550, message = '5.1.1 user unknown') => {
      refusedRecipients.set(address, { code, message });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
