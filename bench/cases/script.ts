// Benchmark 1b: durable cached calls per second made THROUGH A SCRIPT while
// the target refuses connections. A site runtime runs a real project; each
// script run (a `call` trigger, as the admin API or Route.To would start it)
// makes `--batch` ExternalSystem.CachedCall()s at once inside the isolate and
// returns their ids. Every call is recorded, attempted (refused: transient)
// and buffered (Forwarded), each step committed before the script hears of it.
// `--batch 1` shows the cost of one script run per call.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { loadProject } from '../../src/config/index.js';
import { SiteRuntime } from '../../src/site/index.js';
import { closedLoop } from '../lib/load.js';
import { machine } from '../lib/machine.js';
import { flags, report, syncMode } from '../lib/options.js';
import { closedPort } from '../lib/site.js';
import { summarize } from '../lib/stats.js';
import { scratchDir } from '../lib/tmp.js';

const opt = flags({ sync: 'FULL', callers: 32, batch: 64, concurrency: 64, duration: 10, warmup: 2 });
const tmp = scratchDir();
const projectDir = join(tmp.dir, 'project');
mkdirSync(join(projectDir, 'scripts'), { recursive: true });
writeFileSync(
  join(projectDir, 'scadalink.yaml'),
  stringify({
    sites: { plant1: {} },
    instances: { Pump1: { site: 'plant1', scripts: { submit: { file: 'submit.js', triggers: ['call'] } } } },
    externalSystems: {
      ERP: {
        baseUrl: `http://127.0.0.1:${await closedPort()}`,
        maxConcurrency: opt.concurrency,
        maxRetries: 10,
        // An hour: the dispatcher finds nothing due during the run.
        retryInterval: '1h',
        methods: { postOrder: { verb: 'POST', path: '/orders', parameters: { orderId: { type: 'string' }, qty: { type: 'integer' } } } },
      },
    },
  }),
);
writeFileSync(
  join(projectDir, 'scripts', 'submit.js'),
  `return await Promise.all(Parameters.orders.map((o) => ExternalSystem.CachedCall('ERP', 'postOrder', o)));`,
);

const site = new SiteRuntime({
  project: loadProject(projectDir),
  dataDir: join(tmp.dir, 'data'),
  logger: pino({ level: 'silent' }),
  synchronous: syncMode(opt.sync),
});
site.start();

const run = await closedLoop({
  callers: opt.callers,
  warmupMs: opt.warmup * 1000,
  durationMs: opt.duration * 1000,
  op: async (n) => {
    const orders = Array.from({ length: opt.batch }, (_, i) => ({ orderId: `PO-${n}-${i}`, qty: 1 }));
    const ids = (await site.callScript('Pump1', 'submit', { orders })) as string[];
    return ids.length === opt.batch;
  },
});
const forwarded = site.store.buffer.counts().total;
await site.stop(1000);
tmp.cleanup();

const lat = summarize(run.latencies);
report({
  bench: 'script',
  options: opt,
  machine: machine(),
  metrics: {
    perSecond: run.perSecond * opt.batch,
    scriptRunsPerSecond: run.perSecond,
    runP50Ms: lat.p50Ms,
    runP99Ms: lat.p99Ms,
    cpuCores: run.cpuCores,
    cpuUsPerOp: (run.cpuCores * 1e6) / (run.perSecond * opt.batch),
  },
  checks: { unexpected: run.unexpected, errors: run.errors, firstError: run.firstError, forwarded, scriptErrors: site.scriptStats.errors },
});
