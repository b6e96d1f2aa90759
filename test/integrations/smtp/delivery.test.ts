// Seed WP-10 / WP-11 against a real SMTP server: one plain-text e-mail per
// send, the from address in To, every recipient only in the envelope (BCC),
// the three TLS modes, and the connection limit under a burst.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../../src/commons/index.js';
import { SmtpErrorCode, SmtpNotifier } from '../../../src/integrations/index.js';
import { FROM, PASSWORD, basicSettings, message, selfSignedCert, sendFailure, type SelfSigned } from './fixtures.js';
import { header } from './mime.js';
import { startSmtpServer, type TestSmtpServer } from './server.js';

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

describe('SmtpNotifier delivery', () => {
  it('sends one text/plain e-mail with Basic auth: To is the from address, recipients only in the envelope', async () => {
    server = await startSmtpServer();
    notifier = new SmtpNotifier(basicSettings(server.port));
    const recipients = ['ops@plant.example', 'chief@plant.example', 'night-shift@plant.example'];

    const result = await notifier.send({ subject: 'Tank 3 level high', body: 'Tank 3 is at 97%.\nCheck the inlet valve.', recipients });

    expect(server.mails).toHaveLength(1);
    const mail = server.mails[0]!;
    expect(server.auths).toEqual([expect.objectContaining({ username: 'site-a', password: PASSWORD, accepted: true })]);
    expect(mail.user).toBe('site-a');
    expect(mail.mailFrom).toBe(FROM);
    expect(mail.rcptTo).toEqual(recipients);
    expect(header(mail, 'from')).toBe(FROM);
    expect(mail.headers.filter(([n]) => n === 'to')).toEqual([['to', FROM]]);
    expect(header(mail, 'bcc')).toBeUndefined();
    expect(header(mail, 'cc')).toBeUndefined();
    for (const r of recipients) expect(mail.raw).not.toContain(r);
    expect(header(mail, 'subject')).toBe('Tank 3 level high');
    expect(header(mail, 'content-type')).toMatch(/^text\/plain\b/);
    expect(mail.raw.toLowerCase()).not.toContain('text/html');
    expect(mail.body.trimEnd()).toBe('Tank 3 is at 97%.\nCheck the inlet valve.');
    expect(result.messageId).toBe(header(mail, 'message-id'));
    expect(result.durationMs).toBeGreaterThan(0);
  });

  it('a server refusing one of three recipients at RCPT TO (550 5.1.1): the others get the e-mail, the send names the refused one with its reply', async () => {
    server = await startSmtpServer();
    server.rejectRecipient('gone@plant.example', 550, '5.1.1 <gone@plant.example>: user unknown');
    notifier = new SmtpNotifier(basicSettings(server.port));
    const recipients = ['ops@plant.example', 'gone@plant.example', 'chief@plant.example'];

    const result = await notifier.send({ subject: 'Tank 3 level high', body: 'Tank 3 is at 97%.', recipients });

    expect(server.mails).toHaveLength(1);
    expect(server.mails[0]!.rcptTo).toEqual(['ops@plant.example', 'chief@plant.example']);
    expect(result.rejected).toEqual([{ recipient: 'gone@plant.example', reply: '550 5.1.1 <gone@plant.example>: user unknown', smtpCode: 550 }]);
  });

  it('a server taking every recipient: the send reports none refused', async () => {
    server = await startSmtpServer();
    notifier = new SmtpNotifier(basicSettings(server.port));
    expect((await notifier.send(message())).rejected).toEqual([]);
  });

  it('a server refusing every recipient: the send fails (5xx only: permanent; any 4xx among them: transient)', async () => {
    server = await startSmtpServer();
    server.rejectRecipient('a@plant.example', 550, '5.1.1 user unknown');
    server.rejectRecipient('b@plant.example', 550, '5.1.1 user unknown');
    notifier = new SmtpNotifier(basicSettings(server.port));
    const permanent = await notifier.send({ subject: 's', body: 'b', recipients: ['a@plant.example', 'b@plant.example'] }).catch((e: unknown) => e);
    expect(permanent).toBeInstanceOf(DeliveryError);
    expect(permanent).toMatchObject({ code: SmtpErrorCode.Reply, classification: 'permanent' });
    server.rejectRecipient('b@plant.example', 452, '4.2.2 mailbox full');
    const transient = await notifier.send({ subject: 's', body: 'b', recipients: ['a@plant.example', 'b@plant.example'] }).catch((e: unknown) => e);
    expect(transient).toMatchObject({ code: SmtpErrorCode.Reply, classification: 'transient' });
    expect(server.mails).toHaveLength(0);
  });

  it('StartTLS upgrades before authenticating (self-signed certificate trusted via ca)', async () => {
    server = await startSmtpServer({ cert });
    notifier = new SmtpNotifier(basicSettings(server.port, { tls: 'StartTLS', caFile: cert.file }));

    await notifier.send(message());

    expect(server.auths).toEqual([expect.objectContaining({ secure: true, accepted: true })]);
    expect(server.mails.map((m) => m.secure)).toEqual([true]);
  });

  it('SSL speaks TLS from the first byte', async () => {
    server = await startSmtpServer({ secure: true, cert });
    notifier = new SmtpNotifier(basicSettings(server.port, { tls: 'SSL', caFile: cert.file }));

    await notifier.send(message());

    expect(server.auths).toEqual([expect.objectContaining({ secure: true, accepted: true })]);
    expect(server.mails.map((m) => m.secure)).toEqual([true]);
  });

  it('None never upgrades, even when the server offers STARTTLS', async () => {
    server = await startSmtpServer({ cert });
    notifier = new SmtpNotifier(basicSettings(server.port, { auth: { type: 'None' } }));

    await notifier.send(message());

    expect(server.auths).toEqual([]);
    expect(server.mails.map((m) => [m.secure, m.user])).toEqual([[false, undefined]]);
  });

  it('a burst of 200 sends never opens more than maxConnections (5) connections, and all 200 arrive', async () => {
    server = await startSmtpServer();
    notifier = new SmtpNotifier(basicSettings(server.port, { maxConnections: 5 }));

    const sends = Array.from({ length: 200 }, (_, i) => notifier!.send(message(i, [`op${i}@plant.example`])));
    const results = await Promise.all(sends);

    expect(server.mails).toHaveLength(200);
    expect(new Set(server.mails.map((m) => header(m, 'subject'))).size).toBe(200);
    expect(new Set(results.map((r) => r.messageId)).size).toBe(200);
    const { max, total } = server.connections();
    expect(max).toBeLessThanOrEqual(5);
    expect(max).toBeGreaterThan(1);
    expect(total).toBeLessThanOrEqual(5);
  });

  it('a send without recipients fails permanently without contacting the server', async () => {
    server = await startSmtpServer();
    notifier = new SmtpNotifier(basicSettings(server.port));

    const err = await sendFailure(notifier, message(1, []));

    expect(err.code).toBe(SmtpErrorCode.InvalidMessage);
    expect(err.classification).toBe('permanent');
    expect(server.connections().total).toBe(0);
  });

  it('an unreadable caFile is a transient SMTP_TLS failure naming the file, and nothing is sent', () => {
    let err: unknown;
    try {
      new SmtpNotifier(basicSettings(1, { tls: 'StartTLS', caFile: '/nonexistent/ca.pem' }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ code: SmtpErrorCode.Tls, classification: 'transient' });
    expect((err as DeliveryError).message).toContain('cannot read caFile /nonexistent/ca.pem (ENOENT)');
  });
});
