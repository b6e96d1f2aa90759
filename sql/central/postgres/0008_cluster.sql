-- Several central nodes on one database (issue 11, point 6). site_sessions is
-- the registry of which node holds each site's stream: a row is written when
-- a stream opens, deleted when it closes, and its heartbeat refreshed on an
-- interval, so the rows of a node that died expire. A command that arrives at
-- a node not holding the site's stream is forwarded to node_url (one hop).
CREATE TABLE site_sessions (
  site             text NOT NULL,
  node_id          text NOT NULL,
  node_url         text NOT NULL,
  connected_at_utc timestamptz NOT NULL,
  heartbeat_at_utc timestamptz NOT NULL,
  PRIMARY KEY (site, node_id)
);
CREATE INDEX site_sessions_node ON site_sessions (node_id);

-- Cluster-wide settings; 'cluster_secret' authenticates the internal hop
-- between central nodes. Created once by the first node that starts (random
-- bytes from the node's CSPRNG), never logged.
CREATE TABLE cluster_settings (
  name  text PRIMARY KEY,
  value text NOT NULL
);
