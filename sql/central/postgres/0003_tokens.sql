-- Operator tokens for the admin API: `slk_<token_id>.<secret>`; only a scrypt hash of the secret is kept.
CREATE TABLE tokens (
  token_id       text PRIMARY KEY,
  name           text NOT NULL,
  role           text NOT NULL CHECK (role IN ('Viewer', 'Deployment', 'Admin')),
  secret_hash    text NOT NULL,
  created_at_utc timestamptz NOT NULL
);
