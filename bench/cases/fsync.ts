// Context for every durable figure: how many single-row commits per second
// this disk allows (DESIGN §12 quotes about 5,500/s FULL and 20,000/s NORMAL
// on these machines). Measured with better-sqlite3 on a scratch file in WAL mode.
import Database from 'better-sqlite3';
import { machine } from '../lib/machine.js';
import { flags, report } from '../lib/options.js';
import { scratchDir } from '../lib/tmp.js';

const opt = flags({ commits: 3000 });
const tmp = scratchDir();
const metrics: Record<string, number> = {};
for (const sync of ['FULL', 'NORMAL'] as const) {
  const db = new Database(`${tmp.dir}/${sync}.db`);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync}`);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const tx = db.transaction((v: string) => insert.run(v));
  const started = performance.now();
  for (let i = 0; i < opt.commits; i++) tx(`row ${i}`);
  metrics[`commitsPerSecond${sync}`] = opt.commits / ((performance.now() - started) / 1000);
  db.close();
}
tmp.cleanup();
report({ bench: 'fsync', options: opt, machine: machine(), metrics, checks: {} });
