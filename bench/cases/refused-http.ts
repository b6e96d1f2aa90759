// Benchmark 1, network half alone: connection-refused attempts per second
// through the HttpGateway (undici pool) with no store at all. This is the
// ceiling the HTTP client puts on benchmark 1 whatever the engine does.
import { HttpErrorCode, HttpGateway } from '../../src/integrations/index.js';
import { DeliveryError } from '../../src/commons/index.js';
import { machine } from '../lib/machine.js';
import { closedLoop } from '../lib/load.js';
import { flags, report } from '../lib/options.js';
import { METHOD, closedPort, erpSystem } from '../lib/site.js';

const opt = flags({ callers: 64, duration: 10, warmup: 2, connections: 64 });

const port = await closedPort();
const system = erpSystem(`http://127.0.0.1:${port}`, 64, 3_600_000);
const gateway = new HttpGateway({ connectionsPerOrigin: opt.connections });

const run = await closedLoop({
  callers: opt.callers,
  warmupMs: opt.warmup * 1000,
  durationMs: opt.duration * 1000,
  op: async (n) => {
    try {
      await gateway.call(system, METHOD, { orderId: `PO-${n}`, qty: 1 }, { idempotencyKey: `k${n}` });
      return false;
    } catch (err) {
      if (err instanceof DeliveryError && err.code === HttpErrorCode.Connection && err.transient) return true;
      throw err;
    }
  },
});
await gateway.close();

report({
  bench: 'refused-http',
  options: opt,
  machine: machine(),
  metrics: { perSecond: run.perSecond, cpuCores: run.cpuCores, cpuUsPerOp: (run.cpuCores * 1e6) / run.perSecond },
  checks: { unexpected: run.unexpected, errors: run.errors, firstError: run.firstError },
});
