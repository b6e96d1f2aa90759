// A real `scadalink site` process for the benches that measure the product
// path: its project (one instance with the call-triggered scripts `trivial`
// and `cached`), the process itself (built from this checkout's src by the
// bench build, see tsconfig.bench.json), and its CPU and memory from /proc.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { procCpuMs, procMemoryMiB } from './proc.js';

export const INSTANCE = 'Pump1';

/** `trivial` returns 1; `cached` makes one ExternalSystem.CachedCall to the sink. */
export const SCRIPTS = {
  trivial: 'return 1;',
  cached: "return await ExternalSystem.CachedCall('ERP', 'postOrder', { orderId: Parameters.orderId, qty: Parameters.qty });",
} as const;

/** The body a caller posts to `cached` (the parameters of call n). */
export const orderParams = (n: number): { orderId: string; qty: number } => ({ orderId: `PO-${n}`, qty: (n % 50) + 1 });

/** Writes the bench project; `sinkUrl` is the ERP external system's base URL. Returns its directory. */
export function writeBenchProject(dir: string, sinkUrl: string, maxConcurrency = 64): string {
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  const project = {
    sites: { bench: {} },
    instances: {
      [INSTANCE]: {
        site: 'bench',
        scripts: Object.fromEntries(Object.keys(SCRIPTS).map((name) => [name, { file: `${name}.js`, triggers: ['call'] }])),
      },
    },
    externalSystems: {
      ERP: {
        baseUrl: sinkUrl,
        auth: { type: 'apiKey', header: 'X-API-Key', key: 'bench-secret' },
        timeout: '10s',
        maxRetries: 10,
        retryInterval: '1s',
        maxConcurrency,
        methods: {
          postOrder: {
            verb: 'POST',
            path: '/orders',
            parameters: { orderId: { type: 'string', required: true }, qty: { type: 'integer', required: true } },
          },
        },
      },
    },
  };
  writeFileSync(join(dir, 'scadalink.yaml'), stringify(project));
  for (const [name, source] of Object.entries(SCRIPTS)) writeFileSync(join(dir, 'scripts', `${name}.js`), source);
  return dir;
}

export interface SiteChild {
  readonly url: string;
  readonly pid: number;
  /** CPU time of the site process so far (all threads), ms. */
  cpuMs(): number;
  memoryMiB(): { rss: number; hwm: number };
  /** One sample of a metric without labels but `site` from /metrics (NaN when absent). */
  metric(name: string): Promise<number>;
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Starts `scadalink site --project DIR --data DIR --port 0 ...args` and resolves once it listens. */
export function startSiteProcess(
  projectDir: string,
  dataDir: string,
  args: readonly string[] = [],
  /** A directory for a CPU profile of the site's main thread, written when it stops (see bench/prof-top.ts). */
  profileDir = '',
): Promise<SiteChild> {
  return startScadalink('site', ['--project', projectDir, '--data', dataDir, '--port', '0', ...args], profileDir);
}

/** A started `scadalink` process and the fields of the line it logged once listening (e.g. central's `grpcPort`). */
export type NodeChild = SiteChild & { readonly ready: Record<string, unknown> };

/**
 * Starts `scadalink COMMAND ...args` (built from this checkout by the bench
 * build) and resolves once it logged `<command> node listening`.
 */
export async function startScadalink(command: 'site' | 'central', args: readonly string[], profileDir = '', env: NodeJS.ProcessEnv = {}): Promise<NodeChild> {
  const childEnv = { ...process.env, ...env };
  delete childEnv.SCADALINK_ADMIN_TOKEN; // loopback admin API without a token
  const child: ChildProcess = spawn(
    process.execPath,
    ['--no-node-snapshot', ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), MAIN, command, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let tail = '';
  child.stderr!.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-4000)));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let partial = '';
    const onData = (chunk: Buffer): void => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        tail = (tail + line + '\n').slice(-4000);
        if (!line.includes(`"${command} node listening"`)) continue;
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // the rest of the log is read and dropped, as a log shipper would
        resolve(JSON.parse(line) as Record<string, unknown>);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`${command} exited (${code}) before listening\n${tail}`)));
  });
  const url = ready.url as string;
  const pid = child.pid!;
  return {
    url,
    pid,
    ready,
    cpuMs: () => procCpuMs(pid),
    memoryMiB: () => procMemoryMiB(pid),
    metric: async (name) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : NaN;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs `scadalink ...args` to completion (e.g. `central apikey create`); its stdout, trimmed; a non-zero exit throws. */
export function runScadalinkCli(args: readonly string[]): string {
  const r = spawnSync(process.execPath, ['--no-node-snapshot', MAIN, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scadalink ${args.slice(0, 3).join(' ')} exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  return r.stdout.trim();
}
