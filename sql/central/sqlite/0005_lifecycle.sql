-- Lifecycle of tokens, sites and revisions (issue 9, point 5).
-- A revoked token is kept (listed as revoked) and refused from the next request.
ALTER TABLE Tokens ADD COLUMN LastUsedAtUtc TEXT NULL;
ALTER TABLE Tokens ADD COLUMN RevokedAtUtc TEXT NULL;

-- A disabled site cannot connect (SITE_DISABLED); LastSeenAtUtc is the last
-- time any central node had its stream open or took a batch from it.
ALTER TABLE Sites ADD COLUMN DisabledAtUtc TEXT NULL;
ALTER TABLE Sites ADD COLUMN LastSeenAtUtc TEXT NULL;

-- Why a revision was recorded when it is not the project directory (e.g. "rollback of 3").
ALTER TABLE ConfigRevisions ADD COLUMN Note TEXT NULL;

-- Who did what to central's configuration, and when: token, site and
-- deployment actions from the CLI (operator: --operator or the OS user) and
-- the admin API (operator: the token's name).
CREATE TABLE OperatorActions (
  Id        INTEGER PRIMARY KEY AUTOINCREMENT,
  AtUtc     TEXT NOT NULL,
  Operator  TEXT NOT NULL,
  Action    TEXT NOT NULL,
  Target    TEXT NOT NULL,
  Detail    TEXT NULL
);
CREATE INDEX IX_OperatorActions_Target ON OperatorActions (Target, Id);
