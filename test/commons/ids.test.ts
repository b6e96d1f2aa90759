import { describe, expect, it } from 'vitest';
import { isTrackedOperationId, newTrackedOperationId, uuidv7 } from '../../src/commons/index.js';

describe('TrackedOperationId (UUIDv7)', () => {
  it('is a version-7, variant-1 UUID carrying its creation time', () => {
    const before = Date.now();
    const id = newTrackedOperationId();
    expect(isTrackedOperationId(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect('89ab').toContain(id[19]);
    const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
  });

  it('ids made in a burst are unique and sort in creation order, across pool refills', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    // The random part differs between neighbours (bulk randomness is not reused).
    expect(new Set(ids.map((id) => id.slice(19))).size).toBe(ids.length);
  });
});
