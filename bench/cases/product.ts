// Issue 10, point 4: the whole product path against the engine alone, in one
// run. Product: 64 keep-alive HTTP callers make a real `scadalink site`
// process run `cached` (one ExternalSystem.CachedCall; the call returns once
// the operation is Delivered) through its admin API. Baseline: the site's
// store, engine and gateway driven directly in this process (as `deliver`
// does), 64 callers submitting the same ApiOutbound operation. Both deliver to
// one loopback sink in its own process, counted there (delivered/s).
// Target: product / baseline >= 0.5.
import { join } from 'node:path';
import { httpClient } from '../lib/http-client.js';
import { machine } from '../lib/machine.js';
import { flags, report, syncMode } from '../lib/options.js';
import { INSTANCE, orderParams, startSiteProcess, writeBenchProject } from '../lib/site-process.js';
import { measureLevel } from '../lib/site-load.js';
import { startSink } from '../lib/sink.js';
import { erpSystem, openSite, orderRequest } from '../lib/site.js';
import { scratchDir } from '../lib/tmp.js';

const opt = flags({ callers: 64, baselineCallers: 64, concurrency: 64, duration: 8, warmup: 2, warm: 8, max: 0, siteProf: '' });
const window = { warmupMs: opt.warmup * 1000, durationMs: opt.duration * 1000 };

const tmp = scratchDir();
const sink = await startSink();
let baseline, product;
try {
  // Baseline: the engine in this process, no site process running.
  const system = erpSystem(sink.url, opt.concurrency, 1000);
  const engineSite = openSite({ dir: join(tmp.dir, 'engine'), sync: syncMode('FULL'), system });
  try {
    baseline = await measureLevel({
      ...window,
      callers: opt.baselineCallers,
      op: async (n) => (await engineSite.engine.submit(orderRequest(system, n))).status === 'Delivered',
      pid: process.pid,
      sink,
    });
  } finally {
    await engineSite.close();
  }

  // Product: the site process, its admin API, the script, the same engine inside.
  const project = writeBenchProject(join(tmp.dir, 'project'), sink.url, opt.concurrency);
  const site = await startSiteProcess(project, join(tmp.dir, 'data'), ['--script-warm-isolates', String(opt.warm), ...(opt.max > 0 ? ['--script-max-isolates', String(opt.max)] : [])], opt.siteProf);
  const client = httpClient(site.url, opt.callers);
  try {
    product = await measureLevel({
      ...window,
      callers: opt.callers,
      op: async (n) => (await client.post(`/admin/api/instances/${INSTANCE}/scripts/cached/call`, orderParams(n))) === 200,
      pid: site.pid,
      sink,
    });
  } finally {
    await client.close();
    await site.stop();
  }
} finally {
  await sink.close();
  tmp.cleanup();
}

report({
  bench: 'product',
  options: opt,
  machine: machine(),
  metrics: {
    productDeliveredPerSecond: product.sinkPerSecond,
    productP50Ms: product.p50Ms,
    productSiteCpuUsPerOp: product.cpuUsPerOp,
    baselineDeliveredPerSecond: baseline.sinkPerSecond,
    baselineP50Ms: baseline.p50Ms,
    baselineCpuUsPerOp: baseline.cpuUsPerOp,
    ratio: product.sinkPerSecond / baseline.sinkPerSecond,
  },
  checks: { product: { ...product.checks, callsPerSecond: product.perSecond }, baseline: { ...baseline.checks, submitsPerSecond: baseline.perSecond } },
});
