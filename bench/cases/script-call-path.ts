// Issue 10, point 3: the same two scripts as `script-http`, run in this process
// through the site's call path alone (SiteRuntime.callScript: no HTTP, no
// admin API) at 1, 4 and 64 concurrent callers. CPU µs per run is this
// process's (process.cpuUsage over the window: all threads, isolated-vm's and
// the HTTP gateway's included) / runs; the sink runs in its own process.
import { join } from 'node:path';
import pino from 'pino';
import { loadProject } from '../../src/config/index.js';
import { SiteRuntime } from '../../src/site/index.js';
import { machine } from '../lib/machine.js';
import { flags, report } from '../lib/options.js';
import { INSTANCE, orderParams, writeBenchProject } from '../lib/site-process.js';
import { measureLevel } from '../lib/site-load.js';
import { startSink } from '../lib/sink.js';
import { scratchDir } from '../lib/tmp.js';

const opt = flags({ levels: '1,4,64', duration: 3, warmup: 1, warm: 8, scripts: 'trivial,cached' });
const chosen = new Set(opt.scripts.split(','));

const tmp = scratchDir();
const sink = await startSink();
const dataDir = join(tmp.dir, 'data');
const project = loadProject(writeBenchProject(join(tmp.dir, 'project'), sink.url), process.env, dataDir);
// The node's logger writes JSON lines to stdout; here they go nowhere, at the same level.
const logger = pino({ base: { role: 'site' } }, pino.destination('/dev/null'));
const runtime = new SiteRuntime({ project, dataDir, logger, scriptWarmIsolates: opt.warm });
runtime.start();

const metrics: Record<string, number> = {};
const checks: Record<string, unknown> = {};
try {
  for (const callers of opt.levels.split(',').map(Number)) {
    const scripts: Record<string, (n: number) => Promise<boolean>> = {
      trivial: async () => (await runtime.callScript(INSTANCE, 'trivial', {})) === 1,
      // Counted when the call returned with its operation Delivered (a transient failure returns it Forwarded).
      cached: async (n) => {
        const id = String(await runtime.callScript(INSTANCE, 'cached', orderParams(n)));
        return runtime.engine.status(id)?.status === 'Delivered';
      },
    };
    for (const [name, call] of Object.entries(scripts)) {
      if (!chosen.has(name)) continue;
      const r = await measureLevel({
        callers,
        warmupMs: opt.warmup * 1000,
        durationMs: opt.duration * 1000,
        op: call,
        pid: process.pid,
        sink,
      });
      const key = `c${callers}${name[0]!.toUpperCase()}${name.slice(1)}`;
      metrics[`${key}PerSecond`] = r.perSecond;
      metrics[`${key}P50Ms`] = r.p50Ms;
      metrics[`${key}CpuUs`] = r.cpuUsPerOp;
      if (name === 'cached') metrics[`${key}DeliveredPerSecond`] = r.sinkPerSecond;
      checks[key] = r.checks;
    }
  }
} finally {
  await runtime.stop(10_000);
  await sink.close();
  tmp.cleanup();
}
report({ bench: 'script-call-path', options: opt, machine: machine(), metrics, checks });
