// Issue 9, point 4 (site and dev): every option of every `scadalink site …`
// command and every parameter of the site's admin API is checked. A bad value
// is INVALID_QUERY (API, 400) or INVALID_ARGUMENT (CLI, exit status 2) naming
// the parameter; commander's own refusals exit 2 too; `dev` checks every
// option before it starts or creates anything. Real site process, real CLI.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTrackedOperationId, packageRoot } from '../../src/commons/index.js';
import { tempDir } from '../support/index.js';
import { closedPort } from '../support/net.js';
import { SiteProcess } from '../support/process.js';
import { writeProject } from '../support/project.js';

const BIN = join(packageRoot(), 'bin', 'scadalink.js');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

// A table of CLI runs takes a while on a loaded machine (each run loads the whole CLI).
const TABLE_MS = 240_000;

/** The CLI as a child process, asynchronous so that a table of cases runs a few at a time; one that hangs is killed after 30 s. */
function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--no-node-snapshot', BIN, ...args], { timeout: 30_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const status = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ status, stdout, stderr });
    });
  });
}

/** Runs `cases` `width` at a time, in order of the answers. */
async function all<T, R>(cases: readonly T[], run: (c: T) => Promise<R>, width = 4): Promise<R[]> {
  const out: R[] = new Array<R>(cases.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const i = next++;
      out[i] = await run(cases[i]!);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return out;
}

const project = {
  sites: { plant1: {} },
  instances: {
    Pump1: {
      site: 'plant1',
      attributes: { Flow: { type: 'number', initial: 10 } },
      scripts: { echo: { file: 'echo.js', triggers: ['call'] } },
    },
  },
};

describe('issue 9 point 4: strict site CLI options and site admin API parameters', () => {
  let tmp: ReturnType<typeof tempDir>;
  let site: SiteProcess;
  let dataDir: string;
  let projectDir: string;

  beforeAll(async () => {
    tmp = tempDir();
    projectDir = writeProject(join(tmp.dir, 'project'), project, { 'echo.js': 'return Parameters;' });
    dataDir = join(tmp.dir, 'data');
    site = await SiteProcess.start(['--project', projectDir, '--data', dataDir, '--port', '0']);
  });
  afterAll(async () => {
    await site?.terminate();
    tmp.cleanup();
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${site.url}/admin/api/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as { error?: { code: string; message: string; details?: { parameter?: string } } } };
  };

  // [route, parameter named in the answer, query string]
  const opId = newTrackedOperationId();
  const badQueries: readonly [string, string, string][] = [
    ['events', 'category', 'category=Parkd'],
    ['events', 'category', 'category=parked'],
    ['events', 'category', 'category='],
    ['events', 'category', 'category=Parked&category=Lifecycle'],
    ['events', 'level', 'level=bogus'],
    ['events', 'level', 'level=WARN'],
    ['events', 'instance', 'instance='],
    ['events', 'instance', `instance=${'x'.repeat(257)}`],
    ['events', 'since', 'since=2h'],
    ['events', 'since', 'since=2026-02-30T00:00:00Z'],
    ['events', 'since', 'since=2026-11-29'],
    ['events', 'until', 'until=yesterday'],
    ['events', 'until', 'since=2026-11-29T10:00:00Z&until=2026-11-29T09:00:00Z'],
    ['events', 'search', 'search='],
    ['events', 'search', `search=${'x'.repeat(201)}`],
    ['events', 'before', 'before=abc'],
    ['events', 'before', 'before=0'],
    ['events', 'before', 'before=-1'],
    ['events', 'limit', 'limit=abc'],
    ['events', 'limit', 'limit=0'],
    ['events', 'limit', 'limit=1001'],
    ['events', 'limit', 'limit=1e3'],
    ['events', 'colour', 'colour=red'],
    ['parked', 'after', 'after=not-an-id'],
    ['parked', 'after', 'after='],
    ['parked', 'limit', 'limit=-5'],
    ['parked', 'limit', 'limit=abc'],
    ['parked', 'verbose', 'verbose=1'],
    [`operations/${opId}`, 'x', 'x=1'],
    ['instances/Pump1/attributes', 'x', 'x=1'],
  ];

  it('site admin API: each bad query parameter is 400 INVALID_QUERY naming it (category, level, instance, since, until, search, before, limit, after, unknown ones)', async () => {
    const wrong: unknown[] = [];
    for (const [route, parameter, query] of badQueries) {
      const { status, json } = await api('GET', `${route}?${query}`);
      if (status !== 400 || json.error?.code !== 'INVALID_QUERY' || json.error.details?.parameter !== parameter || !json.error.message.startsWith(`${parameter}: `)) {
        wrong.push({ route, query, status, json });
      }
    }
    expect(wrong).toEqual([]);
  });

  it('site admin API: POST and PUT routes refuse query parameters and unknown or bad body fields, naming them (operator, value)', async () => {
    const cases: readonly [string, string, unknown, number, string, string][] = [
      ['POST', `operations/${opId}/retry?force=1`, {}, 400, 'INVALID_QUERY', 'force'],
      ['POST', `operations/${opId}/discard`, { operator: '' }, 400, 'INVALID_REQUEST', 'operator'],
      ['POST', `operations/${opId}/retry`, { operator: 5 }, 400, 'INVALID_REQUEST', 'operator'],
      ['POST', `operations/${opId}/retry`, { operator: 'x'.repeat(257) }, 400, 'INVALID_REQUEST', 'operator'],
      ['POST', `operations/${opId}/retry`, { operatr: 'bob' }, 400, 'INVALID_REQUEST', 'operatr'],
      ['POST', 'instances/Pump1/scripts/echo/call?debug=1', {}, 400, 'INVALID_QUERY', 'debug'],
      ['PUT', 'instances/Pump1/attributes/Flow?x=1', { value: 1 }, 400, 'INVALID_QUERY', 'x'],
      ['PUT', 'instances/Pump1/attributes/Flow', { value: 1, quality: 'good' }, 400, 'INVALID_REQUEST', 'quality'],
    ];
    const wrong: unknown[] = [];
    for (const [method, path, body, status, code, parameter] of cases) {
      const answer = await api(method, path, body);
      if (answer.status !== status || answer.json.error?.code !== code || answer.json.error.details?.parameter !== parameter) wrong.push({ method, path, answer });
    }
    expect(wrong).toEqual([]);
  });

  it('site admin API: the good paths still work (every events filter at once, parked paging, retry body, attribute write)', async () => {
    const events = await api('GET', `events?category=Lifecycle&level=info&instance=Pump1&since=2026-01-01T00:00:00Z&until=2100-01-01T00:00:00Z&search=start&limit=5`);
    expect(events.status).toBe(200);
    const lifecycle = await api('GET', 'events?category=Lifecycle&limit=1000');
    expect(lifecycle.status).toBe(200);
    expect(JSON.stringify(lifecycle.json)).toContain('started');
    expect((await api('GET', `parked?after=${opId}&limit=1000`)).status).toBe(200);
    expect((await api('POST', `operations/${opId}/retry`, { operator: 'alice' })).json.error?.code).toBe('OPERATION_NOT_FOUND');
    expect((await api('PUT', 'instances/Pump1/attributes/Flow', { value: 12 })).json).toEqual({ value: 12 });
  });

  it('site CLI: each bad option value exits 2 with INVALID_ARGUMENT naming the option (events, parked list|retry|discard, status)', async () => {
    const d = ['--data', dataDir];
    // [option named, arguments]
    const cases: readonly [string, string[]][] = [
      ['--category', ['site', 'events', ...d, '--category', 'Parkd']],
      ['--level', ['site', 'events', ...d, '--level', 'bogus']],
      ['--instance', ['site', 'events', ...d, '--instance', '']],
      ['--since', ['site', 'events', ...d, '--since', 'yesterday']],
      ['--since', ['site', 'events', ...d, '--since', '2026-02-30T00:00:00Z']],
      ['--until', ['site', 'events', ...d, '--until', 'soon']],
      ['--until', ['site', 'events', ...d, '--since', '1h', '--until', '2h']],
      ['--search', ['site', 'events', ...d, '--search', '']],
      ['--before', ['site', 'events', ...d, '--before', 'abc']],
      ['--limit', ['site', 'events', ...d, '--limit', 'abc']],
      ['--limit', ['site', 'events', ...d, '--limit', '0']],
      ['--limit', ['site', 'events', ...d, '--limit', '5000']],
      ['--limit', ['site', 'parked', 'list', ...d, '--limit', '-5']],
      ['--limit', ['site', 'parked', 'list', ...d, '--limit', '1.5']],
      ['--after', ['site', 'parked', 'list', ...d, '--after', 'not-an-id']],
      ['<id>', ['site', 'parked', 'retry', 'abc', ...d]],
      ['<id>', ['site', 'parked', 'discard', 'abc', ...d]],
      ['--operator', ['site', 'parked', 'retry', opId, ...d, '--operator', ' ']],
      ['<id>', ['site', 'status', 'abc', ...d]],
      ['--data', ['site', 'events', '--data', '']],
    ];
    const runs = await all(cases, ([, args]) => cli(args));
    const wrong = cases.flatMap(([option, args], i) => {
      const r = runs[i]!;
      return r.status === 2 && r.stderr.startsWith(`scadalink: INVALID_ARGUMENT: ${option}: `) && r.stdout === '' ? [] : [{ args, ...r }];
    });
    expect(wrong).toEqual([]);
  }, TABLE_MS);

  it('site CLI: each bad option of `site run` exits 2 naming it before anything starts (port, host, synchronous, shutdown-deadline, central, central-ca, central-tls, script-payload-limit, script-warm-isolates, script-max-isolates, script-max-nested-calls, script-max-concurrent-nested, script-max-operations, project, data, site)', async () => {
    const fresh = join(tmp.dir, 'never-created');
    const run = (...args: string[]): string[] => ['site', '--project', projectDir, '--data', fresh, ...args];
    const cases: readonly [string, string[]][] = [
      ['--port', run('--port', 'abc')],
      ['--port', run('--port', '')],
      ['--port', run('--port', '0x50')],
      ['--port', run('--port', '70000')],
      ['--host', run('--host', 'a b')],
      ['--synchronous', run('--synchronous', 'fast')],
      ['--shutdown-deadline', run('--shutdown-deadline', 'soon')],
      ['--shutdown-deadline', run('--shutdown-deadline', '1000h')],
      ['--central', run('--central', 'central-without-port')],
      ['--central', run('--central', '127.0.0.1:0')],
      ['--central-ca', run('--central', '127.0.0.1:7443', '--central-ca', join(tmp.dir, 'no-such.pem'))],
      ['--central-ca', run('--central-ca', join(tmp.dir, 'no-such.pem'))],
      ['--central-tls', run('--central-tls')],
      ['--script-payload-limit', run('--script-payload-limit', '10')],
      ['--script-payload-limit', run('--script-payload-limit', '1e6')],
      ['--script-warm-isolates', run('--script-warm-isolates', '65')],
      ['--script-warm-isolates', run('--script-warm-isolates', '-1')],
      ['--script-max-isolates', run('--script-max-isolates', '0')],
      ['--script-max-isolates', run('--script-max-isolates', '65')],
      ['--script-max-isolates', run('--script-warm-isolates', '32', '--script-max-isolates', '16')],
      ['--script-max-nested-calls', run('--script-max-nested-calls', '1000001')],
      ['--script-max-nested-calls', run('--script-max-nested-calls', '1e3')],
      ['--script-max-concurrent-nested', run('--script-max-concurrent-nested', '0')],
      ['--script-max-concurrent-nested', run('--script-max-concurrent-nested', '1001')],
      ['--script-max-operations', run('--script-max-operations', '-5')],
      ['--script-max-operations', run('--script-max-operations', 'many')],
      ['--project', ['site', '--project', join(tmp.dir, 'no-project'), '--data', fresh]],
      ['--data', ['site', '--project', projectDir, '--data', '']],
      ['--site', run('--site', '')],
    ];
    const runs = await all(cases, ([, args]) => cli(args, { SCADALINK_SITE_SECRET: 'not-used' }));
    const wrong = cases.flatMap(([option, args], i) => {
      const r = runs[i]!;
      const named = r.stderr.startsWith(`scadalink: INVALID_ARGUMENT: ${option}: `) || r.stderr.startsWith(`scadalink: INVALID_ARGUMENT: ${option} takes `);
      return r.status === 2 && named && r.stdout === '' ? [] : [{ args, ...r }];
    });
    expect(wrong).toEqual([]);
    expect(existsSync(fresh)).toBe(false);
  }, TABLE_MS);

  it("CLI: commander's own refusals (unknown option, missing --data, extra argument, missing <id>) and INVALID_ARGUMENT of any command exit 2; other failures stay 1", async () => {
    const runs = await all(
      [
        ['site', 'events', '--data', dataDir, '--colour', 'red'],
        ['site', 'events'],
        ['site', 'events', '--data', dataDir, 'extra'],
        ['site', 'status', '--data', dataDir],
        ['site', 'parked', 'list', '--data', dataDir, '--limit'],
      ],
      (args) => cli(args),
    );
    expect(runs.map((r) => r.status)).toEqual([2, 2, 2, 2, 2]);
    expect(runs[0]!.stderr).toContain("unknown option '--colour'");
    expect(runs[1]!.stderr).toContain("required option '--data <dir>' not specified");
    // main.ts's rule holds for every command: INVALID_ARGUMENT from central's options is a usage error too.
    const central = await cli(['central', '--data', join(tmp.dir, 'central-never-created'), '--port', 'abc']);
    expect(central.status).toBe(2);
    expect(central.stderr).toContain('INVALID_ARGUMENT');
    const notFound = await cli(['site', 'status', opId, '--data', dataDir]);
    expect(notFound.status).toBe(1);
    expect(notFound.stderr).toContain('OPERATION_NOT_FOUND');
    expect((await cli(['--version'])).status).toBe(0);
  }, TABLE_MS);

  it('site CLI: the good paths still work (events with every filter, parked list paging, JSON output)', async () => {
    const [events, filtered, parked] = await all(
      [
        ['site', 'events', '--data', dataDir, '--category', 'Lifecycle', '--level', 'info', '--since', '1h', '--until', '0s', '--json'],
        ['site', 'events', '--data', dataDir, '--instance', 'Pump1', '--search', 'start', '--since', '2026-01-01T00:00:00Z', '--before', '1000000', '--limit', '1000'],
        ['site', 'parked', 'list', '--data', dataDir, '--after', opId, '--limit', '1000', '--json'],
      ],
      (args) => cli(args),
    );
    expect(events).toMatchObject({ status: 0, stderr: '' });
    expect(events!.stdout).toContain('"category":"Lifecycle"');
    expect(filtered).toMatchObject({ status: 0, stderr: '' });
    expect(parked).toMatchObject({ status: 0, stdout: '', stderr: '' });
  }, TABLE_MS);
});

describe('issue 9 point 4: scadalink dev checks every option before it starts anything', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('a bad --port, --central-port, --erp-port, --project or --data, or two options on one port, exits 2 naming the option; no data directory is created and nothing is logged as started', async () => {
    const [centralPort, erpPort] = [await closedPort(), await closedPort()];
    const data = join(tmp.dir, 'dev-data');
    const ports = ['--central-port', String(centralPort), '--erp-port', String(erpPort)];
    const cases: readonly [string, string[]][] = [
      ['--port', ['dev', '--data', data, '--port', 'abc', ...ports]],
      ['--central-port', ['dev', '--data', data, '--port', '0', '--central-port', '70000', '--erp-port', String(erpPort)]],
      ['--erp-port', ['dev', '--data', data, '--port', '0', '--central-port', String(centralPort), '--erp-port', '-1']],
      ['--central-port', ['dev', '--data', data, '--port', String(erpPort), '--central-port', String(erpPort), '--erp-port', '0']],
      ['--project', ['dev', '--data', data, '--port', '0', ...ports, '--project', join(tmp.dir, 'no-project')]],
      ['--data', ['dev', '--data', '', '--port', '0', ...ports]],
    ];
    const runs = await all(cases, ([, args]) => cli(args), 3);
    const wrong = cases.flatMap(([option, args], i) => {
      const r = runs[i]!;
      const named = r.stderr.startsWith(`scadalink: INVALID_ARGUMENT: ${option}: `) || r.stderr.startsWith(`scadalink: INVALID_ARGUMENT: ${option} takes `);
      // One line on stderr and nothing else: no central, site or ERP log line was ever written.
      return r.status === 2 && named && r.stdout === '' && r.stderr.trim().split('\n').length === 1 ? [] : [{ args, ...r }];
    });
    expect(wrong).toEqual([]);
    expect(existsSync(data)).toBe(false);
    expect(readdirSync(tmp.dir)).toEqual([]);
  }, TABLE_MS);
});
