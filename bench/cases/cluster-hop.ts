// Issue 11, point 6: what the hop between central nodes costs. Two central
// nodes (A and B, in this process) on a scratch PostgreSQL database, and a
// site link client connected to A that answers every command at once. The
// same command (RetryParkedOperation) is sent --calls times back to back,
// through A (its own stream) and through B (forwarded to A over the internal
// HTTP hop), then --concurrency at a time for commands/s. Both nodes and the
// site share this process's event loop, so the figures are an upper bound of
// the hop's cost on separate machines' CPUs (not of their network).
import pino from 'pino';
import { hashSecret } from '../../src/commons/index.js';
import { type CentralNode, startCentralNode } from '../../src/central/index.js';
import { SiteLinkClient } from '../../src/transport/index.js';
import { machine } from '../lib/machine.js';
import { flags, report } from '../lib/options.js';
import { Samples, summarize } from '../lib/stats.js';
import { scratchDir } from '../lib/tmp.js';
import { scratchCentral } from '../lib/central.js';

const opt = flags({ calls: 5_000, concurrency: 16 });
const logger = pino({ level: 'silent' });
const SITE = 'bench-site';
const SECRET = 'bench-site-secret-0123';

const tmp = scratchDir();
// The scratch database (its repository only creates it; the nodes open their own).
const { url, drop } = await scratchCentral('postgres', tmp.dir);
const nodes: CentralNode[] = [];
let site: SiteLinkClient | undefined;
try {
  const start = async (name: string): Promise<CentralNode> => {
    const node = await startCentralNode({ dataDir: `${tmp.dir}/${name}`, databaseUrl: url!, port: 0, grpcPort: 0, logger, maintenanceOnStart: false, sessionHeartbeatMs: 500 });
    nodes.push(node);
    return node;
  };
  const a = await start('a');
  const b = await start('b');
  await a.repo.putSite(SITE, await hashSecret(SECRET));
  site = new SiteLinkClient({
    address: `127.0.0.1:${a.grpcPort}`,
    site: SITE,
    secret: SECRET,
    node: 'bench',
    version: 'bench',
    logger,
    onCommand: () => Promise.resolve({ ok: true }),
  });
  const connected = new Promise((resolve) => site!.events.once('connected', resolve));
  site.start();
  await connected;
  // B finds A in the registry once A wrote the row (on open): polled, there is no event for it in B.
  while ((await b.repo.cluster.holder(SITE, b.repo.replicaId, 60_000)) === undefined) await new Promise((r) => setTimeout(r, 20));

  const body = { retryParked: { trackedOperationId: '0190f000-0000-7000-8000-00000000abcd', operator: 'bench' } };
  const measure = async (node: CentralNode): Promise<{ latency: ReturnType<typeof summarize>; perSecond: number }> => {
    for (let i = 0; i < 500; i++) await node.commander.command(SITE, body); // warm-up
    const samples = new Samples();
    for (let i = 0; i < opt.calls; i++) {
      const t = performance.now();
      await node.commander.command(SITE, body);
      samples.push(performance.now() - t);
    }
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: opt.concurrency }, async () => {
        while (next++ < opt.calls) await node.commander.command(SITE, body);
      }),
    );
    return { latency: summarize(samples.values()), perSecond: opt.calls / ((performance.now() - started) / 1000) };
  };
  const local = await measure(a);
  const forwarded = await measure(b);
  report({
    bench: 'cluster-hop',
    options: opt,
    machine: machine(),
    metrics: {
      localP50Ms: local.latency.p50Ms,
      localP99Ms: local.latency.p99Ms,
      forwardedP50Ms: forwarded.latency.p50Ms,
      forwardedP99Ms: forwarded.latency.p99Ms,
      localPerSecond: local.perSecond,
      forwardedPerSecond: forwarded.perSecond,
    },
    checks: { calls: opt.calls },
  });
} finally {
  await site?.stop();
  for (const n of nodes) await n.stop();
  await drop();
  tmp.cleanup();
}
