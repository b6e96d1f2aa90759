-- Inbound API records (issue 11, points 7 and 8).
--
-- inbound_failures: one row per failed `POST /api/{method}` call (successes
-- are only counted in /metrics). Newest first by id (the order they were
-- recorded); each filter of the admin list has an index ending in id, so a
-- filtered page is one index range. Purged by the daily maintenance after
-- --inbound-failure-retention days (at_utc).
CREATE TABLE inbound_failures (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  method      text NOT NULL,
  key_name    text NULL,
  code        text NOT NULL,
  message     text NOT NULL,
  status      integer NOT NULL,
  at_utc      timestamptz NOT NULL,
  duration_ms double precision NOT NULL,
  site        text NULL
);
CREATE INDEX ix_inbound_failures_method ON inbound_failures (method, id);
CREATE INDEX ix_inbound_failures_key_name ON inbound_failures (key_name, id);
CREATE INDEX ix_inbound_failures_code ON inbound_failures (code, id);
CREATE INDEX ix_inbound_failures_site ON inbound_failures (site, id) WHERE site IS NOT NULL;
CREATE INDEX ix_inbound_failures_at ON inbound_failures (at_utc);

-- inbound_idempotency: one row per Idempotency-Key of one API key and method.
-- 'in-progress' while a run holds it (expires_at: when the claim may be taken
-- over, its run time having passed: a crashed node); 'done' with the recorded
-- answer (expires_at: 24 h after it was recorded). A row past expires_at
-- counts as absent; the daily maintenance deletes it. Times are the database
-- server's (now()), so replicas with skewed clocks agree.
CREATE TABLE inbound_idempotency (
  key_name        text NOT NULL,
  method          text NOT NULL,
  idempotency_key text NOT NULL,
  request_sha256  text NOT NULL,
  state           text NOT NULL CHECK (state IN ('in-progress', 'done')),
  status          integer NULL,
  body            text NULL,
  claimed_at      timestamptz NOT NULL,
  expires_at      timestamptz NOT NULL,
  PRIMARY KEY (key_name, method, idempotency_key)
);
CREATE INDEX ix_inbound_idempotency_expires ON inbound_idempotency (expires_at);
