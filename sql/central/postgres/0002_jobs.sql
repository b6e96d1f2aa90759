-- When each periodic job (the daily purge) last ran, so that one run per
-- period happens across all nodes.
CREATE TABLE jobs (
  name            text PRIMARY KEY,
  last_run_at_utc timestamptz NOT NULL
);
