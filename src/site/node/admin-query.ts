// Query strings of the site's admin API, read strictly as central's are: an
// unknown parameter or a bad value is 400 INVALID_QUERY naming the parameter,
// never ignored and never a 500 from the store.
import { ScadaLinkError, isTrackedOperationId } from '../../commons/index.js';
import { EVENT_CATEGORIES, EVENT_LEVELS, type EventQuery } from '../store/event-log.js';

export const MAX_PAGE = 1_000;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

type Query = Readonly<Record<string, unknown>>;

export function invalidQuery(parameter: string, message: string): ScadaLinkError {
  return new ScadaLinkError('INVALID_QUERY', `${parameter}: ${message}`, { details: { parameter } });
}

function only(q: Query, known: readonly string[]): void {
  for (const key of Object.keys(q)) if (!known.includes(key)) throw invalidQuery(key.slice(0, 100), 'unknown parameter');
}

function text(q: Query, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidQuery(name, 'given more than once');
  return v;
}

function limitOf(q: Query): number {
  const given = text(q, 'limit');
  const limit = given === undefined ? 100 : Number(given);
  if (given === '' || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw invalidQuery('limit', `must be a whole number from 1 to ${MAX_PAGE}`);
  return limit;
}

function timeOf(q: Query, name: string): string | undefined {
  const given = text(q, name);
  if (given === undefined) return undefined;
  const ms = Date.parse(given);
  if (!ISO_TIME.test(given) || Number.isNaN(ms)) throw invalidQuery(name, 'must be an ISO-8601 time such as 2026-11-29T08:00:00Z');
  return new Date(ms).toISOString();
}

function oneOf<T extends string>(q: Query, name: string, values: readonly T[]): T | undefined {
  const given = text(q, name);
  if (given === undefined) return undefined;
  if (!(values as readonly string[]).includes(given)) throw invalidQuery(name, `must be one of ${values.join(', ')}`);
  return given as T;
}

/** GET /admin/api/parked: `after` (a TrackedOperationId) and `limit`. */
export function parkedQuery(q: Query): { after?: string; limit: number } {
  only(q, ['after', 'limit']);
  const after = text(q, 'after');
  if (after !== undefined && !isTrackedOperationId(after)) throw invalidQuery('after', 'must be a TrackedOperationId');
  return { after, limit: limitOf(q) };
}

/** GET /admin/api/events: category, level, instance, since, until, search, before (an event id) and limit. */
export function eventsQuery(q: Query): EventQuery {
  only(q, ['category', 'level', 'instance', 'since', 'until', 'search', 'before', 'limit']);
  const before = text(q, 'before');
  const beforeId = before === undefined ? undefined : Number(before);
  if (beforeId !== undefined && (before === '' || !Number.isSafeInteger(beforeId) || beforeId < 1)) {
    throw invalidQuery('before', 'must be an event id (a whole number from 1)');
  }
  return {
    category: oneOf(q, 'category', EVENT_CATEGORIES),
    level: oneOf(q, 'level', EVENT_LEVELS),
    instance: text(q, 'instance'),
    sinceUtc: timeOf(q, 'since'),
    untilUtc: timeOf(q, 'until'),
    search: text(q, 'search'),
    beforeId,
    limit: limitOf(q),
  };
}
