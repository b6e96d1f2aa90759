// The Inbound API in central's /metrics (issue 11 point 7): every answer is
// counted by method and outcome (its error code, `ok`, or `replayed` for an
// Idempotency-Key replay), with a latency histogram by method. Successes are
// only counted here, never logged. A method label is a configured method's
// name, or `(unknown)` for any other, so callers cannot grow the label set.
import { Counter, Histogram, type Registry } from 'prom-client';

export const UNKNOWN_METHOD_LABEL = '(unknown)';

export interface InboundMetrics {
  /** One answer: `method` is a configured method's name or UNKNOWN_METHOD_LABEL. */
  answered(method: string, outcome: string, seconds: number): void;
}

export function inboundMetrics(registry: Registry): InboundMetrics {
  const requests = new Counter({
    name: 'scadalink_inbound_api_requests_total',
    help: 'Inbound API answers by method and outcome: ok, replayed (an Idempotency-Key replay) or the error code.',
    labelNames: ['method', 'outcome'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'scadalink_inbound_api_request_duration_seconds',
    help: 'From an Inbound API request arriving to its answer, by method.',
    labelNames: ['method'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  return {
    answered(method, outcome, seconds) {
      requests.inc({ method, outcome });
      latency.observe({ method }, seconds);
    },
  };
}
