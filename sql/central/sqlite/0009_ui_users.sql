-- Web UI users and sessions (issue 12, point 1; docs/ui.md). A password is
-- kept only as `scrypt$N$r$p$salt$hash`. FailedAttempts counts consecutive
-- failed sign-ins (reset by a success or a new password) and, with
-- LastFailureAtMs, sets how long sign-in is paused for the user.
CREATE TABLE UiUsers (
  Name            TEXT NOT NULL PRIMARY KEY,
  Role            TEXT NOT NULL CHECK (Role IN ('Viewer', 'Deployment', 'Admin')),
  PasswordHash    TEXT NOT NULL,
  Disabled        INTEGER NOT NULL DEFAULT 0,
  CreatedAtUtc    TEXT NOT NULL,
  UpdatedAtUtc    TEXT NOT NULL,
  FailedAttempts  INTEGER NOT NULL DEFAULT 0,
  LastFailureAtMs INTEGER NULL
) WITHOUT ROWID;

-- A session is known by the SHA-256 (hex) of its cookie only, so a copy of
-- the database signs nobody in; every central replica reads the same rows.
CREATE TABLE UiSessions (
  SessionHash  TEXT NOT NULL PRIMARY KEY,
  UserName     TEXT NOT NULL REFERENCES UiUsers (Name) ON DELETE CASCADE,
  CreatedAtMs  INTEGER NOT NULL,
  LastSeenAtMs INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX UiSessionsByUser ON UiSessions (UserName);
