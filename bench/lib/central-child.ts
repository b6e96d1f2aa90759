// Central for the lag bench, in its own process (as in production, central
// never shares a process with a site): the scratch database and the real gRPC
// site link. `node central-child.js <engine> <dir>` under fork(); it answers
// `lags` (the lag of every event that occurred in a window) and `close`.
import pino from 'pino';
import { hashSecret } from '../../src/commons/index.js';
import { type PostgresCentralRepository, SqliteCentralRepository, siteSecrets } from '../../src/central/index.js';
import { SiteLinkServer } from '../../src/transport/index.js';
import { BENCH_SITE, scratchCentral } from './central.js';

const [engine = 'sqlite', dir = '.'] = process.argv.slice(2);
const { repo, drop } = await scratchCentral(engine, dir);
await repo.putSite(BENCH_SITE.name, await hashSecret(BENCH_SITE.secret));
const server = new SiteLinkServer({
  logger: pino({ level: 'warn' }),
  secrets: siteSecrets(repo),
  ingest: (site, events) => repo.ingest(site, events),
});
const port = await server.listen('127.0.0.1', 0);
process.send!({ type: 'listening', port });

/** Milliseconds from OccurredAtUtc (at the site) to IngestedAtUtc (the commit here) of each event in [from, to). */
async function lags(from: string, to: string): Promise<number[]> {
  if (repo instanceof SqliteCentralRepository) {
    const rows = repo.db
      .prepare('SELECT OccurredAtUtc AS o, IngestedAtUtc AS i FROM AuditLog WHERE OccurredAtUtc >= ? AND OccurredAtUtc < ?')
      .all(from, to) as { o: string; i: string }[];
    return rows.map((r) => Date.parse(r.i) - Date.parse(r.o));
  }
  const { rows } = await (repo as PostgresCentralRepository).pool.query<{ lag: number }>(
    `SELECT EXTRACT(EPOCH FROM (ingested_at_utc - occurred_at_utc)) * 1000 AS lag FROM audit_log
     WHERE occurred_at_utc >= $1 AND occurred_at_utc < $2`,
    [from, to],
  );
  return rows.map((r) => Number(r.lag));
}

process.on('message', (msg: { type: string; from?: string; to?: string }) => {
  if (msg.type === 'lags') {
    void lags(msg.from!, msg.to!).then((l) => process.send!({ type: 'lags', lags: l }));
  }
  if (msg.type === 'close') {
    void (async () => {
      await server.close();
      await drop();
      process.exit(0);
    })();
  }
});
process.on('disconnect', () => process.exit(0));
