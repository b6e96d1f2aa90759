// Issue 9, point 1: the demo ERP `scadalink dev` starts fails on a schedule
// fixed from its start, so that readings are delivered, parked during an
// outage, and delivered by a retry after it. A real HTTP server on loopback.
import { afterEach, describe, expect, it } from 'vitest';
import { type DemoErp, inOutage, startDemoErp } from '../../src/cli/demo-erp.js';

const post = async (erp: DemoErp, key: string): Promise<number> =>
  (await fetch(`${erp.url}/readings`, { method: 'POST', headers: { 'idempotency-key': key }, body: '{"flow":1}' })).status;

describe('issue 9: the demo ERP fails on a known schedule', () => {
  let erp: DemoErp | undefined;
  afterEach(async () => {
    await erp?.close();
    erp = undefined;
  });

  it('outages start at a fixed offset and repeat', () => {
    const s = { outageAfterMs: 30_000, outageMs: 120_000, outageEveryMs: 300_000, transientEvery: 4 };
    expect([0, 29_999, 30_000, 149_999, 150_000, 329_999, 330_000, 449_999, 450_000].map((t) => inOutage(s, t))).toEqual([
      false, false, true, true, false, false, true, true, false,
    ]);
  });

  it('between outages every fourth call is a 503, never twice in a row for one key; in an outage every call is a 503, announced down and up', async () => {
    const changes: string[] = [];
    let over: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (over = resolve));
    erp = await startDemoErp('127.0.0.1', 0, {
      schedule: { outageAfterMs: 1_500, outageMs: 500, outageEveryMs: 60_000, transientEvery: 4 },
      onOutage: (state) => {
        changes.push(state);
        if (state === 'up') over();
      },
    });
    expect([await post(erp, 'a'), await post(erp, 'b'), await post(erp, 'c'), await post(erp, 'd')]).toEqual([201, 201, 201, 503]);
    // The refused key's next attempt is accepted even where the count says 503.
    expect([await post(erp, 'e'), await post(erp, 'f'), await post(erp, 'g'), await post(erp, 'd')]).toEqual([201, 201, 201, 201]);
    while (changes.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(changes).toEqual(['down']);
    expect([await post(erp, 'h'), await post(erp, 'h')]).toEqual([503, 503]);
    await ended;
    expect(await post(erp, 'h')).toBe(201);
    expect(erp.counts).toEqual({ ok: 8, failed: 3 });
  });
});
