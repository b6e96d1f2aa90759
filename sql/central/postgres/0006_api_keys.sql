-- Inbound API keys (issue 11, point 2): `slk_api_<43 base64url characters>`,
-- 256 random bits. Only the SHA-256 of the whole key is kept (key_hash, hex),
-- and a request's key is looked up by that digest: the unique index is the
-- lookup, and its comparisons are of digests, which tell nothing about the key.
-- A disabled key is refused from the next request on every central node (its
-- row is read on every request).
CREATE TABLE api_keys (
  name             text PRIMARY KEY,
  key_hash         text NOT NULL UNIQUE,
  created_at_utc   timestamptz NOT NULL,
  disabled_at_utc  timestamptz NULL,
  last_used_at_utc timestamptz NULL
);
