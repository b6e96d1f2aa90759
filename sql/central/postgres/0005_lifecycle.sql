-- Lifecycle of tokens, sites and revisions (issue 9, point 5).
-- A revoked token is kept (listed as revoked) and refused from the next request.
ALTER TABLE tokens ADD COLUMN last_used_at_utc timestamptz NULL;
ALTER TABLE tokens ADD COLUMN revoked_at_utc timestamptz NULL;

-- A disabled site cannot connect (SITE_DISABLED); last_seen_at_utc is the last
-- time any central node had its stream open or took a batch from it.
ALTER TABLE sites ADD COLUMN disabled_at_utc timestamptz NULL;
ALTER TABLE sites ADD COLUMN last_seen_at_utc timestamptz NULL;

-- Why a revision was recorded when it is not the project directory (e.g. "rollback of 3").
ALTER TABLE config_revisions ADD COLUMN note text NULL;

-- Who did what to central's configuration, and when: token, site and
-- deployment actions from the CLI (operator: --operator or the OS user) and
-- the admin API (operator: the token's name).
CREATE TABLE operator_actions (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at_utc   timestamptz NOT NULL,
  operator text NOT NULL,
  action   text NOT NULL,
  target   text NOT NULL,
  detail   text NULL
);
CREATE INDEX ix_operator_actions_target ON operator_actions (target, id);
