-- Web UI users and sessions (issue 12, point 1; docs/ui.md). A password is
-- kept only as `scrypt$N$r$p$salt$hash`. failed_attempts counts consecutive
-- failed sign-ins (reset by a success or a new password) and, with
-- last_failure_at_ms, sets how long sign-in is paused for the user.
CREATE TABLE ui_users (
  name               text PRIMARY KEY,
  role               text NOT NULL CHECK (role IN ('Viewer', 'Deployment', 'Admin')),
  password_hash      text NOT NULL,
  disabled           boolean NOT NULL DEFAULT false,
  created_at_utc     timestamptz NOT NULL,
  updated_at_utc     timestamptz NOT NULL,
  failed_attempts    integer NOT NULL DEFAULT 0,
  last_failure_at_ms bigint NULL
);

-- A session is known by the SHA-256 (hex) of its cookie only, so a copy of
-- the database signs nobody in; every central replica reads the same rows.
CREATE TABLE ui_sessions (
  session_hash    text PRIMARY KEY,
  user_name       text NOT NULL REFERENCES ui_users (name) ON DELETE CASCADE,
  created_at_ms   bigint NOT NULL,
  last_seen_at_ms bigint NOT NULL
);
CREATE INDEX ui_sessions_by_user ON ui_sessions (user_name);
