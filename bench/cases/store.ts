// The store's share of benchmarks 1 and 2, without engine or network: the
// transitions of a refused call (submit, then a transient failure recorded
// as Forwarded) and of a delivered one (submit, then Delivered), `--batch`
// operations at a time through the group committer.
import { DeliveryError, newTrackedOperationId } from '../../src/commons/index.js';
import { SiteStore } from '../../src/site/index.js';
import { machine } from '../lib/machine.js';
import { flags, report, syncMode } from '../lib/options.js';
import { erpSystem, orderRequest } from '../lib/site.js';
import { scratchDir } from '../lib/tmp.js';

const opt = flags({ sync: 'FULL', batch: 1024, ops: 100_000, path: 'refused' });
if (opt.path !== 'refused' && opt.path !== 'delivered') throw new Error('--path is refused or delivered');

const tmp = scratchDir();
const store = new SiteStore(`${tmp.dir}/site.db`, 'bench-site', { synchronous: syncMode(opt.sync) });
const system = erpSystem('http://127.0.0.1:1', 64, 3_600_000);
const refused = new DeliveryError('HTTP_CONNECTION', 'ERP.postOrder: connection failed (ECONNREFUSED)', 'transient');

const started = performance.now();
const cpu0 = process.cpuUsage();
for (let done = 0; done < opt.ops; done += opt.batch) {
  const ops = await Promise.all(
    Array.from({ length: opt.batch }, (_, i) => store.submit({ ...orderRequest(system, done + i), id: newTrackedOperationId() })),
  );
  await Promise.all(
    ops.map((op) =>
      opt.path === 'refused'
        ? store.attemptFailed(op, refused, true, { durationMs: 1 })
        : store.attemptSucceeded(op, { durationMs: 1, httpStatus: 200 }),
    ),
  );
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpu0);
const ops = Math.ceil(opt.ops / opt.batch) * opt.batch;
const { commits, jobs } = store.committer.stats;
store.close();
tmp.cleanup();

report({
  bench: 'store',
  options: opt,
  machine: machine(),
  metrics: {
    perSecond: ops / seconds,
    cpuUsPerOp: (cpu.user + cpu.system) / ops,
    jobsPerCommit: jobs / commits,
  },
  checks: { ops, commits },
});
