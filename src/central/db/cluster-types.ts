// The registry of which central node holds each site's stream (issue 11,
// point 6; docs/central.md "Several central nodes"), and the cluster secret
// that authenticates the internal hop between nodes.

/** One node's live stream of one site, as the registry holds it. */
export interface SiteSessionRow {
  readonly site: string;
  /** The holder's replica id (a new one each start). */
  readonly nodeId: string;
  /** Where the holder serves its internal routes (its --advertise-url). */
  readonly nodeUrl: string;
  readonly connectedAtUtc: string;
  readonly heartbeatAtUtc: string;
}

/** This node as the registry names it. */
export interface ClusterNode {
  readonly id: string;
  readonly url: string;
}

export interface ClusterStore {
  /** The node holds the site's stream from now (a new row, or a newer connection time). */
  opened(site: string, node: ClusterNode): Promise<void>;
  /** The node's stream of the site ended. */
  closed(site: string, nodeId: string): Promise<void>;
  /**
   * Refreshes the heartbeat of the node's rows for `sites` (adding any that is
   * missing), deletes its rows of other sites, and deletes every row whose
   * heartbeat is older than `purgeAfterMs` (a dead node's).
   */
  heartbeat(node: ClusterNode, sites: readonly string[], purgeAfterMs: number): Promise<void>;
  /** The node holding the site's stream, other than `exceptNode`: the newest connection whose heartbeat is within `ttlMs`. */
  holder(site: string, exceptNode: string, ttlMs: number): Promise<SiteSessionRow | undefined>;
  /** Every row whose heartbeat is within `ttlMs`, by site then node. */
  sessions(ttlMs: number): Promise<SiteSessionRow[]>;
  /** Deletes every row of the node (it is stopping). */
  leave(nodeId: string): Promise<void>;
  /** The cluster secret: made once (by whichever node asks first) and the same for every node after. */
  clusterSecret(): Promise<string>;
}
