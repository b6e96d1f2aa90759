// Prepares a backlog file for the drain benchmark (run as its own process so
// the drain process's peak RSS does not include building it).
import { createBacklog } from '../lib/backlog.js';
import { flags, report } from '../lib/options.js';

const opt = flags({ count: 100_000, dir: '', outbox: true });
if (!opt.dir) throw new Error('--dir is required');
report({ bench: 'backlog', ...(await createBacklog(opt.dir, opt.count, opt.outbox)) });
