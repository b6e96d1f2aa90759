// Notification issue, point 7: notifications delivered per second to a
// loopback SMTP server (its own process) with the default pool of 5
// connections. Callers submit Notification operations to the engine, as
// `Notify.To(list).Send` does; each is recorded, sent at once (one e-mail, the
// list in BCC) and recorded Delivered before the caller's submit resolves.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { Channel } from '../../src/commons/index.js';
import { NOTIFICATION_TARGET, type NotificationRequest, Notifications, SiteStore, StoreAndForwardEngine, notificationHandler } from '../../src/site/index.js';
import { closedLoop } from '../lib/load.js';
import { machine } from '../lib/machine.js';
import { flags, report, syncMode } from '../lib/options.js';
import { next } from '../lib/sink.js';
import { summarize } from '../lib/stats.js';
import { scratchDir } from '../lib/tmp.js';

const opt = flags({ sync: 'FULL', callers: 64, connections: 5, recipients: 3, duration: 10, warmup: 2 });

const child = fork(fileURLToPath(new URL('../lib/smtp-child.js', import.meta.url)), [], { execArgv: [], stdio: 'inherit' });
const { port } = await next<{ port: number }>(child, 'listening');

const tmp = scratchDir();
const store = new SiteStore(join(tmp.dir, 'site.db'), 'bench-site', { synchronous: syncMode(opt.sync) });
const notifications = new Notifications(() => ({
  host: '127.0.0.1',
  port,
  tls: 'None',
  auth: { type: 'None' },
  fromAddress: 'plant1@plant.example',
  connectionTimeoutMs: 30_000,
  maxConnections: opt.connections,
  retry: { maxRetries: 10, retryIntervalMs: 60_000 },
}));
const engine = new StoreAndForwardEngine({
  store,
  logger: pino({ level: 'warn' }),
  handlers: { Notification: notificationHandler(notifications) },
  concurrencyOf: () => opt.connections,
});
engine.start();
const recipients = Array.from({ length: opt.recipients }, (_, i) => `operator${i}@plant.example`);

const run = await closedLoop({
  callers: opt.callers,
  warmupMs: opt.warmup * 1000,
  durationMs: opt.duration * 1000,
  op: async (n) => {
    const request: NotificationRequest = { list: 'Operators', recipients, subject: `High flow ${n}`, body: `Pump1 flow is ${n % 100}` };
    const out = await engine.submit({
      channel: Channel.Notification,
      target: NOTIFICATION_TARGET,
      targetSummary: `Operators: High flow ${n}`,
      request,
      maxRetries: 10,
      retryIntervalMs: 60_000,
      sourceInstanceId: 'Pump1',
      sourceScript: 'bench',
    });
    return out.status === 'Delivered';
  },
});
const buffered = store.buffer.counts().total;
await engine.stop(30_000);
await notifications.close();
store.close();
child.send({ type: 'stats' });
const stats = await next<{ messages: number; maxOpen: number }>(child, 'stats');
child.send({ type: 'close' });
tmp.cleanup();

const lat = summarize(run.latencies);
report({
  bench: 'notify',
  options: opt,
  machine: machine(),
  metrics: {
    perSecond: run.perSecond,
    p50Ms: lat.p50Ms,
    p99Ms: lat.p99Ms,
    cpuCores: run.cpuCores,
    cpuUsPerOp: (run.cpuCores * 1e6) / run.perSecond,
  },
  checks: { unexpected: run.unexpected, errors: run.errors, firstError: run.firstError, buffered, serverMessages: stats.messages, serverMaxConnections: stats.maxOpen },
});
