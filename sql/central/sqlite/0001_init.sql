-- Central database on SQLite, first schema. DESIGN §5 (Central); seed 001 for SiteCalls.

CREATE TABLE Sites (
  Name             TEXT NOT NULL PRIMARY KEY,
  -- scrypt hash of the site's secret (never the secret itself).
  SecretHash       TEXT NOT NULL,
  CreatedAtUtc     TEXT NOT NULL,
  -- Reconciliation cursor: the highest tracking Version pulled from the site (DESIGN §4.1).
  ReconcileVersion INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- One row per audit event; insert-if-absent on EventId.
CREATE TABLE AuditLog (
  EventId            TEXT NOT NULL PRIMARY KEY,
  OccurredAtUtc      TEXT NOT NULL,
  SourceSite         TEXT NOT NULL,
  TrackedOperationId TEXT NULL,
  Kind               TEXT NOT NULL,
  Status             TEXT NOT NULL,
  Channel            TEXT NOT NULL,
  Target             TEXT NOT NULL,
  Actor              TEXT NOT NULL,
  SourceNode         TEXT NOT NULL,
  Error              TEXT NULL,
  HttpStatus         INTEGER NULL,
  DurationMs         REAL NULL,
  IngestedAtUtc      TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IX_AuditLog_Operation ON AuditLog (TrackedOperationId, OccurredAtUtc) WHERE TrackedOperationId IS NOT NULL;
CREATE INDEX IX_AuditLog_Occurred ON AuditLog (OccurredAtUtc);

-- The mirror of every site's operation_tracking rows: one row per operation,
-- updated only by a newer Version and never once terminal (DESIGN §4.1).
CREATE TABLE SiteCalls (
  TrackedOperationId TEXT NOT NULL PRIMARY KEY,
  SourceSite         TEXT NOT NULL,
  Kind               TEXT NOT NULL,
  Channel            TEXT NOT NULL,
  TargetSummary      TEXT NOT NULL,
  Status             TEXT NOT NULL,
  RetryCount         INTEGER NOT NULL,
  LastError          TEXT NULL,
  HttpStatus         INTEGER NULL,
  SourceInstanceId   TEXT NULL,
  SourceScript       TEXT NULL,
  SourceNode         TEXT NULL,
  CreatedAtUtc       TEXT NOT NULL,
  UpdatedAtUtc       TEXT NOT NULL,
  TerminalAtUtc      TEXT NULL,
  Version            INTEGER NOT NULL,
  IngestedAtUtc      TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IX_SiteCalls_Site_Created ON SiteCalls (SourceSite, CreatedAtUtc);
CREATE INDEX IX_SiteCalls_Status_Updated ON SiteCalls (Status, UpdatedAtUtc);
