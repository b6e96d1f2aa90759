-- Several central nodes on one database (issue 11, point 6). With SQLite
-- there is one node, and the registry points at itself; the tables are the
-- same as PostgreSQL's so the code is one. SiteSessions says which node holds
-- each site's stream: written when a stream opens, deleted when it closes,
-- its heartbeat refreshed on an interval so a dead node's rows expire.
CREATE TABLE SiteSessions (
  Site           TEXT NOT NULL,
  NodeId         TEXT NOT NULL,
  NodeUrl        TEXT NOT NULL,
  ConnectedAtUtc TEXT NOT NULL,
  HeartbeatAtMs  INTEGER NOT NULL,
  PRIMARY KEY (Site, NodeId)
) WITHOUT ROWID;
CREATE INDEX SiteSessionsNode ON SiteSessions (NodeId);

-- Cluster-wide settings; 'cluster_secret' authenticates the internal hop
-- between central nodes. Created once on first start, never logged.
CREATE TABLE ClusterSettings (
  Name  TEXT NOT NULL PRIMARY KEY,
  Value TEXT NOT NULL
) WITHOUT ROWID;
