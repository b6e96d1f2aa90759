import { describe, expect, it } from 'vitest';
import { loadProject, parseDuration } from '../../src/config/index.js';
import { issuesOf, writeProject } from './helpers.js';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['5s', 5_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1.5s', 1_500],
    [' 10 s ', 10_000],
    ['750', 750],
    [1200, 1200],
    [0, 0],
  ])('%j is %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each([['5 seconds'], ['-5s'], ['s'], [''], ['1.5'], ['0.0001s'], [1.5], [-1], [Infinity], [null], [true], [{}]])(
    'rejects %j',
    (input) => {
      expect(parseDuration(input)).toBeUndefined();
    },
  );
});

describe('durations in the project file', () => {
  it('names the field of an invalid or zero duration', () => {
    const dir = writeProject(`
externalSystems:
  A: { baseUrl: "http://x", timeout: 5 minutes }
  B: { baseUrl: "http://x", retryInterval: 0 }
`);
    expect(issuesOf(() => loadProject(dir, {}))).toEqual([
      'externalSystems.A.timeout: invalid duration: use e.g. 250ms, 5s, 2m, 1h or milliseconds',
      'externalSystems.B.retryInterval: must be greater than 0',
    ]);
  });
});
