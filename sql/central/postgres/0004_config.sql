-- Configuration deployment (DESIGN §8): each project central deploys is a
-- revision, kept as its files (relative path -> text; `${ENV}` references,
-- never secrets). A new revision is recorded only when the files changed
-- (content_sha256 differs from the newest one).
CREATE TABLE config_revisions (
  revision       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  content_sha256 text NOT NULL,
  content        jsonb NOT NULL,
  created_at_utc timestamptz NOT NULL,
  created_by     text NOT NULL
);

-- What each site last reported: the revision it runs (NULL: a local project or
-- none), and the error of the last deployment it refused (NULL when it took it).
ALTER TABLE sites ADD COLUMN config_revision bigint NULL;
ALTER TABLE sites ADD COLUMN config_error text NULL;
ALTER TABLE sites ADD COLUMN config_reported_at_utc timestamptz NULL;
