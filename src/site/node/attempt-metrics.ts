// Attempts against each configured external system, database and SMTP server
// (issue 9, point 6): counted by outcome and timed, labelled by the
// configured name only (never a URL or an id), so the series stay as few as
// the project's integrations.
import { Counter, Histogram, type Registry } from 'prom-client';
import { Channel } from '../../commons/index.js';
import type { AttemptObserver } from '../engine/engine.js';

const KIND_OF: Readonly<Record<Channel, string>> = {
  [Channel.ApiOutbound]: 'external_system',
  [Channel.DbOutbound]: 'database',
  [Channel.Notification]: 'smtp',
};

/** Registers the attempt metrics and returns the observer the runtime tells each attempt to. */
export function attemptMetrics(registry: Registry): AttemptObserver {
  const attempts = new Counter({
    name: 'scadalink_integration_attempts_total',
    help: 'Attempts against an external system, a database or the SMTP server (kind), by configured name and outcome (delivered, transient, permanent).',
    labelNames: ['kind', 'name', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'scadalink_integration_attempt_duration_seconds',
    help: 'Duration of those attempts, by kind and configured name.',
    labelNames: ['kind', 'name'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return ({ channel, target, outcome, durationMs }) => {
    const kind = KIND_OF[channel];
    attempts.inc({ kind, name: target, outcome });
    duration.observe({ kind, name: target }, durationMs / 1000);
  };
}
