-- Site store, first schema. DESIGN §5; seed 002 for operation_tracking.

CREATE TABLE site_meta (
  Key   TEXT PRIMARY KEY,
  Value INTEGER NOT NULL
) WITHOUT ROWID;
-- The site-wide version counter of DESIGN §4.1. It lives apart from the
-- tracking rows so that purging rows can never make a version be reused.
INSERT INTO site_meta (Key, Value) VALUES ('version', 0);

CREATE TABLE operation_tracking (
  TrackedOperationId TEXT NOT NULL PRIMARY KEY,
  Kind               TEXT NOT NULL,
  TargetSummary      TEXT NULL,
  Status             TEXT NOT NULL,
  RetryCount         INTEGER NOT NULL DEFAULT 0,
  LastError          TEXT NULL,
  HttpStatus         INTEGER NULL,
  CreatedAtUtc       TEXT NOT NULL,
  UpdatedAtUtc       TEXT NOT NULL,
  TerminalAtUtc      TEXT NULL,
  SourceInstanceId   TEXT NULL,
  SourceScript       TEXT NULL,
  SourceNode         TEXT NULL,
  Version            INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IX_OperationTracking_Status_Updated ON operation_tracking (Status, UpdatedAtUtc);
CREATE INDEX IX_OperationTracking_Version ON operation_tracking (Version);
CREATE INDEX IX_OperationTracking_Terminal ON operation_tracking (TerminalAtUtc) WHERE TerminalAtUtc IS NOT NULL;

-- One row per non-terminal operation: everything needed to attempt it again.
-- Credentials are never stored here; they are taken from the configuration at attempt time.
CREATE TABLE sf_buffer (
  TrackedOperationId TEXT NOT NULL PRIMARY KEY,
  Channel            TEXT NOT NULL,
  Target             TEXT NOT NULL,
  Request            TEXT NOT NULL,
  MaxRetries         INTEGER NOT NULL,
  RetryIntervalMs    INTEGER NOT NULL,
  RetryCount         INTEGER NOT NULL DEFAULT 0,
  NextAttemptAtMs    INTEGER NOT NULL,
  Status             TEXT NOT NULL,
  SourceInstanceId   TEXT NULL,
  SourceScript       TEXT NULL
) WITHOUT ROWID;
-- The dispatcher claims due rows through this index, never by scanning (DESIGN §12).
CREATE INDEX IX_Buffer_Due ON sf_buffer (NextAttemptAtMs, TrackedOperationId) WHERE Status <> 'Parked';
CREATE INDEX IX_Buffer_Parked ON sf_buffer (Status, TrackedOperationId) WHERE Status = 'Parked';

-- Audit events waiting to be acknowledged by central.
CREATE TABLE audit_outbox (
  Seq                INTEGER PRIMARY KEY AUTOINCREMENT,
  EventId            TEXT NOT NULL UNIQUE,
  TrackedOperationId TEXT NULL,
  Kind               TEXT NOT NULL,
  Status             TEXT NOT NULL,
  OccurredAtUtc      TEXT NOT NULL,
  Event              TEXT NOT NULL
);
CREATE INDEX IX_AuditOutbox_Operation ON audit_outbox (TrackedOperationId);

-- Site event log: script errors, permanent failures, parked operations,
-- operator actions, start and stop (shown by `scadalink site events`).
CREATE TABLE event_log (
  Id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  AtUtc              TEXT NOT NULL,
  Level              TEXT NOT NULL,
  Category           TEXT NOT NULL,
  Instance           TEXT NULL,
  Script             TEXT NULL,
  TrackedOperationId TEXT NULL,
  Message            TEXT NOT NULL,
  Details            TEXT NULL
);
CREATE INDEX IX_EventLog_At ON event_log (AtUtc);

CREATE TABLE deployed_config (
  Revision      INTEGER PRIMARY KEY,
  DeployedAtUtc TEXT NOT NULL,
  Content       TEXT NOT NULL
);

CREATE TABLE attribute_values (
  Instance     TEXT NOT NULL,
  Attribute    TEXT NOT NULL,
  Value        TEXT NOT NULL,
  UpdatedAtUtc TEXT NOT NULL,
  PRIMARY KEY (Instance, Attribute)
) WITHOUT ROWID;
