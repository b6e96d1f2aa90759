// Query strings of the admin APIs of both nodes, read strictly: an unknown
// parameter, a parameter given twice or a bad value is 400 INVALID_QUERY
// naming the parameter, never ignored and never a 500 further down.
import { ScadaLinkError } from './errors.js';

export const MAX_PAGE = 1_000;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const WHOLE = /^[1-9]\d{0,15}$/;

export type Query = Readonly<Record<string, unknown>>;

export function invalidQuery(parameter: string, message: string): ScadaLinkError {
  const name = parameter.slice(0, 100);
  return new ScadaLinkError('INVALID_QUERY', `${name}: ${message}`, { details: { parameter: name } });
}

/** Refuses any parameter not in `known`. */
export function onlyParams(q: Query, known: readonly string[]): void {
  for (const key of Object.keys(q)) if (!known.includes(key)) throw invalidQuery(key, 'unknown parameter');
}

export function queryText(q: Query, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidQuery(name, 'given more than once');
  return v;
}

/** A whole number from 1 to `max` written in plain digits (no sign, blanks, exponent or hex). */
export function queryWhole(q: Query, name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const given = queryText(q, name);
  if (given === undefined) return undefined;
  const n = Number(given);
  if (!WHOLE.test(given) || n > max) throw invalidQuery(name, `must be a whole number from 1 to ${max === Number.MAX_SAFE_INTEGER ? 'any' : max}`);
  return n;
}

export function queryLimit(q: Query, fallback = 100): number {
  return queryWhole(q, 'limit', MAX_PAGE) ?? fallback;
}

/** An ISO-8601 time (date, hours and minutes at least, with its zone), as a UTC ISO string; calendar-checked (no 30 February). */
export function queryTime(q: Query, name: string): string | undefined {
  const given = queryText(q, name);
  if (given === undefined) return undefined;
  const ms = Date.parse(given);
  const day = given.slice(0, 10);
  const sameDay = !Number.isNaN(ms) && new Date(Date.parse(`${day}T00:00:00Z`)).toISOString().slice(0, 10) === day;
  if (!ISO_TIME.test(given) || Number.isNaN(ms) || !sameDay) throw invalidQuery(name, 'must be an ISO-8601 time such as 2026-11-29T08:00:00Z');
  return new Date(ms).toISOString();
}

export function queryOneOf<T extends string>(q: Query, name: string, values: readonly T[]): T | undefined {
  const given = queryText(q, name);
  if (given === undefined) return undefined;
  if (!(values as readonly string[]).includes(given)) throw invalidQuery(name, `must be one of ${values.join(', ')}`);
  return given as T;
}
