// Query strings of the site's admin API, read as strictly as central's
// (commons/query.ts): a bad one is 400 INVALID_QUERY naming the parameter.
import { type Query, invalidQuery, isTrackedOperationId, onlyParams, queryLimit, queryOneOf, queryText, queryTime, queryWhole } from '../../commons/index.js';
import { EVENT_CATEGORIES, EVENT_LEVELS, type EventQuery } from '../store/event-log.js';

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
  return {
    category: queryOneOf(q, 'category', EVENT_CATEGORIES),
    level: queryOneOf(q, 'level', EVENT_LEVELS),
    instance: queryText(q, 'instance'),
    sinceUtc: queryTime(q, 'since'),
    untilUtc: queryTime(q, 'until'),
    search: queryText(q, 'search'),
    beforeId: queryWhole(q, 'before'),
    limit: queryLimit(q),
  };
}
