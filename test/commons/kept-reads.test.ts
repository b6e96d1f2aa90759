// KeptReads (issue 11 point 11): the short-lived read cache of the Inbound
// API's key rows and of the cluster commander's stream holders. Ages are set
// to 0 or a minute so no test waits for time to pass.
import { describe, expect, it } from 'vitest';
import { KeptReads } from '../../src/commons/index.js';

/** A read that answers `value` and counts its calls; `gate` holds it until released. */
function reader(values: (string | undefined)[]) {
  const calls: string[] = [];
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  return {
    calls,
    hold: () => void (gate = new Promise((resolve) => (release = resolve))),
    release: () => release?.(),
    read: async (key: string): Promise<string | undefined> => {
      calls.push(key);
      const value = values.shift();
      await gate;
      return value;
    },
  };
}

describe('issue 11 point 11: KeptReads', () => {
  it('serves a fresh value without reading again, and reads again once it is past its stale age', async () => {
    const fresh = reader(['v1', 'v2']);
    const kept = new KeptReads(fresh.read, 60_000, 60_000);
    expect([await kept.get('k'), await kept.get('k')]).toEqual(['v1', 'v1']);
    expect(fresh.calls).toEqual(['k']);
    const expired = reader(['v1', 'v2']);
    const none = new KeptReads(expired.read, 0, 0);
    expect([await none.get('k'), await none.get('k')]).toEqual(['v1', 'v2']);
    expect(expired.calls).toEqual(['k', 'k']);
  });

  it('serves a stale value at once while one read in the background replaces it', async () => {
    const r = reader(['v1', 'v2']);
    const kept = new KeptReads(r.read, 0, 60_000);
    expect(await kept.get('k')).toBe('v1');
    r.hold();
    expect(await kept.get('k')).toBe('v1'); // answered while the refresh is held
    expect(await kept.get('k')).toBe('v1'); // the same refresh, not a second one
    expect(r.calls).toEqual(['k', 'k']);
    r.release();
    expect(await kept.fresh('k')).toBe('v2'); // the refresh in flight
    expect(r.calls).toEqual(['k', 'k']);
  });

  it('makes one read for concurrent callers, keeps no "not found", and forgets on demand', async () => {
    const r = reader(['v1', undefined, 'v3', 'v4']);
    const kept = new KeptReads(r.read, 60_000, 60_000);
    r.hold();
    const both = Promise.all([kept.get('k'), kept.get('k')]);
    r.release();
    expect(await both).toEqual(['v1', 'v1']);
    expect(r.calls).toEqual(['k']);
    expect(await kept.get('gone')).toBeUndefined();
    expect(kept.has('gone')).toBe(false);
    expect(await kept.get('gone')).toBe('v3');
    expect(kept.has('k')).toBe(true);
    kept.forget('k');
    expect(kept.has('k')).toBe(false);
    expect(await kept.get('k')).toBe('v4');
    kept.forget();
    expect([kept.has('k'), kept.has('gone')]).toEqual([false, false]);
  });

  it('passes a failed read on and keeps nothing from it', async () => {
    let n = 0;
    const kept = new KeptReads(async () => (++n === 1 ? Promise.reject(new Error('down')) : 'up'), 60_000, 60_000);
    await expect(kept.get('k')).rejects.toThrow('down');
    expect(await kept.get('k')).toBe('up');
  });
});
