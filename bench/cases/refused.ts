// Benchmark 1: durable cached calls per second while the target refuses
// connections. Each engine.submit records Submitted + CachedSubmit, makes the
// immediate attempt (connection refused: transient), records Forwarded and
// resolves; every step is committed (fsync under synchronous=FULL) before the
// caller hears of it. `--handler instant` replaces the HTTP attempt with an
// immediate transient failure to show the store/engine ceiling alone.
import { machine } from '../lib/machine.js';
import { closedLoop } from '../lib/load.js';
import { flags, report, syncMode } from '../lib/options.js';
import { closedPort, erpSystem, instantTransient, openSite, orderRequest } from '../lib/site.js';
import { summarize } from '../lib/stats.js';
import { scratchDir } from '../lib/tmp.js';

const opt = flags({ sync: 'FULL', callers: 1024, concurrency: 64, duration: 10, warmup: 2, handler: 'http', gateway: 'thread' });
if (opt.handler !== 'http' && opt.handler !== 'instant') throw new Error('--handler is http or instant');

const tmp = scratchDir();
const port = await closedPort();
// retryInterval of an hour: the dispatcher finds nothing due during the run.
const system = erpSystem(`http://127.0.0.1:${port}`, opt.concurrency, 3_600_000);
const site = openSite({
  dir: tmp.dir,
  sync: syncMode(opt.sync),
  system,
  gateway: opt.gateway,
  ...(opt.handler === 'instant' ? { handler: instantTransient } : {}),
});

const run = await closedLoop({
  callers: opt.callers,
  warmupMs: opt.warmup * 1000,
  durationMs: opt.duration * 1000,
  op: async (n) => (await site.engine.submit(orderRequest(system, n))).status === 'Forwarded',
});
const { commits, jobs } = site.store.committer.stats;
const buffered = site.store.buffer.counts().total;
const submitted = site.engine.stats.submitted;
await site.close();
tmp.cleanup();

const lat = summarize(run.latencies);
report({
  bench: 'refused',
  options: opt,
  machine: machine(),
  metrics: {
    perSecond: run.perSecond,
    p50Ms: lat.p50Ms,
    p99Ms: lat.p99Ms,
    cpuCores: run.cpuCores,
    cpuUsPerOp: (run.cpuCores * 1e6) / run.perSecond,
    jobsPerCommit: jobs / commits,
  },
  checks: { unexpected: run.unexpected, errors: run.errors, firstError: run.firstError, buffered, submitted },
});
