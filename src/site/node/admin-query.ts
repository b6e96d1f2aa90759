// Query strings and bodies of the site's admin API, read as strictly as
// central's (commons/query.ts): a bad one is 400 INVALID_QUERY (or
// INVALID_REQUEST for a body) naming the parameter. The CLI reads its options
// through the same functions (cli/site-commands.ts), so both speak one
// vocabulary.
import { type Query, ScadaLinkError, TELEMETRY_LIMITS, invalidQuery, isTrackedOperationId, onlyParams, queryLimit, queryOneOf, queryText, queryTime, queryWhole } from '../../commons/index.js';
import { EVENT_CATEGORIES, EVENT_LEVELS, type EventQuery } from '../store/event-log.js';

const MAX_SEARCH_CHARS = 200;

/** A text that must say something: empty is refused (an empty filter would silently match nothing or everything). */
function queryName(q: Query, name: string, max: number): string | undefined {
  const given = queryText(q, name);
  if (given === undefined) return undefined;
  if (given.length === 0 || given.length > max) throw invalidQuery(name, `must be 1 to ${max} characters`);
  return given;
}

/** A route that takes no query parameters refuses any. */
export function noQuery(q: Query): void {
  onlyParams(q, []);
}

/** GET /admin/api/parked: `after` (a TrackedOperationId) and `limit`. */
export function parkedQuery(q: Query): { after?: string; limit: number } {
  onlyParams(q, ['after', 'limit']);
  const after = queryText(q, 'after');
  if (after !== undefined && !isTrackedOperationId(after)) throw invalidQuery('after', 'must be a TrackedOperationId');
  return { after, limit: queryLimit(q) };
}

/** GET /admin/api/events: category, level, instance, since, until, search, before (an event id) and limit. */
export function eventsQuery(q: Query): EventQuery {
  onlyParams(q, ['category', 'level', 'instance', 'since', 'until', 'search', 'before', 'limit']);
  const query: EventQuery = {
    category: queryOneOf(q, 'category', EVENT_CATEGORIES),
    level: queryOneOf(q, 'level', EVENT_LEVELS),
    instance: queryName(q, 'instance', TELEMETRY_LIMITS.nameChars),
    sinceUtc: queryTime(q, 'since'),
    untilUtc: queryTime(q, 'until'),
    search: queryName(q, 'search', MAX_SEARCH_CHARS),
    beforeId: queryWhole(q, 'before'),
    limit: queryLimit(q),
  };
  if (query.sinceUtc !== undefined && query.untilUtc !== undefined && query.sinceUtc > query.untilUtc) {
    throw invalidQuery('until', 'must not be before since');
  }
  return query;
}

function invalidBody(field: string, message: string): ScadaLinkError {
  const name = field.slice(0, 100);
  return new ScadaLinkError('INVALID_REQUEST', `${name}: ${message}`, { details: { parameter: name } });
}

/** The body of POST …/retry and …/discard: empty, or `{"operator": "<name>"}` and nothing else. */
export function operatorBody(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  if (!isObject(body)) throw new ScadaLinkError('INVALID_REQUEST', 'body must be {"operator": "<name>"} or empty');
  for (const key of Object.keys(body)) if (key !== 'operator') throw invalidBody(key, 'unknown field (the body takes only operator)');
  const given = body['operator'];
  if (given === undefined) return undefined;
  if (typeof given !== 'string' || given.trim().length === 0 || given.length > TELEMETRY_LIMITS.nameChars) {
    throw invalidBody('operator', `must be a name of 1 to ${TELEMETRY_LIMITS.nameChars} characters`);
  }
  return given;
}

/** The body of PUT …/attributes/:name: `{"value": …}` and nothing else. */
export function attributeBody(body: unknown): unknown {
  if (!isObject(body) || !Object.hasOwn(body, 'value')) throw new ScadaLinkError('INVALID_REQUEST', 'body must be {"value": ...}');
  for (const key of Object.keys(body)) if (key !== 'value') throw invalidBody(key, 'unknown field (the body takes only value)');
  return body['value'];
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
