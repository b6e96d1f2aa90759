// Configuration edge cases (issue 9, point 8): large projects load in linear
// time, alias bombs and `__proto__` keys are refused with their paths, and an
// empty file is refused.
import { describe, expect, it } from 'vitest';
import { parseProject } from '../../src/config/index.js';
import { issuesOf } from './helpers.js';

const parse = (yaml: string) => () => parseProject(yaml, '/tmp/project', {});

function timed(yaml: string): number {
  const started = performance.now();
  expect(Object.keys(parseProject(yaml, '/tmp/project', {}).sites).length).toBeGreaterThan(0);
  return performance.now() - started;
}

describe('configuration edge cases', () => {
  it('loading grows linearly with the number of entries: 16 times the sites take well under 40 times as long (quadratic: ~256)', () => {
    // One mapping of many keys, where the duplicate-key check dominates (yaml's own is quadratic).
    const sites = (n: number): string => `sites:\n${Array.from({ length: n }, (_, i) => `  s${i}: {}\n`).join('')}`;
    const small = sites(2_000);
    const large = sites(32_000);
    timed(small); // warm-up: the JIT, zod's schemas
    const smallMs = Math.min(timed(small), timed(small), timed(small));
    const largeMs = timed(large);
    expect(largeMs / smallMs, `${smallMs.toFixed(0)} ms, then ${largeMs.toFixed(0)} ms`).toBeLessThan(40);
  }, 120_000);

  it('still reports duplicate keys with their position, once per duplicate, and lets merge keys repeat', () => {
    expect(issuesOf(parse('sites:\n  a: {}\n  b: {}\n  a: {}\n  a: {}\n'))).toEqual([
      'scadalink.yaml: line 4, column 3: Map keys must be unique',
      'scadalink.yaml: line 5, column 3: Map keys must be unique',
    ]);
    const merged = parseProject(
      'sites: { plant1: {} }\ninstances:\n  Pump1:\n    site: plant1\n    attributes:\n      Flow: { <<: { type: number }, <<: { initial: 2 } }\n',
      '/tmp/project',
      {},
    );
    expect(merged.instances.Pump1?.attributes.Flow).toMatchObject({ type: 'number', initial: 2 });
  });

  it('refuses a YAML alias bomb ("billion laughs") naming the project file, without expanding it', () => {
    const levels = 'abcdefghi'.split('');
    const bomb = levels.map((c, i) => (i === 0 ? 'a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]' : `${c}: &${c} [${Array(10).fill(`*${levels[i - 1]}`).join(', ')}]`));
    expect(issuesOf(parse(`${bomb.join('\n')}\n`))).toEqual([
      'scadalink.yaml: aliases expand to too many nodes (at most 1000 alias uses): refused as a possible "billion laughs" attack',
    ]);
  });

  it('reports a __proto__ key under its own path wherever it is, and never takes it for the prototype', () => {
    expect(issuesOf(parse('sites:\n  plant1: {}\ninstances:\n  __proto__:\n    site: plant1\n'))).toEqual(['instances.__proto__: reserved name: choose another']);
    expect(issuesOf(parse('__proto__: { polluted: true }\nsites:\n  plant1: {}\n'))).toEqual(['__proto__: reserved name: choose another']);
    expect(issuesOf(parse('sites:\n  plant1: {}\ninstances:\n  Pump1:\n    site: plant1\n    attributes:\n      __proto__: { type: number }\n'))).toEqual([
      'instances.Pump1.attributes.__proto__: reserved name: choose another',
    ]);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('refuses an empty file and a file of comments only', () => {
    for (const text of ['', '\n', '# nothing yet\n']) {
      expect(issuesOf(parse(text))).toEqual(['scadalink.yaml: the file is empty: a project defines at least its sites']);
    }
  });
});
