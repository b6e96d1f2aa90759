// Issue 10, point 5: RSS of a real `scadalink site` process with 0, 8 and 64
// warm script isolates (--script-warm-isolates). Per setting, a fresh site:
// RSS once it listens (no script run yet, so no isolate); after one run of
// `trivial` (which creates the sandbox) once the isolates gauge on /metrics
// shows the warm ones and the process has gone quiet (their spare contexts
// prepared); and after a 64-caller burst of `trivial` (up to 64 isolates at
// once), with the peak (VmHWM) over the whole life of the process.
import { join } from 'node:path';
import { httpClient } from '../lib/http-client.js';
import { machine } from '../lib/machine.js';
import { flags, report } from '../lib/options.js';
import { cpuQuiet } from '../lib/proc.js';
import { INSTANCE, type SiteChild, orderParams, startSiteProcess, writeBenchProject } from '../lib/site-process.js';
import { measureLevel } from '../lib/site-load.js';
import { startSink } from '../lib/sink.js';
import { scratchDir } from '../lib/tmp.js';

const opt = flags({ warms: '0,8,64', burstCallers: 64, burst: 2 });

/** Polls the isolates gauge until it reaches `count` (the gauge is the event; no blind sleep). */
async function isolatesReach(site: SiteChild, count: number, limitMs = 30_000): Promise<number> {
  const until = performance.now() + limitMs;
  for (;;) {
    const n = await site.metric('scadalink_script_isolates');
    if (n >= count) return n;
    if (performance.now() > until) throw new Error(`isolates stayed at ${n}, expected ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const tmp = scratchDir();
const sink = await startSink();
const project = writeBenchProject(join(tmp.dir, 'project'), sink.url);
const metrics: Record<string, number> = {};
const checks: Record<string, unknown> = {};
try {
  for (const warm of opt.warms.split(',').map(Number)) {
    const site = await startSiteProcess(project, join(tmp.dir, `data-${warm}`), ['--script-warm-isolates', String(warm)]);
    const client = httpClient(site.url, opt.burstCallers);
    const call = (script: string, n = 0): Promise<number> =>
      client.post(`/admin/api/instances/${INSTANCE}/scripts/${script}/call`, script === 'cached' ? orderParams(n) : {});
    try {
      await cpuQuiet(site.pid, 10, 250);
      metrics[`w${warm}StartedMiB`] = site.memoryMiB().rss;
      await call('trivial');
      // One run's isolate, or the warm ones (the run took one of them).
      const idleIsolates = await isolatesReach(site, Math.max(warm, 1));
      await cpuQuiet(site.pid, 10, 250);
      metrics[`w${warm}IdleMiB`] = site.memoryMiB().rss;
      const burst = await measureLevel({ callers: opt.burstCallers, warmupMs: 0, durationMs: opt.burst * 1000, op: async (n) => (await call('cached', n)) === 200 });
      const burstIsolates = await site.metric('scadalink_script_isolates');
      await cpuQuiet(site.pid, 10, 250);
      const after = site.memoryMiB();
      metrics[`w${warm}AfterBurstMiB`] = after.rss;
      metrics[`w${warm}PeakMiB`] = after.hwm;
      metrics[`w${warm}BurstIsolates`] = burstIsolates;
      checks[`w${warm}`] = { idleIsolates, burstRunsPerSecond: burst.perSecond, ...burst.checks };
    } finally {
      await client.close();
      await site.stop();
    }
  }
} finally {
  await sink.close();
  tmp.cleanup();
}
report({ bench: 'script-memory', options: opt, machine: machine(), metrics, checks });
