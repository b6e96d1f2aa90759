// Benchmark 4: Tracking.Status (store.status(id)) latency with a large
// tracking table. The rows are inserted directly (a mix of terminal and
// in-flight statuses, like a busy site within its 7-day retention); the ids
// looked up are drawn at random from the table.
import Database from 'better-sqlite3';
import { uuidv7 } from '../../src/commons/index.js';
import { SiteStore } from '../../src/site/index.js';
import { machine } from '../lib/machine.js';
import { flags, report, syncMode } from '../lib/options.js';
import { Samples, summarize } from '../lib/stats.js';
import { scratchDir } from '../lib/tmp.js';

const opt = flags({ rows: 1_000_000, lookups: 200_000, sync: 'FULL' });

const tmp = scratchDir();
const file = `${tmp.dir}/site.db`;
new SiteStore(file, 'bench-site').close(); // creates the schema through the real migrations

const prepStarted = performance.now();
{
  const db = new Database(file);
  db.pragma('synchronous = OFF');
  const insert = db.prepare(`INSERT INTO operation_tracking
    (TrackedOperationId, Kind, TargetSummary, Status, RetryCount, LastError, HttpStatus, CreatedAtUtc, UpdatedAtUtc,
     TerminalAtUtc, SourceInstanceId, SourceScript, SourceNode, Version)
    VALUES (?, 'ApiOutbound', 'ERP.postOrder', ?, ?, ?, ?, ?, ?, ?, 'Pump1', 'reportOrder', 'bench-site', ?)`);
  const t0 = Date.now() - 6 * 24 * 3_600_000;
  const fill = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const ms = t0 + Math.floor(i / 4);
      const at = new Date(ms).toISOString();
      // 90% Delivered, 6% Forwarded (retrying), 2% Parked, 2% Failed.
      const r = i % 50;
      const status = r < 45 ? 'Delivered' : r < 48 ? 'Forwarded' : r < 49 ? 'Parked' : 'Failed';
      const failed = status !== 'Delivered';
      const terminal = status === 'Delivered' || status === 'Failed';
      insert.run(uuidv7(ms), status, failed ? 3 : 0, failed ? 'ERP.postOrder: HTTP 503: busy' : null, failed ? 503 : 200,
        at, at, terminal ? at : null, i + 1);
    }
  });
  for (let from = 0; from < opt.rows; from += 50_000) fill(from, Math.min(opt.rows, from + 50_000));
  db.prepare(`UPDATE site_meta SET Value = ? WHERE Key = 'version'`).run(opt.rows);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}
const prepSeconds = (performance.now() - prepStarted) / 1000;

const store = new SiteStore(file, 'bench-site', { synchronous: syncMode(opt.sync) });
const ids = (
  store.db.prepare('SELECT TrackedOperationId AS id FROM operation_tracking ORDER BY random() LIMIT ?').all(opt.lookups) as {
    id: string;
  }[]
).map((r) => r.id);
const rows = (store.db.prepare('SELECT COUNT(*) AS n FROM operation_tracking').get() as { n: number }).n;

for (let i = 0; i < Math.min(10_000, ids.length); i++) store.status(ids[i]!); // warm the statement and the cache
const samples = new Samples();
let found = 0;
const started = performance.now();
for (const id of ids) {
  const t = performance.now();
  const snap = store.status(id);
  samples.push(performance.now() - t);
  if (snap?.trackedOperationId === id) found++;
}
const seconds = (performance.now() - started) / 1000;
store.close();
tmp.cleanup();

const lat = summarize(samples.values());
report({
  bench: 'status',
  options: opt,
  machine: machine(),
  metrics: { p50Ms: lat.p50Ms, p99Ms: lat.p99Ms, p999Ms: lat.p999Ms, maxMs: lat.maxMs, perSecond: ids.length / seconds },
  checks: { rows, lookups: ids.length, found, prepSeconds },
});
