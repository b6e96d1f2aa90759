// Benchmark 2, network half alone: POSTs per second through the HttpGateway
// (undici pool) to the same loopback sink process, with no store at all.
// This is the ceiling the HTTP client puts on benchmark 2.
import { HttpGateway } from '../../src/integrations/index.js';
import { machine } from '../lib/machine.js';
import { closedLoop } from '../lib/load.js';
import { flags, report } from '../lib/options.js';
import { startSink } from '../lib/sink.js';
import { METHOD, erpSystem } from '../lib/site.js';
import { summarize } from '../lib/stats.js';

const opt = flags({ callers: 64, duration: 10, warmup: 2, connections: 64 });

const sink = await startSink();
const system = erpSystem(sink.url, 64, 1000);
const gateway = new HttpGateway({ connectionsPerOrigin: opt.connections });

const run = await closedLoop({
  callers: opt.callers,
  warmupMs: opt.warmup * 1000,
  durationMs: opt.duration * 1000,
  op: async (n) => {
    const res = await gateway.call(system, METHOD, { orderId: `PO-${n}`, qty: 1 }, { idempotencyKey: `k${n}` });
    return res.status === 200;
  },
});
await gateway.close();
await sink.close();

const lat = summarize(run.latencies);
report({
  bench: 'deliver-http',
  options: opt,
  machine: machine(),
  metrics: {
    perSecond: run.perSecond,
    p50Ms: lat.p50Ms,
    p99Ms: lat.p99Ms,
    cpuCores: run.cpuCores,
    cpuUsPerOp: (run.cpuCores * 1e6) / run.perSecond,
  },
  checks: { unexpected: run.unexpected, errors: run.errors, firstError: run.firstError },
});
