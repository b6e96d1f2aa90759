import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { MAX_PAGE, ScadaLinkError, TELEMETRY_LIMITS } from '../commons/index.js';
import { DEFAULT_MAX_ISOLATES, DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_WARM_ISOLATES } from '../scripts/index.js';
import { DEFAULT_RUN_LIMITS, EVENT_CATEGORIES, EVENT_LEVELS, SITE_DB_FILE, SiteStore, type SynchronousMode, eventsQuery, parkedQuery, startSiteNode } from '../site/index.js';
import {
  agoOption,
  directoryOption,
  durationOption,
  hostOption,
  hostPortOption,
  invalidOption,
  nameOption,
  operationIdOption,
  pathOption,
  readAsQuery,
  readableFileOption,
  wholeOption,
} from './options.js';
import { operatorName, print } from './output.js';
import { guardNode, parsePort, stopOnSignals } from './process.js';

// setTimeout cannot wait longer than 2^31-1 ms (it would fire at once), and no shutdown should.
const MAX_SHUTDOWN_DEADLINE_MS = 24 * 3_600_000;
// What one script call may carry; above this a site's memory, not the option, is the limit.
const MAX_SCRIPT_PAYLOAD_BYTES = 64 * 1024 * 1024;
/** The sandbox's cap on isolates alive at once (runs in flight). */
const MAX_SCRIPT_ISOLATES = 64;
/** Ceiling of the per-run limits on nested calls and operations: far above any sane script, below what floods a node. */
const MAX_RUN_LIMIT = 1_000_000;
const MAX_CONCURRENT_NESTED = 1000;

/** Opens an existing site store; a wrong --data must not silently create an empty one. */
function openStore(dataDir: string): SiteStore {
  const file = resolve(pathOption('--data', dataDir), SITE_DB_FILE);
  if (!existsSync(file)) {
    throw new ScadaLinkError('NO_SITE_STORE', `no site store at ${file}: --data must be the data directory of a site`);
  }
  return new SiteStore(file, 'cli');
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
    .option('--central <host:port,...>', "central's site-link address, or several central nodes' separated by commas (tried in order); the site's secret comes from SCADALINK_SITE_SECRET")
    .option('--central-ca <file>', "dial central over TLS, trusting this CA or self-signed certificate (PEM)")
    .option('--central-tls', 'dial central over TLS, trusting the system CAs')
    .option('--script-payload-limit <bytes>', "largest JSON a script run takes as arguments or returns", String(DEFAULT_MAX_PAYLOAD_BYTES))
    .option('--script-warm-isolates <n>', 'script isolates kept warm, ready for a run', String(DEFAULT_WARM_ISOLATES))
    .option('--script-max-isolates <n>', `script runs in progress at once per script memory limit (default ${DEFAULT_MAX_ISOLATES}, or --script-warm-isolates if higher)`)
    .option('--script-max-nested-calls <n>', 'Scripts.Call one run and the runs it starts may make in all', String(DEFAULT_RUN_LIMITS.maxNestedCalls))
    .option('--script-max-concurrent-nested <n>', 'Scripts.Call of one run and the runs it starts in flight at once', String(DEFAULT_RUN_LIMITS.maxConcurrentNested))
    .option('--script-max-operations <n>', 'CachedCall, CachedWrite and Notify.Send one run and the runs it starts may submit', String(DEFAULT_RUN_LIMITS.maxOperations))
    .action(async (opts: RunOptions) => {
      // Every option is checked before anything starts (exit status 2 names the first bad one).
      const options = runOptions(opts);
      guardNode('site');
      const node = await startSiteNode({ ...options, adminToken: process.env.SCADALINK_ADMIN_TOKEN || undefined });
      stopOnSignals('site', () => node.stop());
    });

  const parked = site.command('parked').description('list, retry or discard parked operations');
  parked
    .command('list')
    .requiredOption('--data <dir>', 'the site data directory')
    .option('--after <id>', 'list after this id (keyset paging)')
    .option('--limit <n>', `most rows (1 to ${MAX_PAGE})`, '100')
    .option('--json', 'one JSON object per line')
    .action((opts: { data: string; after?: string; limit: string; json?: boolean }) => {
      const page = readAsQuery({ after: opts.after, limit: opts.limit }, parkedQuery);
      const store = openStore(opts.data);
      try {
        const rows = store.buffer.parked(page.after, page.limit).map((op) => {
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
        operationIdOption(id);
        const who = operatorName(opts.operator);
        const store = openStore(opts.data);
        try {
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
    .option('--category <c>', EVENT_CATEGORIES.join(' | '))
    .option('--level <l>', EVENT_LEVELS.join(' | '))
    .option('--instance <code>', 'only this instance')
    .option('--since <when>', 'a duration back from now (2h) or an ISO time')
    .option('--until <when>', 'only events before this: a duration back from now or an ISO time')
    .option('--search <text>', 'message contains')
    .option('--before <id>', 'page: events older than this id')
    .option('--limit <n>', `most rows (1 to ${MAX_PAGE})`, '50')
    .option('--json', 'one JSON object per line')
    .action((opts: { data: string; category?: string; level?: string; instance?: string; since?: string; until?: string; search?: string; before?: string; limit: string; json?: boolean }) => {
      const query = readAsQuery(
        { ...opts, data: undefined, json: undefined, since: agoOption('--since', opts.since), until: agoOption('--until', opts.until) },
        eventsQuery,
      );
      const store = openStore(opts.data);
      try {
        const rows = store.events.query(query);
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
      operationIdOption(id);
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

interface RunOptions {
  project?: string;
  data: string;
  site?: string;
  host: string;
  port: string;
  synchronous: string;
  shutdownDeadline: string;
  central?: string;
  centralCa?: string;
  centralTls?: boolean;
  scriptPayloadLimit: string;
  scriptWarmIsolates: string;
  scriptMaxIsolates?: string;
  scriptMaxNestedCalls: string;
  scriptMaxConcurrentNested: string;
  scriptMaxOperations: string;
}

/** `site run`'s options, each checked: INVALID_ARGUMENT (or NO_SITE_SECRET) names the first bad one. */
function runOptions(opts: RunOptions) {
  const synchronous = opts.synchronous.toUpperCase();
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') throw invalidOption('--synchronous', `takes FULL or NORMAL, not ${opts.synchronous}`);
  if (opts.central === undefined && (opts.centralCa !== undefined || opts.centralTls === true)) {
    throw invalidOption(opts.centralCa !== undefined ? '--central-ca' : '--central-tls', 'needs --central (the address to dial)');
  }
  const warm = wholeOption('--script-warm-isolates', opts.scriptWarmIsolates, 0, MAX_SCRIPT_ISOLATES);
  const maxIsolates = opts.scriptMaxIsolates === undefined ? undefined : wholeOption('--script-max-isolates', opts.scriptMaxIsolates, 1, MAX_SCRIPT_ISOLATES);
  if (maxIsolates !== undefined && maxIsolates < warm) {
    throw invalidOption('--script-max-isolates', `must be at least --script-warm-isolates (${warm}), not ${maxIsolates}`);
  }
  return {
    projectDir: opts.project === undefined ? undefined : directoryOption('--project', opts.project),
    dataDir: pathOption('--data', opts.data),
    site: opts.site === undefined ? undefined : nameOption('--site', opts.site, TELEMETRY_LIMITS.nameChars),
    host: hostOption('--host', opts.host),
    port: parsePort('--port', opts.port),
    synchronous: synchronous as SynchronousMode,
    shutdownDeadlineMs: durationOption('--shutdown-deadline', opts.shutdownDeadline, MAX_SHUTDOWN_DEADLINE_MS),
    scriptPayloadLimitBytes: wholeOption('--script-payload-limit', opts.scriptPayloadLimit, 1024, MAX_SCRIPT_PAYLOAD_BYTES),
    scriptWarmIsolates: warm,
    scriptMaxIsolates: maxIsolates,
    scriptRunLimits: {
      maxNestedCalls: wholeOption('--script-max-nested-calls', opts.scriptMaxNestedCalls, 0, MAX_RUN_LIMIT),
      maxConcurrentNested: wholeOption('--script-max-concurrent-nested', opts.scriptMaxConcurrentNested, 1, MAX_CONCURRENT_NESTED),
      maxOperations: wholeOption('--script-max-operations', opts.scriptMaxOperations, 0, MAX_RUN_LIMIT),
    },
    central: opts.central === undefined ? undefined : centralOption(opts.central, opts.centralCa, opts.centralTls === true),
  };
}

function centralOption(list: string, caFile: string | undefined, systemCas: boolean): { address: string[]; secret: string; tls?: { ca?: Buffer } } {
  const address = list.split(',').map((a) => hostPortOption('--central', a.trim()));
  if (new Set(address).size !== address.length) throw invalidOption('--central', `names an address twice: ${list}`);
  const ca = caFile === undefined ? undefined : readFileSync(readableFileOption('--central-ca', caFile));
  const secret = process.env.SCADALINK_SITE_SECRET;
  if (!secret) {
    throw new ScadaLinkError('NO_SITE_SECRET', '--central needs the site secret in SCADALINK_SITE_SECRET (from `scadalink central site add`)');
  }
  return { address, secret, tls: ca !== undefined ? { ca } : systemCas ? {} : undefined };
}
