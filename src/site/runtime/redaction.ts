// Where error text leaves the integrations for the site's store, logs and
// scripts, the project's secrets are taken out of it (issue 8): a remote that
// echoes a request can put a token from the base URL, a header or a body into
// its answer, and from there into LastError, the audit rows central keeps,
// the event log and the admin API.
import type { Redactor } from '../../commons/index.js';
import type { ScriptHost } from '../../scripts/index.js';
import type { DeliveryHandler } from '../engine/engine.js';

/** A delivery handler whose failures carry no secret into the tracking row, audit event or event log. */
export function redactingHandler(handler: DeliveryHandler, redactor: Redactor): DeliveryHandler {
  return async (ctx) => {
    try {
      return await handler(ctx);
    } catch (err) {
      throw redactor.error(err);
    }
  };
}

/** A script host whose errors reach the script without secrets. */
export function redactingHost(host: ScriptHost, redactor: Redactor): ScriptHost {
  return {
    call: async (op, args) => {
      try {
        return await host.call(op, args);
      } catch (err) {
        throw redactor.error(err);
      }
    },
  };
}
