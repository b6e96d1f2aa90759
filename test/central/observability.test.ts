// Issue 9, point 6: central's /info and /metrics, in-process on a real SQLite
// file and a real PostgreSQL database, with a real site link client sending
// real telemetry over gRPC on loopback. The figures must move with the
// traffic, and /info must name the engine without its URL.
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret, newTrackedOperationId, packageRoot, uuidv7 } from '../../src/commons/index.js';
import { type CentralNode, startCentralNode } from '../../src/central/index.js';
import { SiteLinkClient } from '../../src/transport/index.js';
import { PG, createPgDatabase, tempDir } from '../support/index.js';
import { failTwiceThenDeliver, step } from './db/events.js';

const logger = pino({ level: 'silent' });
const SITE = 'plant-a';
const SECRET = 'plant-a-secret-1234';

/** The value of one sample line of a Prometheus text page (undefined when absent). */
function sample(page: string, series: string): number | undefined {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const newestMigration = (engine: 'sqlite' | 'postgres'): number =>
  Math.max(...readdirSync(join(packageRoot(), 'sql', 'central', engine)).filter((f) => /^\d{4}_/.test(f)).map((f) => Number(f.slice(0, 4))));

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`issue 9 point 6: central /info and /metrics (${engine})`, () => {
    let tmp: ReturnType<typeof tempDir>;
    let db: Awaited<ReturnType<typeof createPgDatabase>> | undefined;
    let databaseUrl: string | undefined;
    let node: CentralNode;
    let client: SiteLinkClient | undefined;

    beforeEach(async () => {
      tmp = tempDir();
      if (engine === 'postgres') {
        db = await createPgDatabase('sl_observe');
        databaseUrl = `postgres://${PG.user}@${PG.host}:${PG.port}/${db.database}`;
      }
      node = await startCentralNode({ dataDir: tmp.dir, databaseUrl, port: 0, grpcPort: 0, logger, maintenanceOnStart: false });
      await node.repo.putSite(SITE, await hashSecret(SECRET));
    });
    afterEach(async () => {
      await client?.stop();
      client = undefined;
      await node.stop();
      await db?.drop();
      db = undefined;
      tmp.cleanup();
    });

    it('GET /info names version, database kind and schema version, replica id and uptime, without a token and without the database URL', async () => {
      const res = await fetch(`${node.url}/info`);
      expect(res.status).toBe(200);
      const text = await res.text();
      const info = JSON.parse(text) as Record<string, unknown>;
      const version = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
      expect(info).toMatchObject({
        role: 'central',
        version,
        database: { kind: engine, schemaVersion: newestMigration(engine) },
        replicaId: node.repo.replicaId,
      });
      expect(info['replicaId']).toMatch(/^[0-9a-f-]{36}$/);
      expect(typeof info['uptimeSeconds']).toBe('number');
      expect(Date.parse(info['startedAtUtc'] as string)).toBeLessThanOrEqual(Date.now());
      expect(text).not.toContain('postgres://');
      expect(text).not.toContain(tmp.dir);
    });

    it('GET /metrics moves with real telemetry: connected sites, last seen, batches and events by outcome, ingest lag, reconciliation runs, process metrics', async () => {
      const before = await (await fetch(`${node.url}/metrics`)).text();
      expect(sample(before, 'scadalink_central_connected_sites')).toBe(0);
      expect(sample(before, 'scadalink_central_ingest_batches_total{outcome="stored"}')).toBe(0);
      expect(before).toMatch(/^scadalink_process_cpu_user_seconds_total \d/m);

      client = new SiteLinkClient({
        address: `127.0.0.1:${node.grpcPort}`,
        site: SITE,
        secret: SECRET,
        node: `${SITE}@test`,
        version: '0.1.0',
        logger,
        onCommand: (cmd) => Promise.resolve(cmd.pullTracking ? { ok: true, trackingPage: { rows: [], more: false } } : { ok: true }),
      });
      const connected = once(client.events, 'connected');
      client.start();
      await connected;
      const seenFrom = Date.now() / 1000;
      // Occurred just now at the site (the fixture's times are fixed in the past).
      const batch = failTwiceThenDeliver(newTrackedOperationId()).map((e, i) => ({ ...e, occurredAtUtc: new Date(Date.now() - 1_000 + i).toISOString() }));
      expect((await client.ingestCachedTelemetry(batch)).accepted).toHaveLength(5);
      // The same batch again: already stored, accepted again.
      expect((await client.ingestCachedTelemetry(batch)).accepted).toHaveLength(5);
      const bad = { ...step(newTrackedOperationId(), 'CachedSubmit', 'Submitted', 1), eventId: `evt-${uuidv7()}` };
      expect((await client.ingestAuditEvents([bad])).rejected).toHaveLength(1);

      // Reconciliation on connect runs in the background: wait for its count.
      let page = '';
      for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
        page = await (await fetch(`${node.url}/metrics`)).text();
        if ((sample(page, 'scadalink_central_reconcile_runs_total{outcome="ok"}') ?? 0) >= 1) break;
      }
      expect(sample(page, 'scadalink_central_reconcile_runs_total{outcome="ok"}')).toBeGreaterThanOrEqual(1);
      expect(sample(page, 'scadalink_central_connected_sites')).toBe(1);
      expect(sample(page, `scadalink_central_site_last_seen_timestamp_seconds{site="${SITE}"}`)).toBeGreaterThanOrEqual(Math.floor(seenFrom));
      expect(sample(page, 'scadalink_central_ingest_batches_total{outcome="stored"}')).toBe(3);
      expect(sample(page, 'scadalink_central_ingest_batches_total{outcome="failed"}')).toBe(0);
      expect(sample(page, 'scadalink_central_ingest_events_total{outcome="accepted"}')).toBe(10);
      expect(sample(page, 'scadalink_central_ingest_events_total{outcome="rejected"}')).toBe(1);
      expect(sample(page, 'scadalink_central_ingest_lag_seconds_count')).toBe(10);
      // The events occurred moments ago: every one within a minute.
      expect(sample(page, 'scadalink_central_ingest_lag_seconds_bucket{le="60"}')).toBe(10);
      expect(page).toMatch(/^scadalink_nodejs_heap_size_used_bytes \d/m);

      await client.stop();
      client = undefined;
      for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
        page = await (await fetch(`${node.url}/metrics`)).text();
        if (sample(page, 'scadalink_central_connected_sites') === 0) break;
      }
      expect(sample(page, 'scadalink_central_connected_sites')).toBe(0);
    });
  });
}
