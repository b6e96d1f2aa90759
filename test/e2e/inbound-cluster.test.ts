// Issue 11 point 10 with real processes on one PostgreSQL database: two
// `scadalink central` nodes (A and B) and a `scadalink site --central A,B`
// connected to A.
// - Seed 003 WP-13 scenario 10: a key disabled with the CLI is refused
//   (401 API_KEY_INVALID) by both replicas within 1 s; enabled, it works again.
// - Seed 003 failover test "central failover → Inbound API becomes available on
//   the new active node": an API call to B whose script routes to the site
//   (held by A) is forwarded and answered; A is killed (SIGKILL), the site
//   reconnects to B and the same call to B is answered from B's own stream.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG, createPgDatabase, tempDir } from '../support/index.js';
import { SiteProcess, runCli } from '../support/process.js';
import { writeProject } from '../support/project.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('issue 11 point 10: the Inbound API on two central replicas, with real processes', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  let url: string;
  let a: SiteProcess;
  let b: SiteProcess;
  let site: SiteProcess;
  let key: string;
  const procs: SiteProcess[] = [];

  const cli = (...args: string[]) => runCli(['central', ...args, '--data', join(tmp.dir, 'cli'), '--database-url', url]);
  const post = async (node: SiteProcess, method: string, body: object): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${node.url}/api/${method}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const link = async (): Promise<{ central: string; state: string }> =>
    ((await (await fetch(`${site.url}/info`)).json()) as { link: { central: string; state: string } }).link;
  const forwarded = async (node: SiteProcess): Promise<number> => {
    const m = /^scadalink_central_forwarded_commands_total\{outcome="replied"\} (\d+)$/m.exec(await (await fetch(`${node.url}/metrics`)).text());
    return m === null ? 0 : Number(m[1]);
  };

  beforeAll(async () => {
    tmp = tempDir();
    db = await createPgDatabase('sl_inbound_cluster');
    url = `postgres://${PG.user}@${PG.host}:${PG.port}/${db.database}`;
    const projectDir = writeProject(
      join(tmp.dir, 'project'),
      {
        sites: { plant1: {} },
        instances: { Pump1: { site: 'plant1', attributes: { Flow: { type: 'number', initial: 50 } }, scripts: { add: { file: 'add.js', triggers: ['call'] } } } },
        inboundApi: {
          methods: {
            Add: { parameters: { a: { type: 'Integer' }, b: { type: 'Integer' } }, returns: { type: 'Integer' }, apiKeys: ['mes'], script: 'add-central.js' },
            Dose: {
              parameters: { a: { type: 'Integer' }, b: { type: 'Integer' } },
              returns: { type: 'Object', fields: { sum: { type: 'Integer' }, flow: { type: 'Float' } } },
              apiKeys: ['mes'],
              timeout: '5s',
              script: 'dose.js',
            },
          },
        },
      },
      {
        'add.js': 'return Parameters.a + Parameters.b;',
        'add-central.js': 'return Parameters.a + Parameters.b;',
        'dose.js': `
const pump = Route.To('Pump1');
const sum = await pump.Call('add', { a: Parameters.a, b: Parameters.b });
await pump.SetAttribute('Flow', sum);
return { sum, flow: await pump.GetAttribute('Flow') };`,
      },
    );
    const added = cli('site', 'add', 'plant1', '--create');
    expect(added.status, added.stderr).toBe(0);
    const created = cli('apikey', 'create', 'mes');
    expect(created.status, created.stderr).toBe(0);
    key = created.stdout.trim();
    const args = (n: string): string[] => ['--data', join(tmp.dir, n), '--database-url', url, '--project', projectDir, '--port', '0', '--grpc-port', '0'];
    a = await SiteProcess.central(args('a'));
    procs.push(a);
    b = await SiteProcess.central(args('b'));
    procs.push(b);
    site = await SiteProcess.start(
      ['--site', 'plant1', '--data', join(tmp.dir, 'site'), '--port', '0', '--central', `127.0.0.1:${a.grpcPort},127.0.0.1:${b.grpcPort}`],
      { SCADALINK_SITE_SECRET: added.stdout.trim() },
    );
    procs.push(site);
    await site.line('"configuration deployed"');
    // Three processes start one after the other: more than the default hook time on a loaded 2-core machine.
  }, 120_000);
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.terminate()));
    await db?.drop();
    tmp?.cleanup();
  }, 60_000);

  it('issue 11 point 10 (seed 003 WP-13 scenario 10): a key disabled with the CLI gets 401 API_KEY_INVALID from both replicas within 1 s; enabled, it works on both again', async () => {
    for (const node of [a, b]) expect(await post(node, 'Add', { a: 1, b: 2 })).toEqual({ status: 200, body: 3 });

    const bothAnswer = async (status: number): Promise<number> => {
      const t0 = performance.now();
      // Bounded poll: a replica announces nothing when a key changes; each request reads the key's current state.
      for (;;) {
        const answers = await Promise.all([a, b].map((node) => post(node, 'Add', { a: 1, b: 2 })));
        if (answers.every((r) => r.status === status)) return performance.now() - t0;
        if (performance.now() - t0 > 5_000) throw new Error(`not ${status} on both replicas: ${JSON.stringify(answers)}`);
        await sleep(20);
      }
    };
    expect(cli('apikey', 'disable', 'mes').status).toBe(0);
    expect(await bothAnswer(401)).toBeLessThan(1_000);
    for (const node of [a, b]) {
      expect(await post(node, 'Add', { a: 1, b: 2 })).toEqual({ status: 401, body: { error: expect.any(String), code: 'API_KEY_INVALID' } });
    }
    // A routed method is refused before its script runs: nothing reaches the site.
    expect(await post(b, 'Dose', { a: 1, b: 1 })).toMatchObject({ status: 401, body: { code: 'API_KEY_INVALID' } });

    expect(cli('apikey', 'enable', 'mes').status).toBe(0);
    expect(await bothAnswer(200)).toBeLessThan(1_000);
  }, 60_000);

  it('issue 11 point 10 (seed 003 failover test): a routed API call to B is forwarded to A; A killed, the site moves to B and the same call to B succeeds', async () => {
    expect(await link()).toMatchObject({ central: `127.0.0.1:${a.grpcPort}`, state: 'connected' });
    const before = await forwarded(b);
    // B does not hold plant1's stream: its Route.To call and attribute writes go through A.
    expect(await post(b, 'Dose', { a: 40, b: 2 })).toEqual({ status: 200, body: { sum: 42, flow: 42 } });
    expect(await forwarded(b)).toBeGreaterThan(before);
    expect(await post(a, 'Dose', { a: 1, b: 2 })).toEqual({ status: 200, body: { sum: 3, flow: 3 } });

    await a.kill();
    const killedAt = performance.now();
    // Bounded poll: the site's link state has no push to await from here.
    while (!((await link()).central === `127.0.0.1:${b.grpcPort}` && (await link()).state === 'connected')) {
      if (performance.now() - killedAt > 30_000) throw new Error(`the site did not move to B: ${JSON.stringify(await link())}`);
      await sleep(50);
    }
    const forwardedBefore = await forwarded(b);
    expect(await post(b, 'Dose', { a: 20, b: 2 })).toEqual({ status: 200, body: { sum: 22, flow: 22 } });
    // Answered from B's own stream now, not forwarded.
    expect(await forwarded(b)).toBe(forwardedBefore);
    const attrs = (await (await fetch(`${site.url}/admin/api/instances/Pump1/attributes`)).json()) as Record<string, unknown>;
    expect(attrs).toEqual({ Flow: 22 });
    expect(b.alive).toBe(true);
  }, 60_000);
});
