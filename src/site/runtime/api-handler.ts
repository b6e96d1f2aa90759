import { DeliveryError, ownValue } from '../../commons/index.js';
import type { ExternalSystemConfig } from '../../config/index.js';
import type { HttpCaller } from '../../integrations/index.js';
import type { DeliveryHandler } from '../engine/engine.js';

/** What a cached external call keeps in the buffer: no credentials, only names and values. */
export interface ApiRequest {
  readonly system: string;
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/**
 * Delivers `ApiOutbound` operations through the gateway with the operation's
 * id as `Idempotency-Key` on every attempt (DESIGN §3 rule 3). The system's
 * definition (URL, credentials) is read from the configuration in force at
 * attempt time, so a corrected definition applies to buffered operations.
 */
export function apiOutboundHandler(
  gateway: HttpCaller,
  systems: () => Readonly<Record<string, ExternalSystemConfig>>,
): DeliveryHandler {
  return async (ctx) => {
    const req = ctx.request as ApiRequest;
    const system = ownValue(systems(), req.system);
    if (!system) {
      throw new DeliveryError('UNKNOWN_SYSTEM', `external system ${req.system} is not defined`, 'permanent');
    }
    const res = await gateway.call(system, req.method, req.params, { idempotencyKey: ctx.id, signal: ctx.signal });
    return { httpStatus: res.status, body: res.body };
  };
}
