// DESIGN §3.2 for SMTP against real sockets: refused port, silent server,
// 4xx and 5xx replies at each stage, a wrong password, and TLS that cannot be
// set up, each classified as the store-and-forward engine expects.
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SmtpErrorCode, SmtpNotifier, classifySmtpError, classifySmtpReplyCode } from '../../../src/integrations/index.js';
import { closedPort } from '../../support/net.js';
import { PASSWORD, basicSettings, expectNoSecret, message, selfSignedCert, sendFailure, type SelfSigned } from './fixtures.js';
import { startSmtpServer, type Stage, type TestSmtpServer } from './server.js';

let server: TestSmtpServer | undefined;
let notifier: SmtpNotifier | undefined;
let cert: SelfSigned;

beforeAll(() => {
  cert = selfSignedCert();
});

afterAll(() => cert.cleanup());

afterEach(async () => {
  await notifier?.close();
  await server?.close();
  notifier = undefined;
  server = undefined;
});

describe('classifySmtpReplyCode', () => {
  it('4xx is transient, 5xx permanent', () => {
    expect([421, 450, 451, 452, 454, 499].map(classifySmtpReplyCode)).toEqual(Array(6).fill('transient'));
    expect([500, 501, 503, 530, 535, 550, 552, 554, 599].map(classifySmtpReplyCode)).toEqual(Array(9).fill('permanent'));
  });

  it('maps an error without any SMTP shape to a transient connection failure', () => {
    const err = classifySmtpError(new Error('boom'), { host: 'mail.example', port: 25 });
    expect([err.code, err.classification]).toEqual([SmtpErrorCode.Connection, 'transient']);
    expect(err.message).toContain('mail.example:25');
  });
});

describe('SmtpNotifier failures', () => {
  it('a closed port is a transient connection failure naming host:port', async () => {
    const port = await closedPort();
    notifier = new SmtpNotifier(basicSettings(port));

    const err = await sendFailure(notifier);

    expect(err.code).toBe(SmtpErrorCode.Connection);
    expect(err.classification).toBe('transient');
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).toContain('ECONNREFUSED');
    expectNoSecret(err, [PASSWORD]);
  });

  it('a server that accepts TCP but never greets is a transient timeout', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const { port } = silent.address() as AddressInfo;
      notifier = new SmtpNotifier(basicSettings(port, { connectionTimeoutMs: 300 }));

      const err = await sendFailure(notifier);

      expect(err.code).toBe(SmtpErrorCode.Timeout);
      expect(err.classification).toBe('transient');
      expect(err.message).toContain(`127.0.0.1:${port}`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  const replies: [Stage, number, 'transient' | 'permanent'][] = [
    ['MAIL', 451, 'transient'],
    ['RCPT', 451, 'transient'],
    ['DATA', 451, 'transient'],
    ['MAIL', 550, 'permanent'],
    ['RCPT', 550, 'permanent'],
    ['DATA', 554, 'permanent'],
  ];
  it.each(replies)('a %s reply of %i is %s and names the code and host:port', async (stage, code, expected) => {
    server = await startSmtpServer();
    server.rejectAt(stage, code, `test refusal at ${stage}`);
    notifier = new SmtpNotifier(basicSettings(server.port));

    const err = await sendFailure(notifier);

    expect(err.code).toBe(SmtpErrorCode.Reply);
    expect(err.classification).toBe(expected);
    expect(err.details).toMatchObject({ smtpCode: code, host: '127.0.0.1', port: server.port });
    expect(err.message).toContain(`SMTP ${code}`);
    expect(err.message).toContain(`127.0.0.1:${server.port}`);
    expect(server.mails).toHaveLength(0);

    // The pool keeps working after a refusal: the next send goes through.
    server.rejectAt(undefined);
    await notifier.send(message(2));
    expect(server.mails).toHaveLength(1);
  });

  it('a wrong Basic password is a 535: permanent SMTP_AUTH, and the password appears nowhere', async () => {
    server = await startSmtpServer({ auth: (a) => (a.password === 'the-right-one' ? true : 535) });
    notifier = new SmtpNotifier(basicSettings(server.port));

    const err = await sendFailure(notifier);

    expect(err.code).toBe(SmtpErrorCode.Auth);
    expect(err.classification).toBe('permanent');
    expect(err.details).toMatchObject({ smtpCode: 535 });
    expect(err.message).toContain('SMTP 535');
    expect(err.message).toContain(`127.0.0.1:${server.port}`);
    expect(server.auths).toHaveLength(1);
    expectNoSecret(err, [PASSWORD, Buffer.from(PASSWORD).toString('base64')]);
  });

  it('a temporary auth failure (454) is transient', async () => {
    server = await startSmtpServer({ auth: () => 454 });
    notifier = new SmtpNotifier(basicSettings(server.port));

    const err = await sendFailure(notifier);

    expect([err.code, err.classification]).toEqual([SmtpErrorCode.Auth, 'transient']);
  });

  it('SSL against a plain server is a transient TLS failure', async () => {
    server = await startSmtpServer();
    notifier = new SmtpNotifier(basicSettings(server.port, { tls: 'SSL', caFile: cert.file }));

    const err = await sendFailure(notifier);

    expect(err.code).toBe(SmtpErrorCode.Tls);
    expect(err.classification).toBe('transient');
    expect(err.message).toContain(`127.0.0.1:${server.port}`);
    expect(server.mails).toHaveLength(0);
  });

  it('an untrusted certificate is a transient TLS failure, and no credentials are sent', async () => {
    server = await startSmtpServer({ cert });
    notifier = new SmtpNotifier(basicSettings(server.port, { tls: 'StartTLS' }));

    const err = await sendFailure(notifier);

    expect(err.code).toBe(SmtpErrorCode.Tls);
    expect(err.classification).toBe('transient');
    expect(server.auths).toHaveLength(0);
    expectNoSecret(err, [PASSWORD]);
  });

  it('StartTLS against a server that does not offer it is a transient TLS failure', async () => {
    server = await startSmtpServer();
    notifier = new SmtpNotifier(basicSettings(server.port, { tls: 'StartTLS', caFile: cert.file }));

    const err = await sendFailure(notifier);

    expect(err.code).toBe(SmtpErrorCode.Tls);
    expect(err.classification).toBe('transient');
    expect(server.auths).toHaveLength(0);
  });

  it('a send after close() is transient SMTP_NOTIFIER_CLOSED', async () => {
    server = await startSmtpServer();
    notifier = new SmtpNotifier(basicSettings(server.port));
    await notifier.send(message());
    await notifier.close();

    const err = await sendFailure(notifier);

    expect([err.code, err.classification]).toEqual([SmtpErrorCode.NotifierClosed, 'transient']);
  });
});
