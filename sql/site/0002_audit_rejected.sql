-- Audit events central refused for good (an invalid event): moved here with
-- central's reason, counted, and never sent again.
CREATE TABLE audit_rejected (
  EventId       TEXT NOT NULL PRIMARY KEY,
  Event         TEXT NOT NULL,
  Reason        TEXT NOT NULL,
  RejectedAtUtc TEXT NOT NULL
) WITHOUT ROWID;
