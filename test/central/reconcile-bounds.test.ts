// Issue 8, point 4: reconciliation against a site that answers what it likes.
// A real central node (SQLite, real gRPC site link) and a fake site built from
// the real SiteLinkClient whose PullTracking answers the test scripts.
import { EventEmitter, once } from 'node:events';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret, newTrackedOperationId } from '../../src/commons/index.js';
import { type CentralNode, RECONCILE_LIMITS, reconcileSite, startCentralNode } from '../../src/central/index.js';
import { SiteLinkClient, type SiteCommand, type SiteCommandReply, type SiteSession, snapshotMsg } from '../../src/transport/index.js';
import { tempDir } from '../support/index.js';
import { step } from './db/events.js';

const SITE = 'plant-a';
const SECRET = 'plant-a-secret-1234';

type Pull = { readonly afterVersion: number; readonly limit: number };
type Answer = (pull: Pull) => Omit<SiteCommandReply, 'correlationId'> | Promise<Omit<SiteCommandReply, 'correlationId'>>;

/** A tracking row as the site would send it, numbered `version`, with fields overridden. */
const row = (version: number, patch: Record<string, unknown> = {}) => ({
  ...snapshotMsg(step(newTrackedOperationId(), 'ApiCallCached', 'Attempted', version).operation!),
  ...patch,
});
const page = (rows: object[], more: boolean): Omit<SiteCommandReply, 'correlationId'> => ({ ok: true, trackingPage: { rows, more } });

describe('reconciliation bounds (issue 8, point 4)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let node: CentralNode;
  let site: SiteLinkClient;
  let answer: Answer;
  let pulls: Pull[];
  const logs = new EventEmitter();
  let lines: Record<string, unknown>[];

  async function start(reconcileIntervalMs: number): Promise<SiteSession> {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        const line = JSON.parse(chunk.toString()) as Record<string, unknown>;
        lines.push(line);
        logs.emit('line', line);
        done();
      },
    });
    node = await startCentralNode({ dataDir: tmp.dir, port: 0, grpcPort: 0, reconcileIntervalMs, logger: pino({ level: 'warn' }, sink) });
    await node.repo.putSite(SITE, await hashSecret(SECRET));
    site = new SiteLinkClient({
      address: `127.0.0.1:${node.grpcPort}`,
      site: SITE,
      secret: SECRET,
      node: `${SITE}@test`,
      version: '0.1.0',
      logger: pino({ level: 'silent' }),
      onCommand: async (cmd: SiteCommand) => {
        if (!cmd.pullTracking) return { ok: false, errorCode: 'UNKNOWN_COMMAND', errorMessage: 'not here' };
        const pull = { afterVersion: Number(cmd.pullTracking.afterVersion), limit: cmd.pullTracking.limit };
        pulls.push(pull);
        return answer(pull);
      },
    });
    const opened = once(node.link.events, 'session') as Promise<[SiteSession]>;
    site.start();
    return (await opened)[0];
  }

  /** Resolves with the first log line with this message whose err matches. */
  const warned = (msg: string, err: RegExp): Promise<Record<string, unknown>> =>
    new Promise((resolve) => {
      const hit = (l: Record<string, unknown>): boolean => l.msg === msg && err.test(String(l.err));
      const seen = lines.find(hit);
      if (seen !== undefined) return resolve(seen);
      const on = (l: Record<string, unknown>): void => {
        if (!hit(l)) return;
        logs.off('line', on);
        resolve(l);
      };
      logs.on('line', on);
    });

  /** The node's own pass on connect (an empty page here) has pulled and stored its cursor. */
  async function firstPass(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (pulls.length === 0 || (await node.repo.exclusive(`reconcile:${SITE}`, () => Promise.resolve())) === false) {
      if (Date.now() > deadline) throw new Error('the pass on connect did not happen');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  beforeEach(() => {
    tmp = tempDir();
    pulls = [];
    lines = [];
    answer = () => page([], false);
  });
  afterEach(async () => {
    await site.stop();
    await node.stop();
    tmp.cleanup();
  });

  it('issue 9: a site waiting for its first deployment (NOT_DEPLOYED) is not a reconciliation failure: no warning, cursor kept', async () => {
    answer = () => ({ ok: false, errorCode: 'NOT_DEPLOYED', errorMessage: 'this site has no configuration yet' });
    await start(3_600_000);
    await firstPass();
    expect(lines.filter((l) => l.msg === 'reconciliation failed')).toEqual([]);
    expect((await node.repo.site(SITE))?.reconcileVersion ?? 0).toBe(0);
  });

  it('issue 8: a site answering every pull with one row and more=true is pulled exactly 200 times per pass, logged with its site and reason, and not again before the next pass; central keeps answering', async () => {
    answer = (p) => page([row(p.afterVersion + 1)], true);
    await start(3_600_000);
    // Central answers its HTTP API while the pass runs.
    let during = 0;
    let worst = 0;
    while (!lines.some((l) => l.msg === 'reconciliation failed')) {
      const t = Date.now();
      expect((await fetch(`${node.url}/health`)).status).toBe(200);
      worst = Math.max(worst, Date.now() - t);
      if (pulls.length > 0 && pulls.length < RECONCILE_LIMITS.maxPages) during++;
    }
    expect(during).toBeGreaterThan(0);
    expect(worst).toBeLessThan(1_000);
    const line = await warned('reconciliation failed', /stopped after/);
    expect(line).toMatchObject({ level: 40, site: SITE, err: 'reconciliation of site plant-a stopped after 200 pages; it continues at the next pass' });
    expect(pulls).toHaveLength(RECONCILE_LIMITS.maxPages);
    // Every page was stored and the cursor kept: the next pass starts where this one ended.
    expect((await node.repo.site(SITE))?.reconcileVersion).toBe(200);
    expect((await node.repo.listSiteCalls({ site: SITE }, { limit: 500 })).items).toHaveLength(200);
    // Observation window: no pull without a new pass (the interval is an hour here).
    const before = Date.now();
    while (Date.now() - before < 1_000) expect((await fetch(`${node.url}/health`)).status).toBe(200);
    expect(pulls).toHaveLength(200);
  });

  it('issue 8: a site answering the same row with more=true again is cut off at the first page that does not move the cursor, and logged', async () => {
    const same = row(5);
    answer = () => page([same], true);
    await start(3_600_000);
    const line = await warned('reconciliation failed', /broke the reconciliation rules/);
    expect(line).toMatchObject({
      level: 40,
      site: SITE,
      err: 'site plant-a broke the reconciliation rules: a page with more=true did not move the cursor past 5; it is reconciled again later',
    });
    expect(pulls).toEqual([{ afterVersion: 0, limit: 500 }, { afterVersion: 5, limit: 500 }]);
    expect((await node.repo.site(SITE))?.reconcileVersion).toBe(5);
  });

  it('issue 8: a page larger than the pull asked for ends the pass after one pull, logged, nothing of it stored', async () => {
    answer = (p) => page(Array.from({ length: p.limit + 1 }, (_, i) => row(i + 1)), false);
    await start(3_600_000);
    const line = await warned('reconciliation failed', /broke the reconciliation rules/);
    expect(line).toMatchObject({ site: SITE, err: expect.stringContaining('answered 501 rows to a pull of at most 500') as string });
    expect(pulls).toEqual([{ afterVersion: 0, limit: 500 }]);
    expect((await node.repo.listSiteCalls({}, { limit: 10 })).items).toHaveLength(0);
    expect((await node.repo.site(SITE))?.reconcileVersion).toBe(0);
  });

  it('issue 8: a pass stops at its time budget: a site that answers slowly is pulled a bounded number of times', async () => {
    const session = await start(3_600_000);
    await firstPass();
    answer = async (p) => {
      await new Promise((r) => setTimeout(r, 100));
      return page([row(p.afterVersion + 1)], true);
    };
    pulls = [];
    const err = await reconcileSite(node.repo, session, { budgetMs: 450 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'RECONCILE_INCOMPLETE', details: { site: SITE, reason: '450 ms' } });
    // Each reply takes ≥ 100 ms and the budget is checked before each pull: at most 5 fit.
    expect(pulls.length).toBeGreaterThanOrEqual(1);
    expect(pulls.length).toBeLessThanOrEqual(5);
  });

  it('issue 8: reconciliation rows with non-UUID ids, unknown statuses, negative retry counts or invalid times are refused and logged; the valid rows are stored and the cursor moves past all', async () => {
    const foreign = newTrackedOperationId();
    const session = await start(3_600_000);
    await firstPass();
    // plant-b owns `foreign`: plant-a's row for it is refused (point 3).
    await node.repo.ingest('plant-b', [step(foreign, 'CachedSubmit', 'Submitted', 1)]);
    answer = () =>
      page(
        [
          row(1),
          row(2, { trackedOperationId: 'not-a-uuid' }),
          row(3, { status: 'toString' }),
          row(4, { retryCount: -1 }),
          row(5, { updatedAtUtc: '2026-02-30T00:00:00Z' }),
          row(6, { createdAtUtc: '2026-13-45T99:99:99Z' }),
          row(7, { trackedOperationId: foreign }),
        ],
        false,
      );
    pulls = [];
    expect(await reconcileSite(node.repo, session, { logger: pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) }) })).toBe(1);
    const refused = lines.find((l) => l.msg === 'reconciliation rows refused');
    expect(refused).toMatchObject({ site: SITE, rejected: 6 });
    const reasons = (refused!.first as { reason: string }[]).map((r) => r.reason);
    expect(reasons).toEqual([
      'trackedOperationId: is not a UUID',
      'status: unknown status "toString"',
      'retryCount: must be at least 0',
      'updatedAtUtc: is not a real ISO-8601 UTC time (YYYY-MM-DDTHH:MM:SS[.ffffff]Z)',
      'createdAtUtc: is not a real ISO-8601 UTC time (YYYY-MM-DDTHH:MM:SS[.ffffff]Z)',
    ]);
    expect((await node.repo.listSiteCalls({ site: SITE }, { limit: 10 })).items).toHaveLength(1);
    expect(await node.repo.siteCall(foreign)).toMatchObject({ sourceSite: 'plant-b', status: 'Submitted' });
    expect((await node.repo.site(SITE))?.reconcileVersion).toBe(7);
  });
});
