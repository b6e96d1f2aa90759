// Generators for the fuzz suite (issue 8, point 9): a seeded PRNG and values
// that are wrong by construction (each generated input breaks exactly the rule
// its family names), so every answer can be checked as a refusal.

/** mulberry32: small, fast, and reproducible from the seed a failure prints. */
export class Rng {
  #s: number;
  constructor(readonly seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export const PROTOTYPE_NAMES = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', 'prototype', 'isPrototypeOf', '__defineGetter__'];

const ALPHABETS = [
  'abcdefghijklmnopqrstuvwxyz',
  'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  '-_.~!$&\'()*+,;=:@',
  ' \t"\\<>{}|^`[]',
  'äöüßéèçñ€✓😀\u200b\u202e\u0000',
];

/** A random string of 0..max characters from mixed alphabets (control characters, quotes, emoji and NUL included). */
export function junk(rng: Rng, max = 40): string {
  const n = rng.int(0, max);
  let out = '';
  for (let i = 0; i < n; i++) out += rng.pick([...rng.pick(ALPHABETS)]);
  return out;
}

/** A name that a lookup must not find: junk, a prototype member's name, or either with a twist. */
export function unknownName(rng: Rng): string {
  const base = rng.chance(0.4) ? rng.pick(PROTOTYPE_NAMES) : `${junk(rng, 20)}x`;
  return rng.pick([base, base.toUpperCase(), ` ${base}`, `${base}\u0000`, base]);
}

/** Percent-encodes everything but unreserved characters, so any string can travel in a path segment or query. */
export function enc(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A random JSON value of bounded size. */
export function jsonValue(rng: Rng, depth = 0): unknown {
  const kind = depth > 3 ? rng.int(0, 3) : rng.int(0, 5);
  switch (kind) {
    case 0:
      return junk(rng, 30);
    case 1:
      return rng.pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1, rng.int(-1e6, 1e6)]);
    case 2:
      return rng.pick([true, false, null]);
    case 3:
      return rng.pick(PROTOTYPE_NAMES);
    case 4:
      return Array.from({ length: rng.int(0, 4) }, () => jsonValue(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(0, 4); i > 0; i--) o[rng.chance(0.3) ? rng.pick(PROTOTYPE_NAMES.filter((n) => n !== '__proto__')) : junk(rng, 10)] = jsonValue(rng, depth + 1);
      return o;
    }
  }
}

/** Text that is not JSON: a truncated or corrupted document. */
export function brokenJson(rng: Rng): string {
  const text = JSON.stringify({ a: jsonValue(rng), b: [1, 2, 3] });
  const cut = rng.int(1, text.length - 1);
  return rng.pick([text.slice(0, cut), `${text}}`, text.replace('"', "'"), `{${junk(rng, 10)}`, '{"a":NaN}', '{"a":undefined}', '[1,]', '\u0000{}']);
}

/** JSON nesting deeper than any node accepts. */
export function tooDeep(rng: Rng): string {
  const n = rng.int(65, 20_000);
  return rng.chance(0.5) ? `${'['.repeat(n)}${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
}

/** A query value that is not an ISO-8601 time. */
export function notATime(rng: Rng): string {
  return rng.pick(['2h', 'yesterday', '', '2026-13-45T99:99:99Z', '0000-00-00T00:00:00Z', '2026-02-30', `${rng.int(0, 1e9)}`, junk(rng, 12)]);
}

/** A query value that is not a whole number in 1..1000. */
export function notALimit(rng: Rng): string {
  return rng.pick(['0', '-5', '1001', 'abc', '1.5', '', '1e3x', '0x10', ' 5', `${rng.int(1001, 1e9)}`, junk(rng, 5) + 'z']);
}
