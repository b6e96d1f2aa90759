// Issue 11, point 11: the Inbound API (POST /api/{method} on a real
// `scadalink central` process), each part measured in the same run as a bare
// Fastify route (bare-child.ts: one POST route returning a + b, its own
// process, same Node). Keep-alive undici pools; open-loop load at a fixed rate,
// latency from each request's scheduled send time (open-loop.ts).
//  (a) `Add` (return Parameters.a + Parameters.b, Integer) at --rate (1,000/s)
//      against the bare route: p50/p99/max and p99 over the bare route (target
//      ≤ 2 ms); then each one's maximum throughput, --callers (32) in a closed
//      loop, and the ratio /api ÷ bare. SQLite central.
//  (b) `Routed` (Route.To('Pump1').Call('add', …) to a real `scadalink site`
//      on the real gRPC link) at --routed-rate (500/s): target p99 ≤ 10 ms.
//      Same SQLite central; the bare route at the same rate alongside.
//  (c) `Routed` sent to central B while the site's stream is held by central A,
//      both on one scratch PostgreSQL database (dropped at the end): target
//      p99 ≤ 15 ms.
// With --routed-max (default) (b) and (c) also measure the routed method's
// maximum throughput, closed loop, like (a).
// --central-prof DIR writes a CPU profile of each central process (bench/prof-top.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { writeProject } from '../lib/inbound-project.js';
import { closedLoop } from '../lib/load.js';
import { machine } from '../lib/machine.js';
import { openLoop, type OpenLoopResult } from '../lib/open-loop.js';
import { flags, report } from '../lib/options.js';
import { type NodeChild, runScadalinkCli, startScadalink } from '../lib/site-process.js';
import { scratchPgDatabase } from '../lib/central.js';
import { scratchDir } from '../lib/tmp.js';

const opt = flags({ parts: 'a,b,c', rate: 1000, routedRate: 500, duration: 10, warmup: 2, callers: 32, maxDuration: 4, routedMax: true, centralProf: '' });
const parts = new Set(opt.parts.split(','));

/** A keep-alive client posting one method's body; resolves true on a 200 with the expected answer. */
function caller(url: string, connections: number, key: string): { post(path: string, n: number): Promise<boolean>; close(): Promise<void> } {
  const pool = new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  return {
    post: async (path, n) => {
      const a = n % 1000;
      const res = await pool.request({ method: 'POST', path, body: `{"a":${a},"b":7}`, headers: { 'content-type': 'application/json', 'x-api-key': key } });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${text.slice(0, 200)}`);
      return Number(text) === a + 7;
    },
    close: () => pool.close(),
  };
}

async function startBare(): Promise<{ url: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [fileURLToPath(new URL('../lib/bare-child.js', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve((JSON.parse(chunk.toString()) as { url: string }).url));
    void exited.then(() => reject(new Error('bare route exited before listening')));
  });
  return { url, stop: async () => void (child.kill('SIGTERM'), await exited) };
}

/** Bounded poll: the site announces its deployment in its log only; a routed call answering 200 is the property that matters. */
async function untilRoutedAnswers(url: string, key: string): Promise<void> {
  const c = caller(url, 1, key);
  const deadline = performance.now() + 60_000;
  try {
    for (;;) {
      try {
        if (await c.post('/api/Routed', 1)) return;
      } catch (e) {
        if (performance.now() > deadline) throw e;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await c.close();
  }
}

const metrics: Record<string, number> = {};
const checks: Record<string, unknown> = {};
/** The 1-minute load average of the machine (other helpers' work included). */
const loadAverage = (): number => Math.round(loadavg()[0]! * 100) / 100;

function record(prefix: string, r: OpenLoopResult): void {
  metrics[`${prefix}P50Ms`] = r.p50Ms;
  metrics[`${prefix}P99Ms`] = r.p99Ms;
  metrics[`${prefix}MaxMs`] = r.maxMs;
  checks[prefix] = { sent: r.sent, answered: r.count, errors: r.errors, firstError: r.firstError, maxSendLagMs: Math.round(r.maxSendLagMs * 10) / 10 };
}

async function open(url: string, key: string, path: string, rate: number): Promise<OpenLoopResult> {
  const c = caller(url, 64, key);
  try {
    return await openLoop({ rate, warmupMs: opt.warmup * 1000, durationMs: opt.duration * 1000, op: (n) => c.post(path, n) });
  } finally {
    await c.close();
  }
}

async function maxThroughput(url: string, key: string, path: string): Promise<number> {
  const c = caller(url, opt.callers, key);
  try {
    const r = await closedLoop({ callers: opt.callers, warmupMs: 1000, durationMs: opt.maxDuration * 1000, op: (n) => c.post(path, n) });
    if (r.errors > 0) throw new Error(`closed loop on ${url}${path}: ${r.errors} errors, first ${r.firstError}`);
    return r.perSecond;
  } finally {
    await c.close();
  }
}

const tmp = scratchDir();
const bare = await startBare();
const procs: NodeChild[] = [];
let dropPg: (() => Promise<void>) | undefined;
const prof = (name: string): string => (opt.centralProf ? join(opt.centralProf, name) : '');
try {
  checks.loadAverageBefore = loadAverage();
  if (parts.has('a') || parts.has('b')) {
    const project = writeProject(join(tmp.dir, 'project'));
    const data = join(tmp.dir, 'central');
    const secret = runScadalinkCli(['central', 'site', 'add', 'plant1', '--create', '--data', data]);
    const key = runScadalinkCli(['central', 'apikey', 'create', 'bench', '--data', data]);
    const central = await startScadalink('central', ['--data', data, '--project', project, '--port', '0', '--grpc-port', '0'], prof('sqlite'));
    procs.push(central);
    if (parts.has('a')) {
      record('aApi', await open(central.url, key, '/api/Add', opt.rate));
      record('aBare', await open(bare.url, key, '/api/Add', opt.rate));
      metrics.aP99OverBareMs = metrics.aApiP99Ms! - metrics.aBareP99Ms!;
      metrics.aApiMaxPerSecond = await maxThroughput(central.url, key, '/api/Add');
      metrics.aBareMaxPerSecond = await maxThroughput(bare.url, key, '/api/Add');
      metrics.aMaxRatio = metrics.aApiMaxPerSecond / metrics.aBareMaxPerSecond;
    }
    if (parts.has('b')) {
      const site = await startScadalink('site', ['--site', 'plant1', '--data', join(tmp.dir, 'site'), '--port', '0', '--central', `127.0.0.1:${central.ready.grpcPort as number}`], '', { SCADALINK_SITE_SECRET: secret });
      procs.push(site);
      await untilRoutedAnswers(central.url, key);
      checks.loadAverageBeforeB = loadAverage();
      record('bApi', await open(central.url, key, '/api/Routed', opt.routedRate));
      record('bBare', await open(bare.url, key, '/api/Add', opt.routedRate));
      if (opt.routedMax) metrics.bApiMaxPerSecond = await maxThroughput(central.url, key, '/api/Routed');
    }
    for (const p of procs.splice(0).reverse()) await p.stop();
  }
  if (parts.has('c')) {
    const pgdb = await scratchPgDatabase();
    dropPg = pgdb.drop;
    const project = writeProject(join(tmp.dir, 'project-c'));
    const dbArgs = ['--database-url', pgdb.url];
    const secret = runScadalinkCli(['central', 'site', 'add', 'plant1', '--create', '--data', join(tmp.dir, 'cli'), ...dbArgs]);
    const key = runScadalinkCli(['central', 'apikey', 'create', 'bench', '--data', join(tmp.dir, 'cli'), ...dbArgs]);
    const node = (n: string): Promise<NodeChild> =>
      startScadalink('central', ['--data', join(tmp.dir, n), ...dbArgs, '--project', project, '--port', '0', '--grpc-port', '0'], prof(`pg-${n}`));
    const a = await node('a');
    procs.push(a);
    const b = await node('b');
    procs.push(b);
    // The site knows only A, so A holds its stream and B forwards.
    const site = await startScadalink('site', ['--site', 'plant1', '--data', join(tmp.dir, 'site-c'), '--port', '0', '--central', `127.0.0.1:${a.ready.grpcPort as number}`], '', { SCADALINK_SITE_SECRET: secret });
    procs.push(site);
    await untilRoutedAnswers(b.url, key);
    checks.loadAverageBeforeC = loadAverage();
    record('cViaB', await open(b.url, key, '/api/Routed', opt.routedRate));
    record('cViaA', await open(a.url, key, '/api/Routed', opt.routedRate));
    if (opt.routedMax) {
      metrics.cViaBMaxPerSecond = await maxThroughput(b.url, key, '/api/Routed');
      metrics.cViaAMaxPerSecond = await maxThroughput(a.url, key, '/api/Routed');
    }
  }
} finally {
  for (const p of procs.reverse()) await p.stop();
  await bare.stop();
  await dropPg?.();
  tmp.cleanup();
}
report({ bench: 'inbound-api', options: opt, machine: machine(), metrics, checks });
