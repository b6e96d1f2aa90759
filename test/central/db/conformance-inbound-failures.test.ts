// Issue 11, point 7, on both central engines: failed Inbound API calls are
// recorded, listed newest first with every filter, paged by keyset, cut to
// bounded sizes, and purged after their retention.
import { describe, expect, it } from 'vitest';
import { type CentralRepository, DatabaseFailureLog, type InboundFailureRow } from '../../../src/central/index.js';
import { ENGINES, freshEachTest } from './engines.js';

type Failure = Parameters<DatabaseFailureLog['record']>[0];

const base: Failure = {
  method: 'GetRecipe',
  keyName: 'mes',
  code: 'SCRIPT_ERROR',
  message: 'the method script failed',
  status: 500,
  atUtc: '2026-11-29T10:00:00.000Z',
  durationMs: 12.5,
  site: null,
};

/** Every page of a filter, following `next`, as ids. */
async function allPages(repo: CentralRepository, filter: Parameters<CentralRepository['listInboundFailures']>[0], limit: number): Promise<number[][]> {
  const pages: number[][] = [];
  let after: number | undefined;
  for (;;) {
    const page = await repo.listInboundFailures(filter, { after, limit });
    pages.push(page.items.map((r) => r.id));
    if (page.next === null) return pages;
    expect(page.next).toBe(page.items[page.items.length - 1]!.id);
    after = page.next;
  }
}

describe.each(ENGINES)('Inbound API failure log on %s (issue 11 point 7)', (_engine, open) => {
  let repo: CentralRepository;
  let log: DatabaseFailureLog;
  freshEachTest(open, (h) => {
    repo = h.repo;
    log = new DatabaseFailureLog(repo);
  });

  it('issue 11 point 7: records a failure with every field and lists it back as recorded', async () => {
    await log.record({ ...base, site: 'plant-a', code: 'SITE_TIMEOUT', status: 504, message: 'no answer from plant-a within 4000 ms' });
    const page = await repo.listInboundFailures({}, { limit: 100 });
    expect(page).toEqual({
      items: [
        {
          id: expect.any(Number) as number,
          method: 'GetRecipe',
          keyName: 'mes',
          code: 'SITE_TIMEOUT',
          message: 'no answer from plant-a within 4000 ms',
          status: 504,
          atUtc: '2026-11-29T10:00:00.000Z',
          durationMs: 12.5,
          site: 'plant-a',
        },
      ],
      next: null,
    });
  });

  it('issue 11 point 7: a failure without a key (missing or unknown) is recorded with keyName null', async () => {
    await log.record({ ...base, keyName: null, code: 'API_KEY_INVALID', status: 401, message: 'the API key is not valid (unknown or disabled)' });
    const [row] = (await repo.listInboundFailures({}, { limit: 10 })).items;
    expect(row).toMatchObject({ keyName: null, code: 'API_KEY_INVALID', status: 401 });
  });

  it('issue 11 point 7: lists newest first and filters by method, keyName, code, site, from and to, alone and together', async () => {
    const rows: Failure[] = [
      { ...base, method: 'A', keyName: 'mes', code: 'SCRIPT_ERROR', site: null, atUtc: '2026-11-29T10:00:00.000Z' },
      { ...base, method: 'B', keyName: 'erp', code: 'SITE_TIMEOUT', site: 'plant-a', atUtc: '2026-11-29T11:00:00.000Z' },
      { ...base, method: 'A', keyName: 'erp', code: 'SITE_UNREACHABLE', site: 'plant-b', atUtc: '2026-11-29T12:00:00.000Z' },
      { ...base, method: 'A', keyName: 'mes', code: 'SITE_TIMEOUT', site: 'plant-a', atUtc: '2026-11-29T13:00:00.000Z' },
    ];
    for (const r of rows) await log.record(r);
    const all = (await repo.listInboundFailures({}, { limit: 100 })).items;
    expect(all.map((r) => r.atUtc)).toEqual(rows.map((r) => r.atUtc).reverse());
    const ids = all.map((r) => r.id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    const hours = async (filter: Parameters<CentralRepository['listInboundFailures']>[0]): Promise<number[]> =>
      (await repo.listInboundFailures(filter, { limit: 100 })).items.map((r: InboundFailureRow) => Number(r.atUtc.slice(11, 13)));
    expect(await hours({ method: 'A' })).toEqual([13, 12, 10]);
    expect(await hours({ keyName: 'erp' })).toEqual([12, 11]);
    expect(await hours({ code: 'SITE_TIMEOUT' })).toEqual([13, 11]);
    expect(await hours({ site: 'plant-a' })).toEqual([13, 11]);
    expect(await hours({ from: '2026-11-29T11:00:00.000Z' })).toEqual([13, 12, 11]);
    expect(await hours({ to: '2026-11-29T12:00:00.000Z' })).toEqual([11, 10]);
    expect(await hours({ from: '2026-11-29T11:00:00.000Z', to: '2026-11-29T13:00:00.000Z' })).toEqual([12, 11]);
    expect(await hours({ method: 'A', keyName: 'mes', code: 'SITE_TIMEOUT', site: 'plant-a' })).toEqual([13]);
    expect(await hours({ method: 'nope' })).toEqual([]);
  });

  it('issue 11 point 7: keyset pages cover every matching row exactly once, newest first, with next null on the last page', async () => {
    for (let i = 0; i < 23; i++) {
      await log.record({ ...base, method: i % 2 === 0 ? 'Even' : 'Odd', atUtc: new Date(Date.UTC(2026, 10, 29, 0, i)).toISOString() });
    }
    const pages = await allPages(repo, {}, 5);
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
    const flat = pages.flat();
    expect(new Set(flat).size).toBe(23);
    expect([...flat].sort((a, b) => b - a)).toEqual(flat);
    const even = await allPages(repo, { method: 'Even' }, 4);
    expect(even.map((p) => p.length)).toEqual([4, 4, 4]);
    // A page that ends exactly at the last row says so: no empty page after it.
    expect((await allPages(repo, { method: 'Odd' }, 11)).map((p) => p.length)).toEqual([11]);
  });

  it('issue 11 point 7: cuts oversized fields (a hostile method name or message cannot make rows of any size) and keeps a bad time or duration sane', async () => {
    await log.record({ ...base, method: 'M'.repeat(5_000), message: 'x'.repeat(100_000), atUtc: 'not a time', durationMs: Number.NaN });
    const [row] = (await repo.listInboundFailures({}, { limit: 1 })).items;
    expect(row!.method).toHaveLength(200);
    expect(row!.method.endsWith('…')).toBe(true);
    expect(row!.message).toHaveLength(2_000);
    expect(row!.durationMs).toBe(0);
    expect(Math.abs(Date.parse(row!.atUtc) - Date.now())).toBeLessThan(60_000);
  });

  it('issue 11 point 7: purgeInbound deletes failures recorded before the cutoff and keeps the rest', async () => {
    await log.record({ ...base, method: 'Old', atUtc: '2026-01-01T00:00:00.000Z' });
    await log.record({ ...base, method: 'New', atUtc: '2026-11-29T00:00:00.000Z' });
    expect(await repo.purgeInbound({ failuresBefore: '2026-06-01T00:00:00.000Z' })).toEqual({ inboundFailures: 1, idempotencyKeys: 0 });
    expect((await repo.listInboundFailures({}, { limit: 10 })).items.map((r) => r.method)).toEqual(['New']);
  });
});
