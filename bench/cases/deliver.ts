// Benchmark 2: delivered operations per second end to end. Callers submit
// cached calls; each is recorded, attempted immediately against a loopback
// HTTP sink in a separate process (200 JSON), and recorded Delivered; the
// caller's submit resolves after that commit, so its latency is
// submit-to-Delivered.
import { machine } from '../lib/machine.js';
import { closedLoop } from '../lib/load.js';
import { flags, report, syncMode } from '../lib/options.js';
import { startSink } from '../lib/sink.js';
import { erpSystem, openSite, orderRequest } from '../lib/site.js';
import { summarize } from '../lib/stats.js';
import { scratchDir } from '../lib/tmp.js';

const opt = flags({ sync: 'FULL', callers: 256, concurrency: 64, duration: 10, warmup: 2, gateway: 'thread' });

const tmp = scratchDir();
const sink = await startSink();
const system = erpSystem(sink.url, opt.concurrency, 1000);
const site = openSite({ dir: tmp.dir, sync: syncMode(opt.sync), system, gateway: opt.gateway });

const started = performance.now();
const run = await closedLoop({
  callers: opt.callers,
  warmupMs: opt.warmup * 1000,
  durationMs: opt.duration * 1000,
  op: async (n) => (await site.engine.submit(orderRequest(system, n))).status === 'Delivered',
});
const { commits, jobs } = site.store.committer.stats;
const elapsed = (performance.now() - started) / 1000;
const buffered = site.store.buffer.counts().total;
await site.close();
const requests = await sink.requests();
await sink.close();
tmp.cleanup();

const lat = summarize(run.latencies);
report({
  bench: 'deliver',
  options: opt,
  machine: machine(),
  metrics: {
    perSecond: run.perSecond,
    p50Ms: lat.p50Ms,
    p99Ms: lat.p99Ms,
    cpuCores: run.cpuCores,
    cpuUsPerOp: (run.cpuCores * 1e6) / run.perSecond,
    loopBusy: run.loopBusy,
    jobsPerCommit: jobs / commits,
    commitsPerSecond: commits / elapsed,
  },
  checks: { unexpected: run.unexpected, errors: run.errors, firstError: run.firstError, buffered, sinkRequests: requests },
});
