-- Configuration deployment (DESIGN §8): each project central deploys is a
-- revision, kept as its files (JSON: relative path -> text; `${ENV}`
-- references, never secrets). A new revision is recorded only when the files
-- changed (ContentSha256 differs from the newest one).
CREATE TABLE ConfigRevisions (
  Revision      INTEGER PRIMARY KEY AUTOINCREMENT,
  ContentSha256 TEXT NOT NULL,
  Content       TEXT NOT NULL,
  CreatedAtUtc  TEXT NOT NULL,
  CreatedBy     TEXT NOT NULL
);

-- What each site last reported: the revision it runs (NULL: a local project or
-- none), and the error of the last deployment it refused (NULL when it took it).
ALTER TABLE Sites ADD COLUMN ConfigRevision INTEGER NULL;
ALTER TABLE Sites ADD COLUMN ConfigError TEXT NULL;
ALTER TABLE Sites ADD COLUMN ConfigReportedAtUtc TEXT NULL;
