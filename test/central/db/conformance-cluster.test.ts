// Issue 11, point 6, on both central engines: the site-session registry says
// which central node holds each site's stream (the newest connection whose
// heartbeat is fresh, never the asking node), forgets a stream that closed, a
// node that left and a node that stopped beating; and the cluster secret is
// made once and the same for every node on the database.
import { describe, expect, it } from 'vitest';
import type { CentralRepository } from '../../../src/central/index.js';
import { ENGINES, type EngineHarness, freshEachTest } from './engines.js';

const A = { id: 'node-a', url: 'http://127.0.0.1:1001' };
const B = { id: 'node-b', url: 'http://127.0.0.1:1002' };
const TTL = 15_000;

for (const [engine, open] of ENGINES) {
  describe(`issue 11 point 6: the site-session registry on ${engine}`, () => {
    let h: EngineHarness;
    let repo: CentralRepository;
    freshEachTest(open, (harness) => {
      h = harness;
      repo = harness.repo;
    });
    /** Moves a node's heartbeats an hour back, as if it had died then. */
    const age = (nodeId: string): Promise<void> =>
      h.exec(
        engine === 'postgres'
          ? `UPDATE site_sessions SET heartbeat_at_utc = heartbeat_at_utc - interval '1 hour' WHERE node_id = '${nodeId}'`
          : `UPDATE SiteSessions SET HeartbeatAtMs = HeartbeatAtMs - 3600000 WHERE NodeId = '${nodeId}'`,
      );

    it('issue 11 point 6: a stream opened on node A is found by any other node, never by A itself, and is gone once closed', async () => {
      await repo.cluster.opened('plant1', A);
      expect(await repo.cluster.holder('plant1', B.id, TTL)).toMatchObject({ site: 'plant1', nodeId: A.id, nodeUrl: A.url });
      expect(await repo.cluster.holder('plant1', 'node-c', TTL)).toMatchObject({ nodeId: A.id });
      // The asking node is never its own holder: a stale row of its own must not make it forward to itself.
      expect(await repo.cluster.holder('plant1', A.id, TTL)).toBeUndefined();
      expect(await repo.cluster.holder('plant2', B.id, TTL)).toBeUndefined();
      // Another node on the same database sees it too.
      const other = await h.reopen();
      expect(await other.cluster.holder('plant1', B.id, TTL)).toMatchObject({ nodeId: A.id });
      await repo.cluster.closed('plant1', A.id);
      expect(await other.cluster.holder('plant1', B.id, TTL)).toBeUndefined();
    });

    it('issue 11 point 6: of two nodes holding a stream of the site, the newer connection is the holder', async () => {
      await repo.cluster.opened('plant1', A);
      // Connection times are the database's clock (PostgreSQL) or this process's: strictly later after a tick.
      await new Promise((resolve) => setTimeout(resolve, 5));
      await repo.cluster.opened('plant1', B);
      expect(await repo.cluster.holder('plant1', 'node-c', TTL)).toMatchObject({ nodeId: B.id, nodeUrl: B.url });
      // A asks: B is the other holder.
      expect(await repo.cluster.holder('plant1', A.id, TTL)).toMatchObject({ nodeId: B.id });
      await repo.cluster.closed('plant1', B.id);
      expect(await repo.cluster.holder('plant1', 'node-c', TTL)).toMatchObject({ nodeId: A.id });
    });

    it('issue 11 point 6: a node that stops beating stops counting; the heartbeat keeps the rows of the sites listed, drops the others, and purges dead rows', async () => {
      await repo.cluster.opened('plant1', A);
      await repo.cluster.opened('plant2', A);
      await repo.cluster.opened('plant3', B);
      await age(A.id);
      expect(await repo.cluster.holder('plant1', B.id, TTL)).toBeUndefined();
      expect((await repo.cluster.sessions(TTL)).map((r) => `${r.site}@${r.nodeId}`)).toEqual(['plant3@node-b']);

      // A beats again holding plant1 and plant4 only: plant2's row goes, plant4's comes.
      await repo.cluster.heartbeat(A, ['plant1', 'plant4'], 60_000);
      expect((await repo.cluster.sessions(TTL)).map((r) => `${r.site}@${r.nodeId}`)).toEqual(['plant1@node-a', 'plant3@node-b', 'plant4@node-a']);
      expect(await repo.cluster.holder('plant1', B.id, TTL)).toMatchObject({ nodeId: A.id });

      // B dies: its rows expire, and the next beat of any node deletes them for good.
      await age(B.id);
      await repo.cluster.heartbeat(A, ['plant1', 'plant4'], 60_000);
      expect((await repo.cluster.sessions(24 * 3_600_000)).map((r) => r.nodeId)).toEqual([A.id, A.id]);

      await repo.cluster.leave(A.id);
      expect(await repo.cluster.sessions(TTL)).toEqual([]);
      // A node holding nothing beats without error.
      await repo.cluster.heartbeat(B, [], 60_000);
    });

    it('issue 11 point 6: the cluster secret is made once, of 256 random bits, and every node on the database reads the same', async () => {
      const first = await repo.cluster.clusterSecret();
      expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await repo.cluster.clusterSecret()).toBe(first);
      const other = await h.reopen();
      expect(await other.cluster.clusterSecret()).toBe(first);
    });
  });
}
