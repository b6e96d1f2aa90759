import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { registerProcessMetrics } from '../../commons/index.js';
import { LINK_ERROR_CODES, type LinkState, type LinkStatus } from '../../transport/index.js';
import type { SiteRuntime } from '../runtime/site-runtime.js';

/** Milliseconds since epoch encoded in a UUIDv7's first 48 bits. */
export function uuidv7Time(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/**
 * The site's Prometheus metrics, read at scrape time from the runtime running
 * now (a deployment replaces it; a site waiting for its first one has none).
 */
export function siteMetrics(current: () => SiteRuntime | undefined, site: string, link?: () => LinkStatus | undefined): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ site });
  collectDefaultMetrics({ register: registry, prefix: 'scadalink_' });
  registerProcessMetrics(registry);
  if (link !== undefined) linkMetrics(registry, link);

  new Gauge({
    name: 'scadalink_sf_buffer_depth',
    help: 'Operations waiting in the store-and-forward buffer (not parked).',
    registers: [registry],
    collect() {
      const rt = current();
      if (rt === undefined) return;
      const c = rt.store.buffer.counts();
      this.set(c.total - c.parked);
    },
  });
  new Gauge({
    name: 'scadalink_sf_parked_operations',
    help: 'Operations parked for an operator.',
    registers: [registry],
    collect() {
      const rt = current();
      if (rt === undefined) return;
      this.set(rt.store.buffer.counts().parked);
    },
  });
  new Gauge({
    name: 'scadalink_sf_oldest_pending_age_seconds',
    help: 'Age of the oldest operation still waiting for delivery (0 when none).',
    registers: [registry],
    collect() {
      const rt = current();
      if (rt === undefined) return;
      const id = rt.store.buffer.oldestPendingId();
      this.set(id ? Math.max(0, (Date.now() - uuidv7Time(id)) / 1000) : 0);
    },
  });
  new Gauge({
    name: 'scadalink_sf_in_flight_attempts',
    help: 'Retry attempts in flight right now.',
    registers: [registry],
    collect() {
      const rt = current();
      if (rt === undefined) return;
      this.set(rt.engine.inFlightCount);
    },
  });
  new Counter({
    name: 'scadalink_sf_attempts_total',
    help: 'Delivery attempts by outcome.',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      const rt = current();
      if (rt === undefined) return;
      this.reset();
      for (const [outcome, n] of Object.entries(rt.engine.stats.attempts)) this.inc({ outcome }, n);
    },
  });
  new Counter({
    name: 'scadalink_sf_submitted_total',
    help: 'Cached operations submitted.',
    registers: [registry],
    collect() {
      const rt = current();
      if (rt === undefined) return;
      this.reset();
      this.inc(rt.engine.stats.submitted);
    },
  });
  new Counter({
    name: 'scadalink_sf_parked_total',
    help: 'Operations that ran out of retries and were parked.',
    registers: [registry],
    collect() {
      const rt = current();
      if (rt === undefined) return;
      this.reset();
      this.inc(rt.engine.stats.parked);
    },
  });
  new Counter({
    name: 'scadalink_script_executions_total',
    help: 'Script executions started.',
    registers: [registry],
    collect() {
      const rt = current();
      if (rt === undefined) return;
      this.reset();
      this.inc(rt.scriptStats.executions);
    },
  });
  new Counter({
    name: 'scadalink_script_errors_total',
    help: 'Script executions that ended in an error (timeouts included).',
    registers: [registry],
    collect() {
      const rt = current();
      if (rt === undefined) return;
      this.reset();
      this.inc(rt.scriptStats.errors);
    },
  });
  new Gauge({
    name: 'scadalink_script_isolates',
    help: 'Script isolates alive now (warm or running).',
    registers: [registry],
    collect() {
      const rt = current();
      if (rt === undefined) return;
      this.set(rt.scriptIsolates);
    },
  });
  new Gauge({
    name: 'scadalink_audit_outbox_depth',
    help: 'Audit events waiting to be acknowledged by central.',
    registers: [registry],
    collect() {
      const rt = current();
      if (rt === undefined) return;
      this.set(rt.store.outbox.depth().count);
    },
  });
  new Gauge({
    name: 'scadalink_audit_outbox_oldest_age_seconds',
    help: 'Age of the oldest audit event not yet acknowledged by central (0 when none).',
    registers: [registry],
    collect() {
      const rt = current();
      if (rt === undefined) return;
      const oldest = rt.store.outbox.depth().oldestUtc;
      this.set(oldest === null ? 0 : Math.max(0, (Date.now() - Date.parse(oldest)) / 1000));
    },
  });
  new Gauge({
    name: 'scadalink_audit_rejected',
    help: 'Audit events central refused for good, kept in audit_rejected and never resent.',
    registers: [registry],
    collect() {
      const rt = current();
      if (rt === undefined) return;
      this.set(rt.store.outbox.rejectedCount());
    },
  });
  new Counter({
    name: 'scadalink_audit_write_failures_total',
    help: 'Audit events that could not be written (the work went on).',
    registers: [registry],
    collect() {
      const rt = current();
      if (rt === undefined) return;
      this.reset();
      this.inc(rt.store.counters.auditWriteFailures);
    },
  });
  return registry;
}

const LINK_STATES: readonly LinkState[] = ['connecting', 'connected', 'refused', 'disconnected'];

/** The link to central (issue 9, point 3): its state, last contact and failures by code. */
function linkMetrics(registry: Registry, link: () => LinkStatus | undefined): void {
  new Gauge({
    name: 'scadalink_central_link_state',
    help: 'The link to central: 1 for the state it is in (connecting, connected, refused, disconnected), 0 for the others.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const s = link();
      if (s === undefined) return;
      for (const state of LINK_STATES) this.set({ state }, s.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'scadalink_central_link_last_contact_timestamp_seconds',
    help: 'When central last accepted the link or answered a call (seconds since epoch; 0: never).',
    registers: [registry],
    collect() {
      const s = link();
      if (s === undefined) return;
      this.set(s.lastContactUtc === null ? 0 : Date.parse(s.lastContactUtc) / 1000);
    },
  });
  new Counter({
    name: 'scadalink_central_link_failures_total',
    help: 'Failed or refused link attempts and ended streams, by code.',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      const s = link();
      if (s === undefined) return;
      this.reset();
      for (const code of LINK_ERROR_CODES) this.inc({ code }, s.failures[code] ?? 0);
    },
  });
}
