// The site-session registry and cluster secret on PostgreSQL (migration
// 0008). Times are the database server's (now()), so the nodes' clocks need
// not agree for a heartbeat to count as fresh.
import type pg from 'pg';
import type { ClusterNode, ClusterStore, SiteSessionRow } from './cluster-types.js';
import { newSecret } from './sqlite-cluster.js';

interface Row {
  site: string;
  node_id: string;
  node_url: string;
  connected_at_utc: Date;
  heartbeat_at_utc: Date;
}

const rowOf = (r: Row): SiteSessionRow => ({
  site: r.site,
  nodeId: r.node_id,
  nodeUrl: r.node_url,
  connectedAtUtc: r.connected_at_utc.toISOString(),
  heartbeatAtUtc: r.heartbeat_at_utc.toISOString(),
});

export class PostgresClusterStore implements ClusterStore {
  constructor(private readonly pool: pg.Pool) {}

  async opened(site: string, node: ClusterNode): Promise<void> {
    await this.pool.query(
      `INSERT INTO site_sessions (site, node_id, node_url, connected_at_utc, heartbeat_at_utc) VALUES ($1, $2, $3, clock_timestamp(), clock_timestamp())
       ON CONFLICT (site, node_id) DO UPDATE SET node_url = excluded.node_url, connected_at_utc = excluded.connected_at_utc, heartbeat_at_utc = excluded.heartbeat_at_utc`,
      [site, node.id, node.url],
    );
  }

  async closed(site: string, nodeId: string): Promise<void> {
    await this.pool.query('DELETE FROM site_sessions WHERE site = $1 AND node_id = $2', [site, nodeId]);
  }

  async heartbeat(node: ClusterNode, sites: readonly string[], purgeAfterMs: number): Promise<void> {
    // One statement each, no transaction needed: every one is idempotent and the next beat repeats them.
    await this.pool.query(
      `INSERT INTO site_sessions (site, node_id, node_url, connected_at_utc, heartbeat_at_utc)
       SELECT s, $2, $3, clock_timestamp(), clock_timestamp() FROM unnest($1::text[]) AS s
       ON CONFLICT (site, node_id) DO UPDATE SET heartbeat_at_utc = excluded.heartbeat_at_utc`,
      [[...new Set(sites)], node.id, node.url],
    );
    await this.pool.query('DELETE FROM site_sessions WHERE node_id = $1 AND NOT (site = ANY($2::text[]))', [node.id, [...sites]]);
    await this.pool.query(`DELETE FROM site_sessions WHERE heartbeat_at_utc < clock_timestamp() - make_interval(secs => $1::float8 / 1000)`, [purgeAfterMs]);
  }

  async holder(site: string, exceptNode: string, ttlMs: number): Promise<SiteSessionRow | undefined> {
    const { rows } = await this.pool.query<Row>({
      name: 'site-session-holder',
      text: `SELECT * FROM site_sessions WHERE site = $1 AND node_id <> $2
             AND heartbeat_at_utc >= clock_timestamp() - make_interval(secs => $3::float8 / 1000)
             ORDER BY connected_at_utc DESC LIMIT 1`,
      values: [site, exceptNode, ttlMs],
    });
    return rows[0] === undefined ? undefined : rowOf(rows[0]);
  }

  async sessions(ttlMs: number): Promise<SiteSessionRow[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM site_sessions WHERE heartbeat_at_utc >= clock_timestamp() - make_interval(secs => $1::float8 / 1000)
       ORDER BY site COLLATE "C", node_id COLLATE "C"`,
      [ttlMs],
    );
    return rows.map(rowOf);
  }

  async leave(nodeId: string): Promise<void> {
    await this.pool.query('DELETE FROM site_sessions WHERE node_id = $1', [nodeId]);
  }

  async clusterSecret(): Promise<string> {
    await this.pool.query(`INSERT INTO cluster_settings (name, value) VALUES ('cluster_secret', $1) ON CONFLICT (name) DO NOTHING`, [newSecret()]);
    const { rows } = await this.pool.query<{ value: string }>(`SELECT value FROM cluster_settings WHERE name = 'cluster_secret'`);
    return rows[0]!.value;
  }
}
