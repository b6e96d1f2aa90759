-- Operator tokens for the admin API: `slk_<TokenId>.<secret>`; only a scrypt hash of the secret is kept.
CREATE TABLE Tokens (
  TokenId      TEXT NOT NULL PRIMARY KEY,
  Name         TEXT NOT NULL,
  Role         TEXT NOT NULL CHECK (Role IN ('Viewer', 'Deployment', 'Admin')),
  SecretHash   TEXT NOT NULL,
  CreatedAtUtc TEXT NOT NULL
) WITHOUT ROWID;
