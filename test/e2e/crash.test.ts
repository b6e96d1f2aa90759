// The crash test of the site (DESIGN §3, the spine): a real site process
// running a few thousand cached calls against a flaky server is SIGKILLed at
// random moments at least ten times and restarted on the same data directory.
// Afterwards every operation is terminal, none is lost, and every delivery of
// one operation carried the same Idempotency-Key.
//
// CRASH_SEED=<n> replays the server's behaviour, the batch sizes and the kill
// delays of a run (the interleaving with the site's own timing still varies).
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/index.js';
import { writeProject } from '../support/project.js';
import { FlakyServer, prng } from './flaky-server.js';
import { SiteProcess } from '../support/process.js';

const MIN_KILLS = 10;
// Enough for MIN_ACKNOWLEDGED on a loaded machine too, where a restarted site takes longer to answer.
const MAX_KILLS = 50;
const MIN_ACKNOWLEDGED = 2_000;
/** Concurrent submit calls against a running site. */
const SUBMITTERS = 6;
const BATCH_MIN = 20;
const BATCH_MAX = 50;
/** How long after a site is ready it is killed. */
const KILL_MIN_MS = 150;
const KILL_MAX_MS = 1500;

const siteArgs = (projectDir: string, dataDir: string): string[] =>
  ['--project', projectDir, '--data', dataDir, '--port', '0', '--shutdown-deadline', '10s'];

const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const random = prng(seed);
const between = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function project(flakyUrl: string): object {
  return {
    sites: { plant1: {} },
    instances: {
      Line1: {
        site: 'plant1',
        scripts: { submit: { file: 'submit.js', triggers: ['call'], timeout: '60s' } },
      },
    },
    externalSystems: {
      Flaky: {
        baseUrl: flakyUrl,
        // Far above the slowest answer, so no attempt times out while its 200 is on the way.
        timeout: '10s',
        // High enough that nothing parks: every operation must end Delivered.
        maxRetries: 1000,
        retryInterval: '30ms',
        maxConcurrency: 32,
        methods: { post: { verb: 'POST', path: '/orders', parameters: { orderId: { type: 'string' } } } },
      },
    },
  };
}

const scripts = {
  // One cached call per order id, all at once; returns the TrackedOperationIds in order.
  'submit.js': `return await Promise.all(
    Parameters.orderIds.map((orderId) => ExternalSystem.CachedCall('Flaky', 'post', { orderId })));`,
};

interface Kill {
  readonly generation: number;
  readonly afterMs: number;
  readonly at: number;
  /** Requests at the flaky server not yet answered (or whose answer was still going out) when the site died. */
  readonly inFlightAtServer: number;
  /** Submit calls sent whose answer had not arrived. */
  readonly submitsInFlight: number;
  /** From spawn to ready. */
  readonly startMs: number;
  readonly acknowledgedInRun: number;
  /** From the kill until the dead process's connections to the flaky server were all closed. */
  readonly reapMs: number;
}

interface TrackingRow {
  readonly TrackedOperationId: string;
  readonly Status: string;
}

interface AuditRow {
  readonly TrackedOperationId: string;
  readonly Kind: string;
  readonly Status: string;
}

describe('site crash test: SIGKILL during cached calls against a flaky server (DESIGN §3)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: FlakyServer;
  let projectDir: string;
  let dataDir: string;
  let current: SiteProcess | undefined;
  const outputs: string[] = [];

  beforeAll(async () => {
    tmp = tempDir('scadalink-crash-');
    server = new FlakyServer(random, { ok: 35, unavailable: 30, reset: 15, slowOk: 20, slowMinMs: 10, slowMaxMs: 150 });
    const url = await server.listen();
    projectDir = writeProject(join(tmp.dir, 'project'), project(url), scripts);
    dataDir = join(tmp.dir, 'data');
  });

  afterAll(async () => {
    if (current?.alive) await current.kill();
    await server?.close();
    if (process.env.CRASH_KEEP) console.info(`crash test data kept in ${tmp.dir}`);
    else tmp?.cleanup();
  });

  it('loses no acknowledged operation, ends every operation terminal and keeps one Idempotency-Key per operation', { timeout: 240_000 }, async () => {
    const started = performance.now();
    /** orderId → the TrackedOperationId the site answered with. */
    const acknowledged = new Map<string, string>();
    /** Order ids of submit calls whose answer never came (the site was killed). */
    const unanswered = new Set<string>();
    /** Answers other than 200 from a live site: never expected. */
    const callErrors: string[] = [];
    const kills: Kill[] = [];
    let nextOrder = 0;
    let submitsInFlight = 0;

    const submitter = async (url: string, stopped: () => boolean): Promise<void> => {
      while (!stopped()) {
        const orderIds = Array.from({ length: between(BATCH_MIN, BATCH_MAX) }, () => `order-${++nextOrder}`);
        submitsInFlight++;
        try {
          const res = await fetch(`${url}/admin/api/instances/Line1/scripts/submit/call`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ orderIds }),
          });
          const body = (await res.json()) as { result?: unknown };
          if (res.status !== 200 || !Array.isArray(body.result) || body.result.length !== orderIds.length) {
            callErrors.push(`${res.status} ${JSON.stringify(body).slice(0, 500)}`);
            for (const o of orderIds) unanswered.add(o);
            return;
          }
          const ids = body.result as unknown[];
          orderIds.forEach((o, i) => acknowledged.set(o, String(ids[i])));
        } catch {
          // The site died under this call: these ids are not acknowledged (they may or may not exist).
          for (const o of orderIds) unanswered.add(o);
          return;
        } finally {
          submitsInFlight--;
        }
      }
    };

    try {
      // ---- Kill phase: run, submit, SIGKILL at a random moment, restart on the same data. ----
      let generation = 0;
      while (kills.length < MIN_KILLS || (acknowledged.size < MIN_ACKNOWLEDGED && kills.length < MAX_KILLS)) {
        server.generation = ++generation;
        const spawnedAt = performance.now();
        const site = await SiteProcess.start(siteArgs(projectDir, dataDir));
        const url = site.url;
        const startMs = performance.now() - spawnedAt;
        const ackedBefore = acknowledged.size;
        current = site;
        let stopped = false;
        const loops = Array.from({ length: SUBMITTERS }, () => submitter(url, () => stopped));
        const afterMs = between(KILL_MIN_MS, KILL_MAX_MS);
        await sleep(afterMs);
        expect(site.alive, `site generation ${generation} died on its own\n${site.output}`).toBe(true);
        const inFlightAtServer = server.inFlight();
        const inFlightSubmits = submitsInFlight;
        const at = performance.now();
        const exit = await site.kill();
        stopped = true;
        expect(exit.signal).toBe('SIGKILL');
        outputs.push(`--- generation ${generation} (killed after ${afterMs} ms) ---\n${site.output.slice(-4000)}`);
        await Promise.all(loops);
        // Every request the dead process sent has been read and its connection closed
        // before the next process starts, so each request belongs to one generation.
        await server.idle(10_000);
        kills.push({
          generation,
          afterMs,
          at,
          inFlightAtServer,
          submitsInFlight: inFlightSubmits,
          startMs: Math.round(startMs),
          acknowledgedInRun: acknowledged.size - ackedBefore,
          reapMs: Math.round(performance.now() - at),
        });
      }
      const killPhaseMs = performance.now() - started;

      // ---- Final run: no more submissions, the server answers 200 to everything. ----
      server.calm = true;
      server.generation = ++generation;
      const site = await SiteProcess.start(siteArgs(projectDir, dataDir));
      current = site;
      // What the site still owes: its non-terminal rows. Nothing new is submitted, so
      // this set only shrinks. (WAL: this reader never blocks the site's writer.)
      const recordedAtRestart = readOnly(dataDir, (db) => db.prepare('SELECT TrackedOperationId, Status FROM operation_tracking').all() as TrackingRow[]);
      // An acknowledged operation the store does not hold after the kills is lost, whatever happens next.
      const recordedIds = new Set(recordedAtRestart.map((r) => r.TrackedOperationId));
      const lost = [...acknowledged].filter(([, id]) => !recordedIds.has(id));
      expect(lost.map(([o, id]) => `${o}: ${id}`).slice(0, 20), `${lost.length} acknowledged operation(s) not in the store`).toEqual([]);
      const pending = recordedAtRestart.filter((r) => !['Delivered', 'Failed', 'Discarded'].includes(r.Status)).map((r) => r.TrackedOperationId);
      const owed = new Set([...acknowledged.values(), ...pending]);
      await server.allDelivered(owed, 30_000);
      // Every owed operation got its 200; a graceful stop lets the site record the last outcomes.
      const stop = await site.terminate();
      outputs.push(`--- generation ${generation} (final, SIGTERM) ---\n${site.output.slice(-4000)}`);
      expect(stop, site.output).toEqual({ code: 0, signal: null });
      const totalMs = performance.now() - started;

      // ---- What the site recorded. ----
      const { tracking, bufferRows, audit } = readOnly(dataDir, (db) => ({
        tracking: db.prepare('SELECT TrackedOperationId, Status FROM operation_tracking').all() as TrackingRow[],
        bufferRows: (db.prepare('SELECT COUNT(*) FROM sf_buffer').pluck().get() as number),
        audit: db.prepare('SELECT TrackedOperationId, Kind, Status FROM audit_outbox WHERE TrackedOperationId IS NOT NULL').all() as AuditRow[],
      }));
      const statusOf = new Map(tracking.map((r) => [r.TrackedOperationId, r.Status]));

      // The brief's figures for this run.
      const deliveries = server.requests.filter((r) => r.delivered);
      const duplicates = [...server.byKey.values()].filter((rs) => rs.filter((r) => r.delivered).length > 1);
      // Each earlier 200 of a duplicate went to a process that was then killed; how long
      // before its kill tells how wide the window between answer and commit was.
      const killOf = new Map(kills.map((k) => [k.generation, k]));
      const notKilled: string[] = [];
      const windowsMs: number[] = [];
      for (const rs of duplicates) {
        for (const r of rs.filter((x) => x.delivered).slice(0, -1)) {
          const kill = killOf.get(r.generation);
          if (kill === undefined) notKilled.push(`${r.key} #${r.seq} (generation ${r.generation})`);
          else windowsMs.push(kill.at - r.deliveredAt!);
        }
      }
      windowsMs.sort((a, b) => a - b);
      const report = {
        seed,
        kills: kills.length,
        runs: kills.map((k) => `${k.startMs}+${k.afterMs}+${k.reapMs}ms:${k.acknowledgedInRun}`).join(' '),
        requestsInFlightAtKills: kills.reduce((n, k) => n + k.inFlightAtServer, 0),
        submitCallsCutByKills: kills.reduce((n, k) => n + k.submitsInFlight, 0),
        acknowledged: acknowledged.size,
        unansweredOrderIds: unanswered.size,
        recordedOperations: tracking.length,
        recordedButUnacknowledged: tracking.length - acknowledged.size,
        requestsAtServer: server.requests.length,
        outcomes: countBy(server.requests, (r) => r.outcome),
        deliveries: deliveries.length,
        operationsDeliveredMoreThanOnce: duplicates.length,
        duplicateAnsweredBeforeKillMs: quantiles(windowsMs),
        killPhaseSeconds: +(killPhaseMs / 1000).toFixed(1),
        totalSeconds: +(totalMs / 1000).toFixed(1),
      };
      console.info(`crash test: ${JSON.stringify(report)}`);

      // The run really was a crash test.
      expect(kills.length).toBeGreaterThanOrEqual(MIN_KILLS);
      expect(acknowledged.size).toBeGreaterThanOrEqual(MIN_ACKNOWLEDGED);
      expect(callErrors, 'a live site answered a submit call with an error').toEqual([]);
      expect(report.requestsInFlightAtKills, 'no kill ever landed while requests were in flight').toBeGreaterThan(0);

      // (1) Every acknowledged operation is recorded and Delivered.
      const notDelivered = [...acknowledged].filter(([, id]) => statusOf.get(id) !== 'Delivered');
      expect(notDelivered.map(([o, id]) => `${o}: ${id} is ${statusOf.get(id) ?? 'missing'}`).slice(0, 20)).toEqual([]);

      // (2) Nothing is left in the buffer and no row is non-terminal; with no parking
      // and no permanent failure every row, acknowledged or not, ends Delivered.
      expect(bufferRows).toBe(0);
      expect(countBy(tracking, (r) => r.Status)).toEqual({ Delivered: tracking.length });
      for (const id of acknowledged.values()) expect(statusOf.has(id)).toBe(true);

      // (3) None lost: every recorded operation, so every acknowledged one, had a 200 at the server.
      const undelivered = tracking.filter((r) => !server.deliveredKeys.has(r.TrackedOperationId));
      expect(undelivered.map((r) => r.TrackedOperationId).slice(0, 20)).toEqual([]);
      const lostAcknowledged = [...acknowledged].filter(([, id]) => !server.deliveredKeys.has(id));
      expect(lostAcknowledged.slice(0, 20)).toEqual([]);

      // (4) Idempotency: every request carried a key; one order id ↔ one key; that key is
      // the id the site returned; and every key the server saw is a recorded operation
      // (record before acting: nothing is sent that is not in the store).
      expect(server.requests.filter((r) => r.key === undefined || r.orderId === undefined)).toEqual([]);
      const keysPerOrder = [...server.byOrder].filter(([, rs]) => new Set(rs.map((r) => r.key)).size !== 1);
      expect(keysPerOrder.map(([o, rs]) => `${o}: ${[...new Set(rs.map((r) => r.key))].join(' ')}`)).toEqual([]);
      const ordersPerKey = [...server.byKey].filter(([, rs]) => new Set(rs.map((r) => r.orderId)).size !== 1);
      expect(ordersPerKey.map(([k]) => k)).toEqual([]);
      const wrongKey = [...acknowledged].filter(([o, id]) => server.byOrder.get(o)?.[0]?.key !== id);
      expect(wrongKey.slice(0, 20)).toEqual([]);
      const unrecordedKeys = [...server.byKey.keys()].filter((k) => !statusOf.has(k));
      expect(unrecordedKeys.slice(0, 20)).toEqual([]);

      // No two attempts of one operation overlap (the claim), and within one process an
      // operation is never sent again after a 200 reached it. So (5) a duplicate delivery
      // only comes from a kill between the downstream success and the local commit.
      const overlapping: string[] = [];
      const resentAfterSuccess: string[] = [];
      for (const [key, rs] of server.byKey) {
        const deliveredIn = new Set<number>();
        for (let i = 0; i < rs.length; i++) {
          const r = rs[i]!;
          const prev = rs[i - 1];
          if (prev !== undefined && (prev.settledAt ?? Infinity) > r.arrivedAt) overlapping.push(`${key} #${prev.seq}/#${r.seq}`);
          if (deliveredIn.has(r.generation)) resentAfterSuccess.push(`${key} #${r.seq} (generation ${r.generation})`);
          if (r.delivered) deliveredIn.add(r.generation);
        }
      }
      expect(overlapping.slice(0, 20)).toEqual([]);
      expect(resentAfterSuccess.slice(0, 20)).toEqual([]);
      expect(notKilled.slice(0, 20), 'a 200 to a process that was not killed was followed by another').toEqual([]);
      // Audit rows are written in the same transactions, so they survived the kills too:
      // one CachedSubmit and one CachedResolve/Delivered per operation.
      const auditOf = new Map<string, AuditRow[]>();
      for (const a of audit) {
        const list = auditOf.get(a.TrackedOperationId);
        if (list) list.push(a);
        else auditOf.set(a.TrackedOperationId, [a]);
      }
      const badAudit = tracking
        .map((r) => r.TrackedOperationId)
        .filter((id) => {
          const rows = auditOf.get(id) ?? [];
          const submits = rows.filter((a) => a.Kind === 'CachedSubmit' && a.Status === 'Submitted').length;
          const resolves = rows.filter((a) => a.Kind === 'CachedResolve');
          return submits !== 1 || resolves.length !== 1 || resolves[0]!.Status !== 'Delivered';
        });
      expect(badAudit.slice(0, 20)).toEqual([]);
      expect(new Set(audit.map((a) => a.TrackedOperationId)).size).toBe(tracking.length);
    } catch (err) {
      console.error(`crash test failed (seed ${seed}); site output:\n${outputs.join('\n')}\n${current?.output.slice(-4000) ?? ''}`);
      throw err;
    }
  });
});

function readOnly<T>(dataDir: string, read: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'site.db'), { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** min / median / p90 / max of sorted numbers, rounded. */
function quantiles(sorted: readonly number[]): string {
  if (sorted.length === 0) return '-';
  const at = (q: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  return `${at(0)}/${at(0.5)}/${at(0.9)}/${at(1)}`;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}
