// Central benchmark: site-to-central lag (central issue, point 12). A site
// submits cached calls at a steady rate (default 2,000 operations/s) to a
// loopback HTTP sink in its own process; the telemetry forwarder sends the
// audit events over the real gRPC site link to central (SQLite or
// PostgreSQL), which runs in its own process. Lag = the event's OccurredAtUtc at the site → the commit of
// its batch at central (IngestedAtUtc). Both clocks are this machine's.
import pino from 'pino';
import { BENCH_SITE, centralProcess } from '../lib/central.js';
import { TelemetryForwarder } from '../../src/site/index.js';
import { SiteLinkClient } from '../../src/transport/index.js';
import { machine } from '../lib/machine.js';
import { flags, report } from '../lib/options.js';
import { startSink } from '../lib/sink.js';
import { erpSystem, openSite, orderRequest } from '../lib/site.js';
import { summarize } from '../lib/stats.js';
import { scratchDir } from '../lib/tmp.js';

const opt = flags({ engine: 'sqlite', rate: 2_000, duration: 20, warmup: 3 });
const logger = pino({ level: 'warn' });
const tmp = scratchDir();

// Central in its own process, as in production.
const central = await centralProcess(opt.engine, tmp.dir);
const port = central.port;

const sink = await startSink();
const system = erpSystem(sink.url, 64, 1000);
const site = openSite({ dir: tmp.dir, sync: 'FULL', system });
const client = new SiteLinkClient({
  address: `127.0.0.1:${port}`,
  site: BENCH_SITE.name,
  secret: BENCH_SITE.secret,
  node: 'bench-site@bench',
  version: 'bench',
  logger,
  onCommand: () => Promise.resolve({ ok: false, errorCode: 'UNKNOWN_COMMAND', errorMessage: '' }),
});
const forwarder = new TelemetryForwarder({ store: site.store, sink: client, logger });
forwarder.start();

// Open loop: every 10 ms, submit what the rate says is due by now (so a late
// tick catches up), whatever the earlier operations are doing.
const startedAt = Date.now();
const measuredFrom = startedAt + opt.warmup * 1000;
const end = measuredFrom + opt.duration * 1000;
let n = 0;
let errors = 0;
const pending = new Set<Promise<unknown>>();
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    if (Date.now() >= end) {
      clearInterval(timer);
      resolve();
      return;
    }
    const due = Math.floor(((Date.now() - startedAt) * opt.rate) / 1000);
    while (n < due) {
      const p = site.engine.submit(orderRequest(system, n++)).catch(() => errors++);
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
  }, 10);
});
await Promise.all(pending);
// Let the forwarder catch up, then read the lag of every event measured.
while (site.store.outbox.depth().count > 0) await new Promise((r) => setTimeout(r, 50));
await forwarder.stop();

const from = new Date(measuredFrom).toISOString();
const to = new Date(end).toISOString();
const lags = await central.lags(from, to);
await client.stop();
await site.close();
await sink.close();
await central.close();
tmp.cleanup();

const lat = summarize(Float64Array.from(lags));
report({
  bench: 'lag',
  options: opt,
  machine: machine(),
  metrics: {
    lagP50Ms: lat.p50Ms,
    lagP99Ms: lat.p99Ms,
    operationsPerSecond: n / ((end - startedAt) / 1000),
    eventsPerSecond: lags.length / opt.duration,
  },
  checks: { submitted: n, errors, sent: forwarder.stats.sent, forwarderFailures: forwarder.stats.failures },
});
