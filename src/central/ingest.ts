// Telemetry straight into the central repository, for a site in the same
// process (`scadalink dev`) and for tests: the same answers the gRPC ingest
// RPCs give (accepted and rejected event ids), with the site taken from the
// caller, never from the events.
import type { AuditEvent } from '../commons/index.js';
import type { CentralRepository, IngestResult } from './db/index.js';

export interface DirectSink {
  ingestCachedTelemetry(events: readonly AuditEvent[]): Promise<IngestResult>;
  ingestAuditEvents(events: readonly AuditEvent[]): Promise<IngestResult>;
}

export function directSink(repo: CentralRepository, site: string): DirectSink {
  return {
    ingestCachedTelemetry: (events) => repo.ingest(site, events),
    ingestAuditEvents: (events) => repo.ingest(site, events),
  };
}
