import { expect } from 'vitest';
import { DeliveryError } from '../../../src/commons/index.js';
import type { ExternalMethodConfig, ExternalSystemConfig } from '../../../src/config/index.js';
import {
  HttpGateway,
  ThreadedHttpGateway,
  type HttpCaller,
  type HttpGatewayOptions,
} from '../../../src/integrations/index.js';

/** Each gateway implementation, for suites that must hold for both. */
export const GATEWAYS: readonly (readonly [string, (o?: HttpGatewayOptions) => HttpCaller])[] = [
  ['HttpGateway (event loop)', (o) => new HttpGateway(o)],
  ['ThreadedHttpGateway (worker thread)', (o) => new ThreadedHttpGateway(o)],
];

type MethodInput = Omit<ExternalMethodConfig, 'name' | 'parameters'> & {
  parameters?: ExternalMethodConfig['parameters'];
};

/** A resolved external system as the config loader would produce it. */
export function system(
  baseUrl: string,
  methods: Record<string, MethodInput>,
  overrides: Partial<Omit<ExternalSystemConfig, 'methods'>> = {},
): ExternalSystemConfig {
  const resolved: Record<string, ExternalMethodConfig> = {};
  for (const [name, m] of Object.entries(methods)) {
    resolved[name] = { name, parameters: [], ...m };
  }
  return {
    name: 'ERP',
    baseUrl,
    auth: { type: 'none' },
    timeoutMs: 2_000,
    retry: { maxRetries: 3, retryIntervalMs: 1_000 },
    maxConcurrency: 8,
    methods: resolved,
    ...overrides,
  };
}

/** Awaits a call that must fail and returns its DeliveryError. */
export async function failure(call: Promise<unknown>): Promise<DeliveryError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  return err as DeliveryError;
}
