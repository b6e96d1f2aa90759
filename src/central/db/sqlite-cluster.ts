// The site-session registry and cluster secret on SQLite (migration 0008).
// One SQLite file has one central node, so the registry points at itself;
// it is kept anyway so the code and its tests are the engines' same.
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ClusterNode, ClusterStore, SiteSessionRow } from './cluster-types.js';

interface Row {
  Site: string;
  NodeId: string;
  NodeUrl: string;
  ConnectedAtUtc: string;
  HeartbeatAtMs: number;
}

const rowOf = (r: Row): SiteSessionRow => ({
  site: r.Site,
  nodeId: r.NodeId,
  nodeUrl: r.NodeUrl,
  connectedAtUtc: r.ConnectedAtUtc,
  heartbeatAtUtc: new Date(r.HeartbeatAtMs).toISOString(),
});

export class SqliteClusterStore implements ClusterStore {
  constructor(private readonly db: Database.Database) {}

  opened(site: string, node: ClusterNode): Promise<void> {
    const now = Date.now();
    this.db
      .prepare(`INSERT INTO SiteSessions (Site, NodeId, NodeUrl, ConnectedAtUtc, HeartbeatAtMs) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (Site, NodeId) DO UPDATE SET NodeUrl = excluded.NodeUrl, ConnectedAtUtc = excluded.ConnectedAtUtc, HeartbeatAtMs = excluded.HeartbeatAtMs`)
      .run(site, node.id, node.url, new Date(now).toISOString(), now);
    return Promise.resolve();
  }

  closed(site: string, nodeId: string): Promise<void> {
    this.db.prepare('DELETE FROM SiteSessions WHERE Site = ? AND NodeId = ?').run(site, nodeId);
    return Promise.resolve();
  }

  heartbeat(node: ClusterNode, sites: readonly string[], purgeAfterMs: number): Promise<void> {
    const now = Date.now();
    const insert = this.db.prepare(`INSERT INTO SiteSessions (Site, NodeId, NodeUrl, ConnectedAtUtc, HeartbeatAtMs) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (Site, NodeId) DO UPDATE SET HeartbeatAtMs = excluded.HeartbeatAtMs`);
    const held = new Set(sites);
    this.db.transaction(() => {
      for (const site of held) insert.run(site, node.id, node.url, new Date(now).toISOString(), now);
      const mine = this.db.prepare('SELECT Site FROM SiteSessions WHERE NodeId = ?').pluck().all(node.id) as string[];
      const drop = this.db.prepare('DELETE FROM SiteSessions WHERE Site = ? AND NodeId = ?');
      for (const site of mine) if (!held.has(site)) drop.run(site, node.id);
      this.db.prepare('DELETE FROM SiteSessions WHERE HeartbeatAtMs < ?').run(now - purgeAfterMs);
    })();
    return Promise.resolve();
  }

  holder(site: string, exceptNode: string, ttlMs: number): Promise<SiteSessionRow | undefined> {
    const r = this.db
      .prepare(`SELECT * FROM SiteSessions WHERE Site = ? AND NodeId <> ? AND HeartbeatAtMs >= ?
        ORDER BY ConnectedAtUtc DESC LIMIT 1`)
      .get(site, exceptNode, Date.now() - ttlMs) as Row | undefined;
    return Promise.resolve(r === undefined ? undefined : rowOf(r));
  }

  sessions(ttlMs: number): Promise<SiteSessionRow[]> {
    const rows = this.db.prepare('SELECT * FROM SiteSessions WHERE HeartbeatAtMs >= ? ORDER BY Site, NodeId').all(Date.now() - ttlMs) as Row[];
    return Promise.resolve(rows.map(rowOf));
  }

  leave(nodeId: string): Promise<void> {
    this.db.prepare('DELETE FROM SiteSessions WHERE NodeId = ?').run(nodeId);
    return Promise.resolve();
  }

  clusterSecret(): Promise<string> {
    this.db.prepare(`INSERT INTO ClusterSettings (Name, Value) VALUES ('cluster_secret', ?) ON CONFLICT (Name) DO NOTHING`).run(newSecret());
    return Promise.resolve(this.db.prepare(`SELECT Value FROM ClusterSettings WHERE Name = 'cluster_secret'`).pluck().get() as string);
  }
}

/** 256 random bits, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}
