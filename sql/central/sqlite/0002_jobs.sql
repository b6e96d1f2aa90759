-- Cluster-singleton jobs on SQLite (purge, reconciliation): the node that holds
-- a job's lease runs it. A lease left by a node that died expires.
CREATE TABLE Leases (
  Name        TEXT NOT NULL PRIMARY KEY,
  Holder      TEXT NOT NULL,
  ExpiresAtMs INTEGER NOT NULL
) WITHOUT ROWID;

-- When each periodic job (the daily purge) last ran, so that one run per
-- period happens across all nodes.
CREATE TABLE Jobs (
  Name         TEXT NOT NULL PRIMARY KEY,
  LastRunAtUtc TEXT NOT NULL
) WITHOUT ROWID;
