-- Inbound API keys (issue 11, point 2): `slk_api_<43 base64url characters>`,
-- 256 random bits. Only the SHA-256 of the whole key is kept (KeyHash, hex),
-- and a request's key is looked up by that digest: the unique index is the
-- lookup, and its comparisons are of digests, which tell nothing about the key.
-- A disabled key is refused from the next request on every central node (its
-- row is read on every request).
CREATE TABLE ApiKeys (
  Name          TEXT NOT NULL PRIMARY KEY,
  KeyHash       TEXT NOT NULL UNIQUE,
  CreatedAtUtc  TEXT NOT NULL,
  DisabledAtUtc TEXT NULL,
  LastUsedAtUtc TEXT NULL
) WITHOUT ROWID;
