// Interval triggers keep their rate (issue 10 point 6): a late tick does not
// push the later ones back, and a tick is queued behind a run still going.
import { describe, expect, it } from 'vitest';
import { TriggerQueue, startTicker } from '../../src/site/runtime/triggers.js';

describe('startTicker', () => {
  it('a tick held up 90 ms by a busy event loop leaves the later ticks on their 100 ms schedule', async () => {
    const origin = performance.now();
    const at: number[] = [];
    await new Promise<void>((resolve) => {
      const ticker = startTicker(100, () => {
        at.push(performance.now() - origin);
        if (at.length === 1) for (const end = performance.now() + 90; performance.now() < end; );
        if (at.length === 4) {
          ticker.stop();
          resolve();
        }
      });
    });
    // setInterval would start counting the next interval after the busy one: ticks at ≥ 290, 390, 490.
    expect(at[3]!).toBeLessThan(470);
    expect(at[3]!).toBeGreaterThanOrEqual(399);
  });

  it('ticks missed while the event loop was blocked become one late tick, not a burst', async () => {
    const origin = performance.now();
    const at: number[] = [];
    await new Promise<void>((resolve) => {
      const ticker = startTicker(50, () => {
        at.push(performance.now() - origin);
        if (at.length === 1) for (const end = performance.now() + 160; performance.now() < end; );
        if (at.length === 4) {
          ticker.stop();
          resolve();
        }
      });
    });
    // The first tick (at 50) blocks until ~210: the slots 100, 150 and 200 give one late tick at ~210,
    // then the schedule goes on at 250 and 300.
    expect(at[1]!).toBeGreaterThanOrEqual(205);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(10);
    expect(at[3]! - at[2]!).toBeGreaterThanOrEqual(40);
  });
});

describe('TriggerQueue', () => {
  it('waiting() sees items not yet started, not the one running', async () => {
    let release!: () => void;
    const ran: string[] = [];
    const q = new TriggerQueue<string>(async (item) => {
      ran.push(item);
      if (item === 'first') await new Promise<void>((resolve) => (release = resolve));
    }, () => undefined);
    q.push('first');
    expect(q.waiting((i) => i === 'first')).toBe(false);
    q.push('second');
    expect(q.waiting((i) => i === 'second')).toBe(true);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toEqual(['first', 'second']);
    expect(q.waiting(() => true)).toBe(false);
  });
});
