// Building blocks shared by the project file's schemas (schema.ts, schema-inbound.ts).

import { z } from 'zod';
import { parseDuration } from './duration.js';

export const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
export const Name = z.string().regex(NAME);
export const Text = z.string().min(1);

/** A mapping of user-chosen names; an omitted section is empty. */
export function named<T extends z.ZodType>(value: T) {
  return z.record(Name, value).default({});
}

/** Whole numbers also accept digit-only strings, so `${ENV}` can supply them. */
export function int(min: number, max = Number.MAX_SAFE_INTEGER) {
  return z.preprocess(
    (v) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v),
    z.number().int().min(min).max(max),
  );
}

export const Duration = z.unknown().transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: 'invalid duration: use e.g. 250ms, 5s, 2m, 1h or milliseconds' });
  } else if (ms <= 0) ctx.addIssue({ code: 'custom', message: 'must be greater than 0' });
  return ms ?? 0;
});

/** An optional duration: zod applies the default (in ms) only when the key is absent. */
export function duration(defaultMs: number) {
  return Duration.default(defaultMs);
}

/** One of `names`, in any letter case, as its canonical spelling (`starttls` → `StartTLS`). */
export function oneOf<const T extends readonly [string, ...string[]]>(names: T) {
  return z.string().transform((value, ctx) => {
    const found = names.find((n) => n.toLowerCase() === value.toLowerCase());
    if (found === undefined) {
      ctx.addIssue({ code: 'custom', message: `must be one of ${names.join(', ')}` });
      return z.NEVER;
    }
    return found as T[number];
  });
}
