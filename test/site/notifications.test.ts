// Notifications at the site (notification issue, points 4–6; seed 003 WP-13
// tests 4 and 5 and its negative test): `Notify.To(list).Send` from a script,
// tracked and store-and-forwarded like every cached operation, delivered to a
// real SMTP server on loopback.
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/index.js';
import { SiteRuntime } from '../../src/site/index.js';
import { tempDir } from '../support/index.js';
import { closedPort } from '../support/net.js';
import { writeProject } from '../support/project.js';
import { header } from '../integrations/smtp/mime.js';
import { type TestSmtpServer, startSmtpServer } from '../integrations/smtp/server.js';

const logger = pino({ level: 'silent' });

const scripts = {
  'send.js': `return await Notify.To(Parameters.list).Send(Parameters.subject, Parameters.body);`,
  'status.js': `return await Notify.Status(Parameters.id);`,
  'via-shared.js': `return await Scripts.Call('alert', { subject: Parameters.subject });`,
  'shared/alert.js': `return await Notify.To('Operators').Send(Parameters.subject, 'from a shared script');`,
  'on-alarm.js': `await Notify.To('Operators').Send(Parameters.alarm + ' active', 'Flow is ' + Parameters.value);`,
  'send-catch.js': `try { return await Notify.To(Parameters.list).Send('s', 'b'); }
    catch (e) { return { code: e.code, classification: e.classification, id: e.trackedOperationId, message: e.message }; }`,
};

function project(smtpPort: number, extra: object = {}): object {
  return {
    sites: { plant1: {} },
    instances: {
      Pump1: {
        site: 'plant1',
        attributes: { Flow: { type: 'number', initial: 10 } },
        alarms: { HighFlow: { attribute: 'Flow', kind: 'high', limit: 90, deadband: 5 } },
        scripts: {
          send: { file: 'send.js', triggers: ['call'] },
          viaShared: { file: 'via-shared.js', triggers: ['call'] },
          onAlarm: { file: 'on-alarm.js', triggers: [{ alarm: 'HighFlow' }] },
          status: { file: 'status.js', triggers: ['call'] },
          sendCatch: { file: 'send-catch.js', triggers: ['call'] },
        },
      },
    },
    sharedScripts: { alert: { file: 'shared/alert.js' } },
    notificationLists: { Operators: ['ops@plant.example', 'lead@plant.example'], Shift: ['ops@plant.example', 'gone@plant.example', 'lead@plant.example'] },
    smtp: {
      host: '127.0.0.1',
      port: smtpPort,
      tls: 'None',
      auth: { type: 'Basic', username: 'plant1', password: 'smtp-pw' },
      fromAddress: 'plant1@plant.example',
      connectionTimeout: '2s',
      maxRetries: 5,
      retryInterval: '50ms',
      ...extra,
    },
  };
}

describe('notifications (Notify.To(list).Send)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let smtp: TestSmtpServer | undefined;
  let site: SiteRuntime | undefined;

  const open = (port: number, extra: object = {}): SiteRuntime => {
    const dir = writeProject(join(tmp.dir, 'project'), project(port, extra), scripts);
    site = new SiteRuntime({ project: loadProject(dir), dataDir: join(tmp.dir, 'data'), logger, pollIntervalMs: 20 });
    site.start();
    return site;
  };
  const send = (s: SiteRuntime, subject = 'High flow', body = 'Pump1 flow is 95'): Promise<string> =>
    s.callScript('Pump1', 'send', { list: 'Operators', subject, body }) as Promise<string>;

  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await site?.stop(1_000);
    await smtp?.close();
    site = undefined;
    smtp = undefined;
    tmp.cleanup();
  });

  it('scenario 4: a Send is delivered at once: one e-mail, recipients in BCC only, From in To, plain text, tracked as Notification', async () => {
    smtp = await startSmtpServer();
    const s = open(smtp.port);
    const id = await send(s);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await smtp.waitForMails(1);
    const [mail] = smtp.mails;
    expect(mail).toMatchObject({ user: 'plant1', mailFrom: 'plant1@plant.example' });
    expect([...mail!.rcptTo].sort()).toEqual(['lead@plant.example', 'ops@plant.example']);
    expect(header(mail!, 'to')).toBe('plant1@plant.example');
    expect(header(mail!, 'bcc') !== undefined).toBe(false);
    expect(header(mail!, 'subject')).toBe('High flow');
    expect(header(mail!, 'content-type')).toMatch(/^text\/plain/);
    expect(mail!.body.trim()).toBe('Pump1 flow is 95');

    const done = await s.store.waitFor(id, ['Delivered']);
    expect(done).toMatchObject({ channel: 'Notification', sourceInstanceId: 'Pump1', sourceScript: 'send', target: 'Operators: High flow' });
    expect(s.store.outbox.forOperation(id).map((e) => `${e.kind}/${e.status}`)).toEqual([
      'CachedSubmit/Submitted',
      'NotificationCached/Attempted',
      'CachedResolve/Delivered',
    ]);
    // Notify.Status is Tracking.Status.
    expect(await s.callScript('Pump1', 'status', { id })).toMatchObject({ TrackedOperationId: id, Status: 'Delivered' });
  });

  it('scenario 5: with the SMTP server down the Send is buffered and retried, and delivered once the server is back', async () => {
    const port = await closedPort();
    const s = open(port);
    const id = await send(s, 'Pump stopped');
    const forwarded = s.store.status(id);
    expect(forwarded).toMatchObject({ status: 'Forwarded', channel: 'Notification' });
    expect(forwarded?.lastError).toMatch(/SMTP 127\.0\.0\.1:\d+/);
    expect(s.store.buffer.counts().total).toBe(1);

    smtp = await startSmtpServer({ port });
    await smtp.waitForMails(1);
    await s.store.waitFor(id, ['Delivered']);
    const trail = s.store.outbox.forOperation(id).map((e) => `${e.kind}/${e.status}`);
    expect(trail.slice(0, 2)).toEqual(['CachedSubmit/Submitted', 'NotificationCached/Forwarded']);
    expect(trail.slice(-2)).toEqual(['NotificationCached/Attempted', 'CachedResolve/Delivered']);
    expect(header(smtp.mails[0]!, 'subject')).toBe('Pump stopped');
    expect(s.store.buffer.counts().total).toBe(0);
  });

  it('an SMTP 5xx rejection is returned to the script at once, recorded Failed and not buffered', async () => {
    smtp = await startSmtpServer();
    smtp.rejectAt('MAIL', 550, 'sender not allowed');
    const s = open(smtp.port);
    const err = (await s.callScript('Pump1', 'sendCatch', { list: 'Operators' })) as { code: string; classification: string; id: string; message: string };
    expect(err).toMatchObject({ code: 'SMTP_REPLY', classification: 'permanent' });
    expect(err.message).toContain('550');
    expect(s.store.status(err.id)).toMatchObject({ status: 'Failed', channel: 'Notification' });
    expect(s.store.buffer.counts().total).toBe(0);
    expect(smtp.mails).toHaveLength(0);
  });

  it('a Send the server refuses one of three recipients of (550 5.1.1): Delivered to the two, the refused address and its reply in LastError, both attempt audit events and a warn event', async () => {
    smtp = await startSmtpServer();
    smtp.rejectRecipient('gone@plant.example', 550, '5.1.1 <gone@plant.example>: user unknown');
    const s = open(smtp.port);
    const id = (await s.callScript('Pump1', 'send', { list: 'Shift', subject: 'High flow', body: 'b' })) as string;
    const done = await s.store.waitFor(id, ['Delivered']);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.rcptTo).toEqual(['ops@plant.example', 'lead@plant.example']);

    const refused = 'gone@plant.example (550 5.1.1 <gone@plant.example>: user unknown)';
    expect(done.lastError).toContain('refused 1 of 3 recipients');
    expect(done.lastError).toContain(refused);
    const trail = s.store.outbox.forOperation(id);
    expect(trail.map((e) => `${e.kind}/${e.status}`)).toEqual(['CachedSubmit/Submitted', 'NotificationCached/Attempted', 'CachedResolve/Delivered']);
    for (const e of trail.slice(1)) expect(e.error).toBe(done.lastError);

    const [event] = s.store.events.query({}).filter((e) => e.trackedOperationId === id);
    expect(event).toMatchObject({ level: 'warn', category: 'PermanentFailure', instance: 'Pump1', script: 'send' });
    expect(event!.message).toContain(refused);
    expect(event!.details).toMatchObject({
      code: 'SMTP_RECIPIENTS_REJECTED',
      rejectedCount: 1,
      recipientCount: 3,
      rejected: [{ recipient: 'gone@plant.example', reply: '550 5.1.1 <gone@plant.example>: user unknown', smtpCode: 550 }],
    });
  });

  it('a Send every recipient of which the server takes records no error and logs no event', async () => {
    smtp = await startSmtpServer();
    const s = open(smtp.port);
    const id = (await s.callScript('Pump1', 'send', { list: 'Shift', subject: 'High flow', body: 'b' })) as string;
    expect((await s.store.waitFor(id, ['Delivered'])).lastError).toBeNull();
    expect(s.store.outbox.forOperation(id).map((e) => e.error)).toEqual([null, null, null]);
    expect(s.store.events.query({}).filter((e) => e.trackedOperationId === id)).toEqual([]);
  });

  it('an SMTP 4xx is transient: buffered, retried, delivered when the server accepts again', async () => {
    smtp = await startSmtpServer();
    smtp.rejectAt('RCPT', 451, 'try later');
    const s = open(smtp.port);
    const id = await send(s);
    expect(s.store.status(id)).toMatchObject({ status: 'Forwarded' });
    smtp.rejectAt(undefined);
    await s.store.waitFor(id, ['Delivered']);
    expect(smtp.mails).toHaveLength(1);
  });

  it('parks a notification after maxRetries while the server stays down', async () => {
    const s = open(await closedPort(), { maxRetries: 2, retryInterval: '10ms' });
    const id = await send(s);
    const parked = await s.store.waitFor(id, ['Parked']);
    expect(parked).toMatchObject({ channel: 'Notification', retryCount: 2 });
  });

  it('an unknown list is a clear script error, and nothing is recorded', async () => {
    smtp = await startSmtpServer();
    const s = open(smtp.port);
    const err = (await s.callScript('Pump1', 'sendCatch', { list: 'Nobody' })) as { code: string; message: string };
    expect(err).toMatchObject({ code: 'UNKNOWN_NOTIFICATION_LIST' });
    expect(err.message).toContain('no notification list Nobody (lists: Operators, Shift)');
    expect(s.store.tracking.changedSince(0, 10)).toHaveLength(0);
  });

  it('the SMTP password never appears in a recorded error', async () => {
    smtp = await startSmtpServer({ auth: () => 535 });
    const s = open(smtp.port);
    const err = (await s.callScript('Pump1', 'sendCatch', { list: 'Operators' })) as { code: string; id: string; message: string };
    expect(err.code).toBe('SMTP_AUTH');
    expect(JSON.stringify(s.store.status(err.id))).not.toContain('smtp-pw');
    expect(err.message).not.toContain('smtp-pw');
  });

  it('a burst of 200 sends never opens more than maxConnections (5) connections, and every e-mail arrives once', async () => {
    smtp = await startSmtpServer();
    const s = open(smtp.port);
    const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => send(s, `burst ${i}`)));
    expect(new Set(ids).size).toBe(200);
    await smtp.waitForMails(200);
    await Promise.all(ids.map((id) => s.store.waitFor(id, ['Delivered'])));
    expect(smtp.connections().max).toBeLessThanOrEqual(5);
    expect(new Set(smtp.mails.map((m) => header(m, 'subject'))).size).toBe(200);
  });

  it('shared scripts and alarm on-trigger scripts send too, recorded with their own script name', async () => {
    smtp = await startSmtpServer();
    const s = open(smtp.port);
    const id = (await s.callScript('Pump1', 'viaShared', { subject: 'Shared' })) as string;
    expect((await s.store.waitFor(id, ['Delivered'])).sourceScript).toBe('alert');
    await s.setAttribute('Pump1', 'Flow', 95);
    await smtp.waitForMails(2);
    expect(smtp.mails.map((m) => header(m, 'subject')).sort()).toEqual(['HighFlow active', 'Shared']);
  });
});
