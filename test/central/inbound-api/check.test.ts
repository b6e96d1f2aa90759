// Type checking of Inbound API calls (issue 11 point 3): every rule, every
// problem listed at once with its JSON path, and bounded work on hostile input.
import { describe, expect, it } from 'vitest';
import { MAX_PROBLEMS, checkParameters, checkReturn, describeReturnMismatch, invalidParameters } from '../../../src/central/inbound-api/index.js';
import { method } from './fixture.js';

const getRecipe = method('GetRecipe');
const valid = () => ({ batch: { id: 'B1', items: [{ qty: 2, weight: 1.5, tags: ['a'] }, { qty: 3, tags: [] }] }, scale: 1.25 });

describe('checkParameters: valid calls', () => {
  it('accepts a body with every type, optional fields absent', () => {
    expect(checkParameters(getRecipe, valid())).toEqual([]);
  });

  it('accepts null for an optional parameter or field, as if absent', () => {
    const body = { ...valid(), verbose: null, batch: { ...valid().batch, line: null } };
    expect(checkParameters(getRecipe, body)).toEqual([]);
  });

  it('a Float accepts a whole number (JSON sends 1.0 as 1)', () => {
    expect(checkParameters(getRecipe, { ...valid(), scale: 1 })).toEqual([]);
    expect(checkParameters(getRecipe, JSON.parse('{"batch":{"id":"x","items":[]},"scale":2.0}'))).toEqual([]);
  });

  it('an Integer accepts a whole number written 3.0, which JSON cannot tell from 3', () => {
    expect(checkParameters(method('Count'), JSON.parse('{"n":3.0}'))).toEqual([]);
  });

  it('no body counts as an empty object: valid for a method whose parameters are all optional', () => {
    expect(checkParameters(method('Ping'), undefined)).toEqual([]);
    expect(checkParameters(method('Ping'), {})).toEqual([]);
  });
});

describe('checkParameters: every rule, with the JSON path of the bad value', () => {
  it('an Integer is not a Float: 1.5 for an Integer is refused', () => {
    expect(checkParameters(method('Count'), { n: 1.5 })).toEqual([{ path: '$.n', problem: 'expected Integer, got Float' }]);
  });

  it('"1" is not an Integer, nor a Float', () => {
    expect(checkParameters(method('Count'), { n: '1' })).toEqual([{ path: '$.n', problem: 'expected Integer, got String' }]);
    expect(checkParameters(getRecipe, { ...valid(), scale: '1.5' })).toEqual([{ path: '$.scale', problem: 'expected Float, got String' }]);
  });

  it('an Integer must be a safe integer (±(2^53-1)); a number past it is refused', () => {
    expect(checkParameters(method('Count'), { n: 2 ** 53 })).toEqual([{ path: '$.n', problem: 'expected Integer, got an integer outside ±(2^53-1)' }]);
    expect(checkParameters(method('Count'), { n: Number.MAX_SAFE_INTEGER })).toEqual([]);
  });

  it('NaN and infinite numbers are neither Integer nor Float (JSON.parse turns 1e400 into Infinity)', () => {
    expect(checkParameters(method('Count'), { n: Number.NaN })).toEqual([{ path: '$.n', problem: 'expected Integer, got NaN' }]);
    expect(checkParameters(getRecipe, { ...valid(), ...JSON.parse('{"scale":1e400}') })).toEqual([{ path: '$.scale', problem: 'expected Float, got an infinite number' }]);
  });

  it('Boolean accepts only true and false (not 0, 1 or "true")', () => {
    for (const v of [0, 1, 'true']) {
      expect(checkParameters(getRecipe, { ...valid(), verbose: v })).toEqual([{ path: '$.verbose', problem: `expected Boolean, got ${typeof v === 'string' ? 'String' : 'Integer'}` }]);
    }
  });

  it('a String is not a number, an Object is not a List, a List is not an Object', () => {
    const body = { batch: { id: 7, items: { qty: 1 } }, scale: [1] };
    expect(checkParameters(getRecipe, body)).toEqual([
      { path: '$.batch.id', problem: 'expected String, got Integer' },
      { path: '$.batch.items', problem: 'expected List, got Object' },
      { path: '$.scale', problem: 'expected Float, got List' },
    ]);
  });

  it('a missing required parameter or field is `missing`; null for a required one is a wrong type', () => {
    expect(checkParameters(getRecipe, { batch: { id: null, items: [{ tags: [] }] } })).toEqual([
      { path: '$.batch.id', problem: 'expected String, got null' },
      { path: '$.batch.items[0].qty', problem: 'missing' },
      { path: '$.scale', problem: 'missing' },
    ]);
  });

  it('unknown fields are refused at every level, odd keys quoted in the path', () => {
    const body = { ...valid(), extra: 1, batch: { ...valid().batch, 'a b': true, items: [{ qty: 1, tags: [], __proto__x: 1 }] } };
    expect(checkParameters(getRecipe, body)).toEqual([
      { path: '$.batch.items[0].__proto__x', problem: 'unknown field' },
      { path: '$.batch["a b"]', problem: 'unknown field' },
      { path: '$.extra', problem: 'unknown field' },
    ]);
  });

  it('a __proto__ key from JSON.parse is an unknown field, not a prototype', () => {
    expect(checkParameters(method('Count'), JSON.parse('{"n":1,"__proto__":{"n":"x"}}'))).toEqual([{ path: '$.__proto__', problem: 'unknown field' }]);
  });

  it('a list item of the wrong type or null is refused at its index', () => {
    const body = { ...valid(), batch: { id: 'x', items: [{ qty: 1, tags: ['a', 2, null] }, null, 'x'] } };
    expect(checkParameters(getRecipe, body)).toEqual([
      { path: '$.batch.items[0].tags[1]', problem: 'expected String, got Integer' },
      { path: '$.batch.items[0].tags[2]', problem: 'expected String, got null' },
      { path: '$.batch.items[1]', problem: 'expected Object, got null' },
      { path: '$.batch.items[2]', problem: 'expected Object, got String' },
    ]);
  });

  it('a body that is not an object is one problem at $', () => {
    for (const [body, got] of [[[], 'List'], ['x', 'String'], [null, 'null'], [3, 'Integer']] as const) {
      expect(checkParameters(getRecipe, body)).toEqual([{ path: '$', problem: `expected an Object of parameters, got ${got}` }]);
    }
  });

  it('lists every problem of a body at once, and the 400 INVALID_PARAMETERS carries them all', () => {
    const body = { batch: { id: 1, line: 2.5, items: [{ qty: '3', weight: 'heavy', tags: [1] }], color: 'red' }, verbose: 'yes', bogus: [] };
    const problems = checkParameters(getRecipe, body);
    expect(problems).toEqual([
      { path: '$.batch.id', problem: 'expected String, got Integer' },
      { path: '$.batch.line', problem: 'expected Integer, got Float' },
      { path: '$.batch.items[0].qty', problem: 'expected Integer, got String' },
      { path: '$.batch.items[0].weight', problem: 'expected Float, got String' },
      { path: '$.batch.items[0].tags[0]', problem: 'expected String, got Integer' },
      { path: '$.batch.color', problem: 'unknown field' },
      { path: '$.verbose', problem: 'expected Boolean, got String' },
      { path: '$.scale', problem: 'missing' },
      { path: '$.bogus', problem: 'unknown field' },
    ]);
    expect(invalidParameters('GetRecipe', problems)).toEqual({
      status: 400,
      body: { error: 'invalid parameters for GetRecipe: 9 problems', code: 'INVALID_PARAMETERS', details: { problems } },
    });
  });
});

describe('checkParameters: bounded work on hostile input', () => {
  it('a value nested 100,000 levels deep where a String is declared is one check, not a walk', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const body = { ...valid(), batch: { ...valid().batch, id: deep } };
    expect(checkParameters(getRecipe, body)).toEqual([{ path: '$.batch.id', problem: 'expected String, got Object' }]);
  });

  it('a deeply nested unknown field is reported once and never descended into', () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(checkParameters(getRecipe, { ...valid(), deep })).toEqual([{ path: '$.deep', problem: 'unknown field' }]);
  });

  it(`a list of 1,000,000 bad items lists ${MAX_PROBLEMS} problems and says the list was cut, in under a second`, () => {
    const tags = new Array<number>(1_000_000).fill(1);
    const started = performance.now();
    const problems = checkParameters(getRecipe, { ...valid(), batch: { id: 'x', items: [{ qty: 1, tags }] } });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(problems).toHaveLength(MAX_PROBLEMS + 1);
    expect(problems[0]).toEqual({ path: '$.batch.items[0].tags[0]', problem: 'expected String, got Integer' });
    expect(problems.at(-1)).toEqual({ path: '$', problem: `list cut at ${MAX_PROBLEMS} problems: there may be more` });
  });

  it('100,000 unknown fields are cut the same way, and a very long unknown key is shortened in its path', () => {
    const body: Record<string, unknown> = { ...valid() };
    body['k'.repeat(10_000)] = 1;
    for (let i = 0; i < 100_000; i++) body[`u${i}`] = i;
    const problems = checkParameters(getRecipe, body);
    expect(problems).toHaveLength(MAX_PROBLEMS + 1);
    expect(problems[0]).toEqual({ path: `$["${'k'.repeat(64)}…"]`, problem: 'unknown field' });
  });
});

describe('checkReturn', () => {
  const ret = { name: 'R', steps: [1, 2] };

  it('accepts a value matching the return definition, an optional field absent or null', () => {
    expect(checkReturn(getRecipe, ret)).toEqual([]);
    expect(checkReturn(getRecipe, { ...ret, note: null })).toEqual([]);
  });

  it('lists every mismatch with its path: wrong type, missing, unknown field, non-JSON values', () => {
    const problems = checkReturn(getRecipe, { steps: [1, 2.5, Number.NaN, undefined], extra: new Date(0), note: () => 1 });
    expect(problems).toEqual([
      { path: '$.name', problem: 'missing' },
      { path: '$.steps[1]', problem: 'expected Integer, got Float' },
      { path: '$.steps[2]', problem: 'expected Integer, got NaN' },
      { path: '$.steps[3]', problem: 'expected Integer, got no value' },
      { path: '$.note', problem: 'expected String, got a function' },
      { path: '$.extra', problem: 'unknown field' },
    ]);
    expect(describeReturnMismatch('GetRecipe', problems.slice(0, 2))).toBe(
      'method GetRecipe returned a value that does not match its return definition: $.name: missing; $.steps[1]: expected Integer, got Float',
    );
  });

  it('a required return value may not be missing or null; a non-plain object is not an Object', () => {
    expect(checkReturn(getRecipe, undefined)).toEqual([{ path: '$', problem: 'missing: expected Object, the script returned no value' }]);
    expect(checkReturn(getRecipe, null)).toEqual([{ path: '$', problem: 'expected Object, got null' }]);
    expect(checkReturn(getRecipe, new Map())).toEqual([{ path: '$', problem: 'expected Object, got an object that is not plain JSON' }]);
  });

  it('an optional return may be absent or null; a method with no return definition must return nothing', () => {
    expect(checkReturn(method('Count'), undefined)).toEqual([]);
    expect(checkReturn(method('Count'), null)).toEqual([]);
    expect(checkReturn(method('Count'), 4)).toEqual([]);
    expect(checkReturn(method('Ping'), undefined)).toEqual([]);
    expect(checkReturn(method('Ping'), 'pong')).toEqual([{ path: '$', problem: 'the method declares no return value, got String' }]);
  });

  it('the failure-log description lists at most 10 problems and counts the rest', () => {
    const problems = checkReturn(getRecipe, { name: 'x', steps: new Array<string>(15).fill('s') });
    expect(problems).toHaveLength(15);
    expect(describeReturnMismatch('GetRecipe', problems)).toMatch(/\$\.steps\[9\]: expected Integer, got String; and 5 more$/);
  });
});
