-- Central database on PostgreSQL, first schema. DESIGN §5 (Central); seed 001 for SiteCalls.

CREATE TABLE sites (
  name              text PRIMARY KEY,
  -- scrypt hash of the site's secret (never the secret itself).
  secret_hash       text NOT NULL,
  created_at_utc    timestamptz NOT NULL,
  -- Reconciliation cursor: the highest tracking Version pulled from the site (DESIGN §4.1).
  reconcile_version bigint NOT NULL DEFAULT 0
);

-- One row per audit event, range-partitioned by month so that retention drops
-- whole partitions. A partitioned table's key must hold the partition column,
-- so the key is (event_id, occurred_at_utc): an event always carries the same
-- OccurredAtUtc, so this is insert-if-absent on EventId all the same.
-- Partitions are created ahead of time and on demand (partitions.ts).
CREATE TABLE audit_log (
  event_id             uuid NOT NULL,
  occurred_at_utc      timestamptz NOT NULL,
  source_site          text NOT NULL,
  tracked_operation_id uuid NULL,
  kind                 text NOT NULL,
  status               text NOT NULL,
  channel              text NOT NULL,
  target               text NOT NULL,
  actor                jsonb NOT NULL,
  source_node          text NOT NULL,
  error                text NULL,
  http_status          integer NULL,
  duration_ms          double precision NULL,
  ingested_at_utc      timestamptz NOT NULL,
  PRIMARY KEY (event_id, occurred_at_utc)
) PARTITION BY RANGE (occurred_at_utc);
CREATE INDEX ix_audit_log_operation ON audit_log (tracked_operation_id, occurred_at_utc) WHERE tracked_operation_id IS NOT NULL;

-- The mirror of every site's operation_tracking rows: one row per operation,
-- updated only by a newer version and never once terminal (DESIGN §4.1).
CREATE TABLE site_calls (
  tracked_operation_id uuid PRIMARY KEY,
  source_site          text NOT NULL,
  kind                 text NOT NULL,
  channel              text NOT NULL,
  target_summary       text NOT NULL,
  status               text NOT NULL,
  retry_count          integer NOT NULL,
  last_error           text NULL,
  http_status          integer NULL,
  source_instance_id   text NULL,
  source_script        text NULL,
  source_node          text NULL,
  created_at_utc       timestamptz NOT NULL,
  updated_at_utc       timestamptz NOT NULL,
  terminal_at_utc      timestamptz NULL,
  version              bigint NOT NULL,
  ingested_at_utc      timestamptz NOT NULL
);
CREATE INDEX ix_site_calls_site_created ON site_calls (source_site, created_at_utc);
CREATE INDEX ix_site_calls_status_updated ON site_calls (status, updated_at_utc);
