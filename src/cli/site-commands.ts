import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { ScadaLinkError } from '../commons/index.js';
import { parseDuration } from '../config/index.js';
import { SITE_DB_FILE, SiteStore, type EventCategory, type EventLevel, type SynchronousMode, startSiteNode } from '../site/index.js';
import { guardNode, parsePort, stopOnSignals } from './process.js';

/** Opens an existing site store; a wrong --data must not silently create an empty one. */
function openStore(dataDir: string): SiteStore {
  const file = resolve(dataDir, SITE_DB_FILE);
  if (!existsSync(file)) {
    throw new ScadaLinkError('NO_SITE_STORE', `no site store at ${file}: --data must be the data directory of a site`);
  }
  return new SiteStore(file, 'cli');
}

function parseDeadline(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new ScadaLinkError('INVALID_ARGUMENT', `--shutdown-deadline takes a duration such as 10s, not ${text}`);
  return ms;
}

export function operatorName(given: string | undefined): string {
  if (given) return given;
  try {
    return userInfo().username;
  } catch {
    return 'operator';
  }
}

export function print(rows: readonly object[], json: boolean, columns: readonly string[]): void {
  if (json) {
    for (const r of rows) process.stdout.write(JSON.stringify(r) + '\n');
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cell = (r: object, c: string): string => {
    const v = (r as Record<string, unknown>)[c];
    return v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  };
  const widths = columns.map((c) => Math.min(60, Math.max(c.length, ...rows.map((r) => cell(r, c).length))));
  const line = (vals: string[]): string => vals.map((v, i) => v.slice(0, 60).padEnd(widths[i]!)).join('  ').trimEnd() + '\n';
  process.stdout.write(line([...columns]));
  for (const r of rows) process.stdout.write(line(columns.map((c) => cell(r, c))));
}

/** `--since 1h` or an ISO timestamp → ISO timestamp. */
function sinceToIso(since: string | undefined): string | undefined {
  if (since === undefined) return undefined;
  const ms = parseDuration(since);
  if (ms !== undefined) return new Date(Date.now() - ms).toISOString();
  const t = Date.parse(since);
  if (Number.isNaN(t)) throw new ScadaLinkError('INVALID_ARGUMENT', `--since takes a duration (2h) or an ISO time, not ${since}`);
  return new Date(t).toISOString();
}

export function registerSiteCommands(program: Command): void {
  const site = program.command('site').description('run a site node, or manage its store');

  site
    .command('run', { isDefault: true })
    .description('run a site node (the default: `scadalink site --project DIR --data DIR`)')
    .option('--project <dir>', 'project directory (scadalink.yaml + scripts/), run until central deploys a revision')
    .requiredOption('--data <dir>', 'data directory for the site store')
    .option('--site <name>', 'which site of the project this node is (default: the only one)')
    .option('--host <host>', 'address of the HTTP endpoints', '127.0.0.1')
    .option('--port <port>', 'port of the HTTP endpoints (0 picks one)', '8081')
    .option('--synchronous <mode>', 'SQLite synchronous mode: FULL (default), NORMAL', 'FULL')
    .option('--shutdown-deadline <duration>', 'how long SIGTERM waits for in-flight work', '10s')
    .option('--central <host:port>', "central's site-link address; the site's secret comes from SCADALINK_SITE_SECRET")
    .option('--central-ca <file>', "dial central over TLS, trusting this CA or self-signed certificate (PEM)")
    .option('--central-tls', 'dial central over TLS, trusting the system CAs')
    .option('--script-payload-limit <bytes>', "largest JSON a script run takes as arguments or returns", '262144')
    .action(async (opts: { project?: string; data: string; site?: string; host: string; port: string; synchronous: string; shutdownDeadline: string; central?: string; centralCa?: string; centralTls?: boolean; scriptPayloadLimit: string }) => {
      const scriptPayloadLimitBytes = Number(opts.scriptPayloadLimit);
      if (!Number.isSafeInteger(scriptPayloadLimitBytes) || scriptPayloadLimitBytes < 1024) {
        throw new ScadaLinkError('INVALID_ARGUMENT', `--script-payload-limit takes a number of bytes from 1024, not ${opts.scriptPayloadLimit}`);
      }
      const synchronous = opts.synchronous.toUpperCase();
      let central: { address: string; secret: string; tls?: { ca?: Buffer } } | undefined;
      if (opts.central !== undefined) {
        const secret = process.env.SCADALINK_SITE_SECRET;
        if (!secret) {
          throw new ScadaLinkError('NO_SITE_SECRET', '--central needs the site secret in SCADALINK_SITE_SECRET (from `scadalink central site add`)');
        }
        const tls = opts.centralCa !== undefined ? { ca: readFileSync(opts.centralCa) } : opts.centralTls ? {} : undefined;
        central = { address: opts.central, secret, tls };
      }
      if (synchronous !== 'FULL' && synchronous !== 'NORMAL') {
        throw new ScadaLinkError('INVALID_ARGUMENT', `--synchronous takes FULL or NORMAL, not ${opts.synchronous}`);
      }
      guardNode('site');
      const node = await startSiteNode({
        projectDir: opts.project,
        dataDir: opts.data,
        site: opts.site,
        host: opts.host,
        port: parsePort('--port', opts.port),
        synchronous: synchronous as SynchronousMode,
        shutdownDeadlineMs: parseDeadline(opts.shutdownDeadline),
        adminToken: process.env.SCADALINK_ADMIN_TOKEN || undefined,
        scriptPayloadLimitBytes,
        central,
      });
      stopOnSignals('site', () => node.stop());
    });

  const parked = site.command('parked').description('list, retry or discard parked operations');
  parked
    .command('list')
    .requiredOption('--data <dir>', 'the site data directory')
    .option('--after <id>', 'list after this id (keyset paging)')
    .option('--limit <n>', 'most rows', '100')
    .option('--json', 'one JSON object per line')
    .action((opts: { data: string; after?: string; limit: string; json?: boolean }) => {
      const store = openStore(opts.data);
      try {
        const rows = store.buffer.parked(opts.after, Number(opts.limit)).map((op) => {
          const s = store.status(op.id);
          return { id: op.id, channel: op.channel, target: s?.target ?? op.target, retries: op.retryCount, lastError: s?.lastError, updatedAtUtc: s?.updatedAtUtc, instance: op.sourceInstanceId, script: op.sourceScript };
        });
        print(rows, opts.json === true, ['id', 'channel', 'target', 'retries', 'updatedAtUtc', 'lastError']);
      } finally {
        store.close();
      }
    });
  for (const action of ['retry', 'discard'] as const) {
    parked
      .command(`${action} <id>`)
      .requiredOption('--data <dir>', 'the site data directory')
      .option('--operator <name>', 'who asks (default: your user name)')
      .action(async (id: string, opts: { data: string; operator?: string }) => {
        const store = openStore(opts.data);
        try {
          const who = operatorName(opts.operator);
          const snap = action === 'retry' ? await store.retryParked(id, who) : await store.discardParked(id, who);
          process.stdout.write(`${snap.trackedOperationId} is now ${snap.status}\n`);
        } finally {
          store.close();
        }
      });
  }

  site
    .command('events')
    .description('show the site event log, newest first')
    .requiredOption('--data <dir>', 'the site data directory')
    .option('--category <c>', 'ScriptError | PermanentFailure | Parked | OperatorAction | Lifecycle | AuditFailure')
    .option('--level <l>', 'info | warn | error')
    .option('--instance <code>', 'only this instance')
    .option('--since <when>', 'a duration back from now (2h) or an ISO time')
    .option('--search <text>', 'message contains')
    .option('--before <id>', 'page: events older than this id')
    .option('--limit <n>', 'most rows', '50')
    .option('--json', 'one JSON object per line')
    .action((opts: { data: string; category?: EventCategory; level?: EventLevel; instance?: string; since?: string; search?: string; before?: string; limit: string; json?: boolean }) => {
      const store = openStore(opts.data);
      try {
        const rows = store.events.query({
          category: opts.category,
          level: opts.level,
          instance: opts.instance,
          sinceUtc: sinceToIso(opts.since),
          search: opts.search,
          beforeId: opts.before === undefined ? undefined : Number(opts.before),
          limit: Number(opts.limit),
        });
        print(rows, opts.json === true, ['id', 'atUtc', 'level', 'category', 'instance', 'script', 'trackedOperationId', 'message']);
      } finally {
        store.close();
      }
    });

  site
    .command('status <id>')
    .description("an operation's tracking row (Tracking.Status)")
    .requiredOption('--data <dir>', 'the site data directory')
    .action((id: string, opts: { data: string }) => {
      const store = openStore(opts.data);
      try {
        const snap = store.status(id);
        if (!snap) throw new ScadaLinkError('OPERATION_NOT_FOUND', `no operation ${id} at this site`);
        process.stdout.write(JSON.stringify(snap, null, 2) + '\n');
      } finally {
        store.close();
      }
    });
}
