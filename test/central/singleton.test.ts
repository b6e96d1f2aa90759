// Central issue, point 9: two central nodes on one PostgreSQL database run the
// daily purge exactly once between them, and it removes what is past its
// retention. (Each node has its own connection pool, as two processes would.)
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newTrackedOperationId } from '../../src/commons/index.js';
import { type CentralNode, startCentralNode } from '../../src/central/index.js';
import { PG, createPgDatabase, tempDir } from '../support/index.js';
import { step } from './db/events.js';

const logger = pino({ level: 'silent' });

describe('central maintenance as a cluster singleton', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  let nodes: CentralNode[];

  beforeEach(async () => {
    tmp = tempDir();
    db = await createPgDatabase('sl_central_two');
    const url = `postgres://${PG.user}@${PG.host}:${PG.port}/${db.database}`;
    nodes = [];
    for (let i = 0; i < 2; i++) {
      nodes.push(await startCentralNode({ dataDir: tmp.dir, databaseUrl: url, port: 0, grpcPort: 0, logger, siteCallRetentionMs: 86_400_000, maintenanceOnStart: false }));
    }
  });
  afterEach(async () => {
    for (const n of nodes) await n.stop();
    await db.drop();
    tmp.cleanup();
  });

  it('two nodes on one database purge exactly once per day between them', async () => {
    const old = newTrackedOperationId();
    const open = newTrackedOperationId();
    // One row ended long ago (past the one-day retention), one is still parked.
    await nodes[0]!.repo.ingest('plant-a', [
      { ...step(old, 'CachedResolve', 'Delivered', 3), operation: { ...step(old, 'CachedResolve', 'Delivered', 3).operation!, updatedAtUtc: '2020-01-01T00:00:00.000Z' } },
      step(open, 'CachedResolve', 'Parked', 4),
    ]);
    const results = await Promise.all(nodes.map((n) => n.runMaintenance()));
    const ran = results.filter((r) => r !== undefined);
    expect(ran).toHaveLength(1);
    expect(ran[0]).toMatchObject({ siteCalls: 1 });
    expect(await nodes[1]!.repo.siteCall(old)).toBeUndefined();
    expect(await nodes[1]!.repo.siteCall(open)).toMatchObject({ status: 'Parked' });
    // Later the same day neither runs it again.
    expect(await Promise.all(nodes.map((n) => n.runMaintenance()))).toEqual([undefined, undefined]);
  });
});
