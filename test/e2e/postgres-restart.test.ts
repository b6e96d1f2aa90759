// Issue 8, point 8: central survives its PostgreSQL server going away under
// load and catches up when it returns. Real processes throughout: a PostgreSQL
// server of the test's own (initdb in a temporary directory), `scadalink
// central --database-url` on it, a `scadalink site` making cached calls to a
// loopback ERP that fails one call in four (so operations are buffered,
// retried and change status during the outages). The server is stopped in
// immediate mode three times while the load runs; central must stay up, say
// it is not ready while the database is gone and ready once it is back, and
// its SiteCalls must end equal to the site's tracking table.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/index.js';
import { OwnPostgres } from '../support/own-postgres.js';
import { SiteProcess, runCli } from '../support/process.js';
import { writeProject } from '../support/project.js';

const OUTAGES = 3;
const DOWN_MS = 3_000;
const TERMINAL = new Set(['Delivered', 'Failed', 'Discarded']);

/** Polls `probe` until it returns a value other than undefined; fails after `ms`. */
async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('issue 8: central on PostgreSQL through server restarts under load', () => {
  let tmp: ReturnType<typeof tempDir>;
  let pg: OwnPostgres;
  let erp: Server;
  let central: SiteProcess | undefined;
  let site: SiteProcess | undefined;

  beforeAll(async () => {
    tmp = tempDir();
    pg = await OwnPostgres.create();
    let n = 0;
    erp = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const fail = ++n % 4 === 0;
        res.writeHead(fail ? 503 : 201, { 'content-type': 'application/json' });
        res.end(fail ? '{"error":"busy"}' : '{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => erp.listen(0, '127.0.0.1', resolve));
  }, 60_000);
  afterAll(async () => {
    await site?.kill();
    await central?.kill();
    await new Promise((resolve) => erp.close(resolve));
    await pg.destroy();
    tmp.cleanup();
  });

  it(
    'issue 8 central stays up through 3 immediate PostgreSQL stops under load, /ready is 503 while the database is down and 200 after, and SiteCalls ends equal to the site tracking table',
    async () => {
      const erpUrl = `http://127.0.0.1:${(erp.address() as AddressInfo).port}`;
      const method = { verb: 'POST', path: '/orders', parameters: { orderId: { type: 'string' } } };
      const projectDir = writeProject(
        join(tmp.dir, 'project'),
        {
          sites: { plant1: {} },
          instances: { Pump1: { site: 'plant1', scripts: { submit: { file: 'submit.js', triggers: ['call'] } } } },
          externalSystems: { ERP: { baseUrl: erpUrl, maxRetries: 100, retryInterval: '100ms', methods: { post: method } } },
        },
        { 'submit.js': `return await ExternalSystem.CachedCall('ERP', 'post', { orderId: Parameters.orderId });` },
      );
      const centralData = join(tmp.dir, 'central');
      const db = ['--data', centralData, '--database-url', pg.url()];
      const added = runCli(['central', 'site', 'add', '--create', 'plant1', ...db]);
      expect(added.status, added.stderr).toBe(0);
      const token = runCli(['central', 'token', 'create', '--create', '--role', 'Viewer', '--name', 'e2e', ...db]).stdout.trim();
      central = await SiteProcess.central([...db, '--port', '0', '--grpc-port', '0']);
      const siteData = join(tmp.dir, 'site');
      site = await SiteProcess.start(
        ['--project', projectDir, '--data', siteData, '--port', '0', '--central', `127.0.0.1:${central.grpcPort}`],
        { SCADALINK_SITE_SECRET: added.stdout.trim() },
      );
      const ready = async (): Promise<{ status: number; body: { reasons?: string[]; error?: { code: string } } }> => {
        const res = await fetch(`${central!.url}/ready`);
        return { status: res.status, body: (await res.json()) as { reasons?: string[]; error?: { code: string } } };
      };
      expect((await ready()).status).toBe(200);

      // The load: three callers submitting cached calls back to back until told to stop.
      let created = 0;
      let loading = true;
      const caller = async (w: number): Promise<void> => {
        for (let i = 0; loading; i++) {
          const res = await fetch(`${site!.url}/admin/api/instances/Pump1/scripts/submit/call`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ orderId: `PO-${w}-${i}` }),
          });
          expect(res.status).toBe(200);
          created++;
        }
      };
      const callers = [0, 1, 2].map(caller);

      for (let outage = 0; outage < OUTAGES; outage++) {
        const before = created;
        await until('load to go on', 20_000, async () => (created >= before + 20 ? true : undefined));
        await pg.stop();
        const down = await until('/ready to answer 503', 10_000, async () => {
          const r = await ready();
          return r.status === 503 ? r : undefined;
        });
        expect(down.body.error?.code).toBe('NOT_READY');
        expect(down.body.reasons?.some((r) => r.startsWith('database: '))).toBe(true);
        // The outage itself: the database stays away this long while the load runs.
        await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
        expect(central.alive).toBe(true);
        await pg.start();
        await until('/ready to answer 200', 15_000, async () => ((await ready()).status === 200 ? true : undefined));
        expect(central.alive).toBe(true);
      }
      loading = false;
      await Promise.all(callers);
      const loadEnded = Date.now();

      const siteRows = (): Map<string, string> => {
        const sdb = new Database(join(siteData, 'site.db'), { readonly: true });
        try {
          const rows = sdb.prepare('SELECT TrackedOperationId AS id, Status AS status FROM operation_tracking').all() as { id: string; status: string }[];
          return new Map(rows.map((r) => [r.id, r.status]));
        } finally {
          sdb.close();
        }
      };
      const centralRows = async (): Promise<Map<string, string>> => {
        const rows = new Map<string, string>();
        for (let after: string | null = ''; after !== null; ) {
          const q: string = after === '' ? '' : `&after=${after}`;
          const res = await fetch(`${central!.url}/admin/api/site-calls?site=plant1&limit=1000${q}`, { headers: { authorization: `Bearer ${token}` } });
          expect(res.status).toBe(200);
          const page = (await res.json()) as { items: { trackedOperationId: string; status: string }[]; next: string | null };
          for (const r of page.items) rows.set(r.trackedOperationId, r.status);
          after = page.next;
        }
        return rows;
      };
      // Converged: every operation ended at the site, and central mirrors each one's status.
      await until('SiteCalls to equal the site tracking table', 30_000, async () => {
        const s = siteRows();
        if ([...s.values()].some((status) => !TERMINAL.has(status))) return undefined;
        const c = await centralRows();
        return c.size === s.size && [...s].every(([id, status]) => c.get(id) === status) ? true : undefined;
      });
      const convergedMs = Date.now() - loadEnded;
      await site.terminate();
      site = undefined;
      const finalSite = siteRows();
      expect(finalSite.size).toBe(created);
      expect(await centralRows()).toEqual(finalSite);
      expect(central.alive).toBe(true);
      expect(central.output).not.toContain('Unhandled');
      process.stdout.write(`issue 8 postgres restarts: ${created} operations, ${OUTAGES} outages of ${DOWN_MS} ms, converged ${convergedMs} ms after the load\n`);
    },
    120_000,
  );
});
