// Benchmark 3: draining a backlog after the sink recovers. The backlog (all
// Forwarded and due) is built by a separate process (cases/backlog.ts) or
// copied from --template; this process then starts the sink and the engine
// and measures the drain rate and its own peak RSS. The dispatcher claims due
// rows by index in pages, so the peak should not depend on the backlog size.
import { execFileSync } from 'node:child_process';
import { copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine } from '../lib/machine.js';
import { RssSampler, rssMiB, vmHwmMiB } from '../lib/memory.js';
import { flags, report, syncMode } from '../lib/options.js';
import { startSink } from '../lib/sink.js';
import { erpSystem, openSite } from '../lib/site.js';
import { scratchDir } from '../lib/tmp.js';

const opt = flags({ backlog: 100_000, sync: 'FULL', concurrency: 64, template: '', outbox: true, traceMemory: false, gateway: 'thread' });

const tmp = scratchDir();
if (opt.template) {
  copyFileSync(opt.template, join(tmp.dir, 'site.db'));
} else {
  const prep = fileURLToPath(new URL('./backlog.js', import.meta.url));
  execFileSync(process.execPath, [prep, '--count', String(opt.backlog), '--dir', tmp.dir, `--outbox=${opt.outbox}`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const sink = await startSink();
const system = erpSystem(sink.url, opt.concurrency, 30_000);
const site = openSite({ dir: tmp.dir, sync: syncMode(opt.sync), system, start: false, gateway: opt.gateway });
const backlog = site.store.buffer.counts().total;
if (backlog !== opt.backlog) throw new Error(`backlog holds ${backlog} rows, expected ${opt.backlog}`);

const rssBeforeMiB = rssMiB();
const sampler = new RssSampler().start(50);
const started = performance.now();
const cpuStart = process.cpuUsage();
const tenths: number[] = [];
site.engine.start();
const trace = opt.traceMemory ? setInterval(() => traceMemory(site.engine.stats.attempts.delivered), 2000) : undefined;
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    const delivered = site.engine.stats.attempts.delivered;
    while (tenths.length < 10 && delivered >= ((tenths.length + 1) * backlog) / 10) {
      tenths.push(performance.now() - started);
      // Peak RSS per half: if memory followed the backlog, the first half (the larger backlog) would peak higher.
      if (tenths.length === 5) sampler.nextPhase();
    }
    if (delivered >= backlog) {
      clearInterval(timer);
      resolve();
    }
  }, 20);
});
clearInterval(trace);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStart);
sampler.stop();

const left = site.store.buffer.counts().total;
const delivered = (
  site.store.db.prepare(`SELECT COUNT(*) AS n FROM operation_tracking WHERE Status = 'Delivered'`).get() as { n: number }
).n;
const stats = site.engine.stats.attempts;
const { commits, jobs } = site.store.committer.stats;
await site.close();
const requests = await sink.requests();
await sink.close();
tmp.cleanup();

function traceMemory(delivered: number): void {
  const m = process.memoryUsage();
  const mib = (n: number) => (n / 2 ** 20).toFixed(1);
  const wal = statSync(join(tmp.dir, 'site.db-wal'), { throwIfNoEntry: false })?.size ?? 0;
  process.stderr.write(
    `  delivered=${delivered} rss=${mib(m.rss)} heapUsed=${mib(m.heapUsed)} heapTotal=${mib(m.heapTotal)} ` +
      `external=${mib(m.external)} arrayBuffers=${mib(m.arrayBuffers)} wal=${mib(wal)} MiB\n`,
  );
}

const rate = (from: number, to: number) => ((to - from) * (backlog / 10)) / ((tenths[to - 1]! - (from ? tenths[from - 1]! : 0)) / 1000);
report({
  bench: 'drain',
  options: opt,
  machine: machine(),
  metrics: {
    perSecond: backlog / seconds,
    seconds,
    peakRssMiB: sampler.peakMiB,
    peakRssFirstHalfMiB: sampler.phasePeaksMiB[0]!,
    peakRssSecondHalfMiB: sampler.phasePeaksMiB[1] ?? Number.NaN,
    vmHwmMiB: vmHwmMiB() ?? Number.NaN,
    rssBeforeMiB,
    firstTenthPerSecond: rate(0, 1),
    lastTenthPerSecond: rate(9, 10),
    cpuCores: (cpu.user + cpu.system) / 1e6 / seconds,
    cpuUsPerOp: (cpu.user + cpu.system) / backlog,
    jobsPerCommit: jobs / commits,
    commitsPerSecond: commits / seconds,
  },
  checks: { backlog, left, delivered, transient: stats.transient, permanent: stats.permanent, sinkRequests: requests },
});
