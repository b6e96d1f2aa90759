// Issue 10, point 3: a script run through a real `scadalink site` process and
// its admin API over keep-alive HTTP, at 1, 4 and 64 concurrent callers. Per
// level and target: runs/s, p50, and the SITE process's CPU per request
// (/proc/<pid>/stat, all threads, over the window / requests). Targets:
// `attributes` (GET /admin/api/instances/Pump1/attributes: the admin API
// without a script, the HTTP reference), `trivial` (return 1) and `cached`
// (one ExternalSystem.CachedCall to the loopback sink in its own process; the
// call returns once the operation is Delivered). `...ScriptUs` = the script's
// CPU per run minus the reference's per request at the same level.
import { join } from 'node:path';
import { httpClient } from '../lib/http-client.js';
import { machine } from '../lib/machine.js';
import { flags, report } from '../lib/options.js';
import { INSTANCE, orderParams, startSiteProcess, writeBenchProject } from '../lib/site-process.js';
import { measureLevel } from '../lib/site-load.js';
import { startSink } from '../lib/sink.js';
import { scratchDir } from '../lib/tmp.js';

const opt = flags({ levels: '1,4,64', duration: 3, warmup: 1, warm: 8, siteProf: '' });

const tmp = scratchDir();
const sink = await startSink();
const project = writeBenchProject(join(tmp.dir, 'project'), sink.url);
const site = await startSiteProcess(project, join(tmp.dir, 'data'), ['--script-warm-isolates', String(opt.warm)], opt.siteProf);

const metrics: Record<string, number> = {};
const checks: Record<string, unknown> = {};
try {
  for (const callers of opt.levels.split(',').map(Number)) {
    const client = httpClient(site.url, callers);
    const targets: Record<string, (n: number) => Promise<number>> = {
      attributes: () => client.get(`/admin/api/instances/${INSTANCE}/attributes`),
      trivial: () => client.post(`/admin/api/instances/${INSTANCE}/scripts/trivial/call`, {}),
      cached: (n) => client.post(`/admin/api/instances/${INSTANCE}/scripts/cached/call`, orderParams(n)),
    };
    for (const [name, call] of Object.entries(targets)) {
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
      if (name !== 'attributes') metrics[`${key}ScriptUs`] = r.cpuUsPerOp - metrics[`c${callers}AttributesSiteCpuUs`]!;
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
