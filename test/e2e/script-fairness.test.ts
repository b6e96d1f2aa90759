// Issue 10 point 6, fairness: a real `scadalink site` process keeps an
// interval script of one instance at its rate, and /health responsive, while
// another instance floods the site with script runs.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/index.js';
import { SiteProcess } from '../support/process.js';
import { writeProject } from '../support/project.js';

const BEAT_MS = 250;
// /health bounds. The median shows whether the site's event loop serves it
// at once; the maximum catches stalls like the 2.4 s measured before runs were
// gated. It is not tighter because on a shared 2-core machine other processes
// alone have pushed this site's event-loop lag to ~0.5 s (see the printed lag).
const HEALTH_P50_MS = 100;
const HEALTH_MAX_MS = 1_000;

const project = {
  sites: { plant1: {} },
  instances: {
    A: {
      site: 'plant1',
      scripts: {
        // Same sandbox pool (memoryMb) as the flood: the isolate queue is shared.
        beat: { file: 'beat.js', triggers: [{ interval: `${BEAT_MS}ms` }] },
        // Its own pool: only the node's CPU and event loop are shared.
        beatOther: { file: 'beat-other.js', triggers: [{ interval: `${BEAT_MS}ms` }], memoryMb: 32 },
      },
    },
    B: {
      site: 'plant1',
      scripts: {
        busy: { file: 'busy.js', triggers: ['call'] },
        fanout: { file: 'fanout.js', triggers: ['call'], timeout: '30s' },
      },
    },
  },
  sharedScripts: { slow: { file: 'slow.js' } },
};

const busyLoop = (ms: number) => `const end = Date.now() + ${ms}; let n = 0; while (Date.now() < end) n++;`;

const scripts = {
  'beat.js': `log.info('beat same-pool');`,
  'beat-other.js': `log.info('beat other-pool');`,
  'busy.js': `${busyLoop(20)} return n >= 0;`,
  'slow.js': `${busyLoop(10)} return 1;`,
  // 500 nested calls at once; a per-run limit on nested calls may refuse most of them: either outcome is fine here.
  'fanout.js': `
    const all = await Promise.allSettled(Array.from({ length: 500 }, (_, i) => Scripts.Call('slow', { i })));
    return all.filter((r) => r.status === 'fulfilled').length;`,
};

interface Beat {
  readonly time: number;
  readonly msg: string;
}

function beats(site: SiteProcess, which: string, from: number, to: number): number {
  let count = 0;
  for (const line of site.lines) {
    if (!line.includes(which)) continue;
    const beat = JSON.parse(line) as Beat;
    if (beat.msg === which && beat.time >= from && beat.time < to) count++;
  }
  return count;
}

// The flood's callers run in a process of their own, so that their load does not slow the test's own probes.
const FLOOD = `
const [url, concurrency, ms] = process.argv.slice(1);
const end = Date.now() + Number(ms);
const statuses = {};
const caller = async () => {
  while (Date.now() < end) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await res.arrayBuffer();
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  }
};
Promise.all(Array.from({ length: Number(concurrency) }, caller)).then(() => console.log(JSON.stringify(statuses)));`;

/** `concurrency` callers POST to `url` back to back for `ms`; resolves with the count of answers by HTTP status. */
function flood(url: string, concurrency: number, ms: number): Promise<Record<string, number>> {
  const child = spawn(process.execPath, ['-e', FLOOD, url, String(concurrency), String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, number>) : reject(new Error(`flood exited ${code}`))));
  });
}

/** GETs /health one at a time until `done` resolves; the latencies in ms. */
async function probeHealth(url: string, done: Promise<unknown>): Promise<number[]> {
  let over = false;
  void done.finally(() => (over = true));
  const latencies: number[] = [];
  while (!over) {
    const start = performance.now();
    const res = await fetch(`${url}/health`);
    await res.json();
    latencies.push(performance.now() - start);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return latencies;
}

/** The site's event-loop lag (p99 and max, ms) since the last call: prom-client resets it at each scrape. */
async function lagSince(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const of = (name: string): number => 1000 * Number(new RegExp(`^scadalink_nodejs_eventloop_lag_${name}_seconds\\S* (\\S+)$`, 'm').exec(text)?.[1]);
  return `event-loop lag p99 ${of('p99').toFixed(0)} ms, max ${of('max').toFixed(0)} ms`;
}

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

describe('fair scheduling of script runs in a real site process', () => {
  let tmp: ReturnType<typeof tempDir>;
  let site: SiteProcess;

  beforeAll(async () => {
    tmp = tempDir();
    const projectDir = writeProject(join(tmp.dir, 'project'), project, scripts);
    site = await SiteProcess.start(['--project', projectDir, '--data', join(tmp.dir, 'data'), '--port', '0']);
    // Both heartbeats have ticked once: the sandboxes are warm.
    await Promise.all([site.line('"beat same-pool"'), site.line('"beat other-pool"')]);
  });
  afterAll(async () => {
    await site?.kill();
    tmp?.cleanup();
  });

  it("instance A's 250 ms heartbeats keep ≥ 80% of their rate and /health answers in under 100 ms (median) and 1 s (max) while 64 callers flood instance B for 10 s", async () => {
    const windowMs = 10_000;
    const start = Date.now();
    const end = start + windowMs;
    await lagSince(site.url);
    const flooding = flood(`${site.url}/admin/api/instances/B/scripts/busy/call`, 64, windowMs);
    const health = await probeHealth(site.url, flooding);
    const statuses = await flooding;
    const lag = await lagSince(site.url);
    const expected = windowMs / BEAT_MS;
    const same = beats(site, 'beat same-pool', start, end);
    const other = beats(site, 'beat other-pool', start, end);
    console.log(`flood: answers of B.busy by status ${JSON.stringify(statuses)}; heartbeats same pool ${same}/${expected}, other pool ${other}/${expected}; /health p50 ${quantile(health, 0.5).toFixed(1)} ms, max ${Math.max(...health).toFixed(1)} ms over ${health.length}; ${lag}`);
    expect(statuses['200']).toBeGreaterThan(0);
    expect(same).toBeGreaterThanOrEqual(0.8 * expected);
    expect(other).toBeGreaterThanOrEqual(0.8 * expected);
    expect(quantile(health, 0.5)).toBeLessThan(HEALTH_P50_MS);
    expect(Math.max(...health)).toBeLessThan(HEALTH_MAX_MS);
  });

  it("instance A's 250 ms heartbeats keep ≥ 80% of their rate and /health answers in under 100 ms (median) and 1 s (max) while one run of B makes 500 parallel Scripts.Call('slow')", async () => {
    await lagSince(site.url);
    const start = Date.now();
    // Fan-outs back to back for at least 4 s (however many of their calls a limit refuses).
    const outcomes: string[] = [];
    const fanouts = (async () => {
      while (Date.now() < start + 4_000) {
        const res = await fetch(`${site.url}/admin/api/instances/B/scripts/fanout/call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        outcomes.push(`${res.status} ${await res.text()}`);
      }
    })();
    const health = await probeHealth(site.url, fanouts);
    await fanouts;
    const end = Date.now();
    const lag = await lagSince(site.url);
    // Whole intervals only: the window is as long as the fan-outs took.
    const expected = Math.floor((end - start) / BEAT_MS);
    const same = beats(site, 'beat same-pool', start, end);
    const other = beats(site, 'beat other-pool', start, end);
    console.log(`fan-out: ${outcomes.length} in ${end - start} ms, answers ${outcomes.join(', ')}; heartbeats same pool ${same}/${expected}, other pool ${other}/${expected}; /health p50 ${quantile(health, 0.5).toFixed(1)} ms, max ${Math.max(...health).toFixed(1)} ms over ${health.length}; ${lag}`);
    expect(same).toBeGreaterThanOrEqual(Math.floor(0.8 * expected));
    expect(other).toBeGreaterThanOrEqual(Math.floor(0.8 * expected));
    expect(quantile(health, 0.5)).toBeLessThan(HEALTH_P50_MS);
    expect(Math.max(...health)).toBeLessThan(HEALTH_MAX_MS);
  });
});
