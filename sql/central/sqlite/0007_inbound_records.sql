-- Inbound API records (issue 11, points 7 and 8).
--
-- InboundFailures: one row per failed `POST /api/{method}` call (successes are
-- only counted in /metrics). Newest first by Id (the order they were
-- recorded); each filter of the admin list has an index ending in Id, so a
-- filtered page is one index range. Purged by the daily maintenance after
-- --inbound-failure-retention days (AtUtc).
CREATE TABLE InboundFailures (
  Id         INTEGER PRIMARY KEY AUTOINCREMENT,
  Method     TEXT NOT NULL,
  KeyName    TEXT NULL,
  Code       TEXT NOT NULL,
  Message    TEXT NOT NULL,
  Status     INTEGER NOT NULL,
  AtUtc      TEXT NOT NULL,
  DurationMs REAL NOT NULL,
  Site       TEXT NULL
);
CREATE INDEX IX_InboundFailures_Method ON InboundFailures (Method, Id);
CREATE INDEX IX_InboundFailures_KeyName ON InboundFailures (KeyName, Id);
CREATE INDEX IX_InboundFailures_Code ON InboundFailures (Code, Id);
CREATE INDEX IX_InboundFailures_Site ON InboundFailures (Site, Id) WHERE Site IS NOT NULL;
CREATE INDEX IX_InboundFailures_At ON InboundFailures (AtUtc);

-- InboundIdempotency: one row per Idempotency-Key of one API key and method.
-- 'in-progress' while a run holds it (ExpiresAtUtc: when the claim may be
-- taken over, its run time having passed: a crashed node); 'done' with the
-- recorded answer (ExpiresAtUtc: 24 h after it was recorded). A row past
-- ExpiresAtUtc counts as absent; the daily maintenance deletes it.
CREATE TABLE InboundIdempotency (
  KeyName        TEXT NOT NULL,
  Method         TEXT NOT NULL,
  IdempotencyKey TEXT NOT NULL,
  RequestSha256  TEXT NOT NULL,
  State          TEXT NOT NULL CHECK (State IN ('in-progress', 'done')),
  Status         INTEGER NULL,
  Body           TEXT NULL,
  ClaimedAtUtc   TEXT NOT NULL,
  ExpiresAtUtc   TEXT NOT NULL,
  PRIMARY KEY (KeyName, Method, IdempotencyKey)
) WITHOUT ROWID;
CREATE INDEX IX_InboundIdempotency_Expires ON InboundIdempotency (ExpiresAtUtc);
