// Runs the benchmarks, each run in a fresh Node process, and prints every
// run's figures and their medians. Usage (after the bench build):
//   npm run bench                      every default benchmark, 3 runs each
//   npm run bench -- refused deliver   only these
//   npm run bench -- drain-1m --runs 3 the 1,000,000-row drain (not in the default set)
//   npm run bench -- deliver --sync NORMAL   other flags go to the named cases
// --record also writes bench/results/<name>.json (the figures quoted in bench/README.md).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyCores } from './lib/busy.js';
import { machine } from './lib/machine.js';
import { RESULT_PREFIX } from './lib/options.js';
import { median } from './lib/stats.js';
import { scratchDir } from './lib/tmp.js';

interface Bench {
  readonly file: string;
  readonly args: readonly string[];
  readonly about: string;
  readonly inDefault: boolean;
  /** Work shared by all runs (e.g. building a backlog); returns extra args and a cleanup. */
  readonly prepare?: (extra: readonly string[]) => Promise<{ args: string[]; cleanup: () => void }>;
}

const here = fileURLToPath(new URL('.', import.meta.url));

function backlogOnce(count: number): Bench['prepare'] {
  return async (extra) => {
    const tmp = scratchDir();
    const outbox = extra.find((a) => a.startsWith('--outbox')) ?? '--outbox=true';
    const out = await runCase(join(here, 'cases/backlog.js'), ['--count', String(count), '--dir', tmp.dir, outbox]);
    process.stderr.write(`  backlog of ${count} built in ${(out.seconds as number).toFixed(1)} s\n`);
    return { args: ['--template', join(tmp.dir, 'site.db')], cleanup: tmp.cleanup };
  };
}

const BENCHES: Record<string, Bench> = {
  fsync: {
    file: 'cases/fsync.js',
    args: [],
    about: 'single-row SQLite commits/s on this disk, FULL and NORMAL (context for every durable figure)',
    inDefault: true,
  },
  'refused-http': {
    file: 'cases/refused-http.js',
    args: [],
    about: 'connection-refused attempts/s through the HttpGateway alone (no store)',
    inDefault: true,
  },
  'store-refused': {
    file: 'cases/store.js',
    args: ['--path', 'refused'],
    about: 'store transitions alone of a refused call (Submitted, Forwarded), 1024 at a time',
    inDefault: true,
  },
  'store-delivered': {
    file: 'cases/store.js',
    args: ['--path', 'delivered'],
    about: 'store transitions alone of a delivered call (Submitted, Attempted, Delivered), 1024 at a time',
    inDefault: true,
  },
  'refused-instant': {
    file: 'cases/refused.js',
    args: ['--handler', 'instant'],
    about: 'durable cached calls/s, attempt fails transient without network (store + engine ceiling)',
    inDefault: true,
  },
  refused: {
    file: 'cases/refused.js',
    args: [],
    about: 'durable cached calls/s while the target refuses connections (target >= 10,000/s)',
    inDefault: true,
  },
  script: {
    file: 'cases/script.js',
    args: [],
    about: 'durable cached calls/s made through a script (64 CachedCalls per run) while the target refuses connections',
    inDefault: true,
  },
  'script-runs': {
    file: 'cases/script-runs.js',
    args: [],
    about: 'runs/s of a trivial script in the sandbox: back to back, 4 in flight, and latency of a sparse run',
    inDefault: true,
  },
  'script-load': {
    file: 'cases/script-load.js',
    args: [],
    about: 'a trivial script at 1, 4 and 64 concurrent callers: runs/s, CPU µs per run, isolates created/disposed (target <= 150 µs)',
    inDefault: true,
  },
  'script-http': {
    file: 'cases/script-http.js',
    args: [],
    about: 'a real site process: trivial and cached scripts through the admin API at 1, 4, 64 keep-alive callers; runs/s, p50, site CPU µs per run against a no-script admin GET',
    inDefault: true,
  },
  'script-call-path': {
    file: 'cases/script-call-path.js',
    args: [],
    about: 'the same trivial and cached scripts through SiteRuntime.callScript in this process (no HTTP) at 1, 4, 64 callers: runs/s, CPU µs per run',
    inDefault: true,
  },
  product: {
    file: 'cases/product.js',
    args: [],
    about: 'delivered/s: 64 HTTP callers running `cached` in a real site process, against the engine driven directly, same run (target ratio >= 0.5)',
    inDefault: true,
  },
  'script-memory': {
    file: 'cases/script-memory.js',
    args: [],
    about: 'RSS of a real site process with 0, 8, 64 warm script isolates: idle once they are ready, and after a 64-caller burst (peak too)',
    inDefault: true,
  },
  'deliver-http': {
    file: 'cases/deliver-http.js',
    args: [],
    about: 'POSTs/s through the HttpGateway alone to the loopback sink process (no store)',
    inDefault: true,
  },
  deliver: {
    file: 'cases/deliver.js',
    args: [],
    about: 'delivered operations/s end to end against a loopback sink process (target >= 5,000/s)',
    inDefault: true,
  },
  drain: {
    file: 'cases/drain.js',
    args: ['--backlog', '100000'],
    about: 'drain of a 100,000-operation backlog: rate and peak RSS (target <= 256 MiB)',
    inDefault: true,
    prepare: backlogOnce(100_000),
  },
  'drain-1m': {
    file: 'cases/drain.js',
    args: ['--backlog', '1000000'],
    about: 'drain of a 1,000,000-operation backlog: rate and peak RSS (target <= 256 MiB)',
    inDefault: false,
    prepare: backlogOnce(1_000_000),
  },
  'ingest-sqlite': {
    file: 'cases/ingest.js',
    args: ['--engine', 'sqlite'],
    about: 'central telemetry ingest into SQLite, batches of 500, then the same again as duplicates (target >= 50,000 events/s)',
    inDefault: true,
  },
  'ingest-postgres': {
    file: 'cases/ingest.js',
    args: ['--engine', 'postgres'],
    about: 'central telemetry ingest into PostgreSQL, batches of 500, then the same again as duplicates (target >= 20,000 events/s)',
    inDefault: true,
  },
  'lag-sqlite': {
    file: 'cases/lag.js',
    args: ['--engine', 'sqlite'],
    about: 'site-to-central lag (event at the site -> committed at central) at a steady 2,000 operations/s, SQLite central',
    inDefault: true,
  },
  'lag-postgres': {
    file: 'cases/lag.js',
    args: ['--engine', 'postgres'],
    about: 'site-to-central lag at a steady 2,000 operations/s, PostgreSQL central',
    inDefault: true,
  },
  'api-key-sqlite': {
    file: 'cases/api-key.js',
    args: ['--engine', 'sqlite'],
    about: 'checking an Inbound API key (SHA-256 + its row read, as on every request) on SQLite: latency back to back, checks/s 16 at a time',
    inDefault: false,
  },
  'api-key-postgres': {
    file: 'cases/api-key.js',
    args: ['--engine', 'postgres'],
    about: 'the same on the local PostgreSQL',
    inDefault: false,
  },
  'inbound-records-sqlite': {
    file: 'cases/inbound-records.js',
    args: ['--engine', 'sqlite'],
    about: 'Inbound API records on SQLite: Idempotency-Key claim + complete (a first call), claim that replays (a retry), a failure-log insert; back to back, and first calls/s 16 at a time',
    inDefault: false,
  },
  'inbound-records-postgres': {
    file: 'cases/inbound-records.js',
    args: ['--engine', 'postgres'],
    about: 'the same on the local PostgreSQL',
    inDefault: false,
  },
  'cluster-hop': {
    file: 'cases/cluster-hop.js',
    args: [],
    about: 'a site command through the central node holding the stream and through another one (issue 11 point 6): latency back to back, commands/s 16 at a time',
    inDefault: false,
  },
  'inbound-api': {
    file: 'cases/inbound-api.js',
    args: [],
    about:
      'issue 11 point 11, real central and site processes against a bare Fastify route in the same run: (a) a computed method open loop at 1,000/s (p99 target within 2 ms of bare) and max throughput ratio; (b) Route.To to a site script at 500/s (p99 <= 10 ms); (c) the same through a second central on PostgreSQL (p99 <= 15 ms)',
    inDefault: false,
  },
  notify: {
    file: 'cases/notify.js',
    args: [],
    about: 'notifications delivered/s to a loopback SMTP server (own process), default pool of 5 connections',
    inDefault: true,
  },
  status: {
    file: 'cases/status.js',
    args: [],
    about: 'store.status(id) latency with 1,000,000 tracking rows (target p99 <= 1 ms)',
    inDefault: true,
  },
};

function runCase(file: string, args: readonly string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', file, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || !line) {
        reject(new Error(`${file} ${args.join(' ')} exited ${code}\n${out}`));
        return;
      }
      resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as Record<string, unknown>);
    });
  });
}

function parseCommandLine(argv: readonly string[]): { names: string[]; runs: number; record: boolean; extra: string[] } {
  const names: string[] = [];
  const extra: string[] = [];
  let runs = 3;
  let record = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--runs') runs = Number(argv[++i]);
    else if (a.startsWith('--runs=')) runs = Number(a.slice(7));
    else if (a === '--record') record = true;
    else if (a.startsWith('--')) {
      extra.push(a);
      if (!a.includes('=') && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--') && !(argv[i + 1]! in BENCHES)) {
        extra.push(argv[++i]!);
      }
    } else if (a in BENCHES) names.push(a);
    else throw new Error(`unknown benchmark "${a}"; known: ${Object.keys(BENCHES).join(', ')}`);
  }
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs needs a positive integer');
  return { names: names.length ? names : Object.keys(BENCHES).filter((n) => BENCHES[n]!.inDefault), runs, record, extra };
}

const fmt = (v: unknown): string => (typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)) : String(v));

async function main(): Promise<void> {
  const { names, runs, record, extra } = parseCommandLine(process.argv.slice(2));
  const m = machine();
  process.stderr.write(`machine: ${m.nproc} × ${m.cpuModel}, ${m.memGiB} GiB, node ${m.node}\n`);
  for (const name of names) {
    const bench = BENCHES[name]!;
    process.stderr.write(`\n${name}: ${bench.about}\n`);
    const prepared = bench.prepare ? await bench.prepare(extra) : undefined;
    const args = [...bench.args, ...(prepared?.args ?? []), ...extra];
    const results: Record<string, unknown>[] = [];
    try {
      for (let i = 0; i < runs; i++) {
        const busy = await busyCores(1000, cpus().length);
        const r = await runCase(join(here, bench.file), args);
        r.busyCoresBefore = busy;
        results.push(r);
        const metrics = r.metrics as Record<string, number>;
        process.stderr.write(
          `  run ${i + 1}: ${Object.entries(metrics).map(([k, v]) => `${k}=${fmt(v)}`).join(' ')}` +
            `  (other load before: ${busy ?? '?'} cores)  checks ${JSON.stringify(r.checks)}\n`,
        );
      }
    } finally {
      prepared?.cleanup();
    }
    const keys = Object.keys(results[0]!.metrics as object);
    const medians = Object.fromEntries(keys.map((k) => [k, median(results.map((r) => (r.metrics as Record<string, number>)[k]!))]));
    process.stdout.write(`${name} median of ${runs}: ${keys.map((k) => `${k}=${fmt(medians[k])}`).join(' ')}\n`);
    const summary = { bench: name, about: bench.about, args, date: new Date().toISOString(), machine: m, runs: results, medians };
    const dir = record ? join(here, '../../../bench/results') : join(here, '../results');
    mkdirSync(dir, { recursive: true });
    // Runs with extra flags (e.g. --sync NORMAL) are kept apart from the defaults.
    const variant = extra.length > 0 ? `-${extra.join('-').replace(/[^A-Za-z0-9=.]+/g, '-').replace(/^-+/, '')}` : '';
    writeFileSync(join(dir, `${name}${variant}.json`), JSON.stringify(summary, null, 2) + '\n');
  }
}

await main();
