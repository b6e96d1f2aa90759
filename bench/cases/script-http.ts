// Issue 10, point 3: a script run through a real `scadalink site` process and
// its admin API over keep-alive HTTP, at 1, 4 and 64 concurrent callers. Per
// level and target: runs/s, p50, and the SITE process's CPU per request
// (/proc/<pid>/stat, all threads, over the window / requests). Targets:
// `health` (GET /health: the server's cheapest route, the reference),
// `attributes` (GET /admin/api/instances/Pump1/attributes: the admin API
// without a script), `trivial` (return 1) and `cached` (one
// ExternalSystem.CachedCall to the loopback sink in its own process; the call
// returns once the operation is Delivered). `…SiteCpuUs` is the absolute site
// CPU per request; `…OverHealthUs` that minus the reference's per request at
// the same level (what the request adds over the cheapest one). `--targets`
// measures only some (the reference is always measured, first, unless
// `--reference=false`).
import { join } from 'node:path';
import { httpClient } from '../lib/http-client.js';
import { machine } from '../lib/machine.js';
import { flags, report } from '../lib/options.js';
import { INSTANCE, orderParams, startSiteProcess, writeBenchProject } from '../lib/site-process.js';
import { measureLevel } from '../lib/site-load.js';
import { startSink } from '../lib/sink.js';
import { scratchDir } from '../lib/tmp.js';

const opt = flags({ levels: '1,4,64', duration: 3, warmup: 1, warm: 8, max: 0, siteProf: '', targets: 'health,attributes,trivial,cached', reference: true });
// `--reference=false` (for a profile of one target alone) skips the reference and the figures over it.
const chosen = new Set([...(opt.reference ? ['health'] : []), ...opt.targets.split(',')]);

const tmp = scratchDir();
const sink = await startSink();
const project = writeBenchProject(join(tmp.dir, 'project'), sink.url);
const site = await startSiteProcess(project, join(tmp.dir, 'data'), ['--script-warm-isolates', String(opt.warm), ...(opt.max > 0 ? ['--script-max-isolates', String(opt.max)] : [])], opt.siteProf);

const metrics: Record<string, number> = {};
const checks: Record<string, unknown> = {};
try {
  for (const callers of opt.levels.split(',').map(Number)) {
    const client = httpClient(site.url, callers);
    const targets: Record<string, (n: number) => Promise<number>> = {
      health: () => client.get('/health'),
      attributes: () => client.get(`/admin/api/instances/${INSTANCE}/attributes`),
      trivial: () => client.post(`/admin/api/instances/${INSTANCE}/scripts/trivial/call`, {}),
      cached: (n) => client.post(`/admin/api/instances/${INSTANCE}/scripts/cached/call`, orderParams(n)),
    };
    for (const [name, call] of Object.entries(targets)) {
      if (!chosen.has(name)) continue;
      const r = await measureLevel({
        callers,
        warmupMs: opt.warmup * 1000,
        durationMs: opt.duration * 1000,
        op: async (n) => (await call(n)) === 200,
        pid: site.pid,
        sink,
      });
      const key = `c${callers}${name[0]!.toUpperCase()}${name.slice(1)}`;
      metrics[`${key}PerSecond`] = r.perSecond;
      metrics[`${key}P50Ms`] = r.p50Ms;
      metrics[`${key}SiteCpuUs`] = r.cpuUsPerOp;
      // Where it went: the site's main thread and its other threads (isolated-vm's, the gateway's), user and system.
      for (const [part, us] of Object.entries(r.cpuSplitUsPerOp ?? {})) metrics[`${key}${part[0]!.toUpperCase()}${part.slice(1)}Us`] = us;
      if (name !== 'health' && opt.reference) metrics[`${key}OverHealthUs`] = r.cpuUsPerOp - metrics[`c${callers}HealthSiteCpuUs`]!;
      if (name === 'cached') metrics[`${key}DeliveredPerSecond`] = r.sinkPerSecond;
      checks[key] = { ...r.checks, benchCores: Math.round(r.benchCores * 100) / 100 };
    }
    await client.close();
  }
} finally {
  await site.stop();
  await sink.close();
  tmp.cleanup();
}
report({ bench: 'script-http', options: opt, machine: machine(), metrics, checks });
