// Measures a site's RSS under script calls with large arguments (issue 8,
// point 7): starts a `scadalink site` (from dist/, so build first) on a fresh
// data directory with one call-triggered script, sends --calls calls of
// --size bytes of JSON from --parallel callers through the admin API, and
// prints RSS before and after with the answers' statuses. Extra arguments
// after `--` go to the site (e.g. -- --script-payload-limit 1100000).
// Usage: node tools/script-args-rss.mjs [--size 250000] [--calls 1000] [--parallel 64] [-- site options]
// Loopback only; it stops the site when done.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import console from 'node:console';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

const { fetch } = globalThis;

const root = fileURLToPath(new URL('..', import.meta.url));
const split = process.argv.indexOf('--');
const args = split === -1 ? process.argv.slice(2) : process.argv.slice(2, split);
const siteArgs = split === -1 ? [] : process.argv.slice(split + 1);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(args[i + 1]);
};
const size = opt('size', 250_000);
const calls = opt('calls', 1_000);
const parallel = opt('parallel', 64);

const dir = mkdtempSync(join(tmpdir(), 'script-args-rss-'));
mkdirSync(join(dir, 'project', 'scripts'), { recursive: true });
writeFileSync(
  join(dir, 'project', 'scadalink.yaml'),
  'sites: { plant1: {} }\ninstances:\n  Pump1:\n    site: plant1\n    scripts:\n      echo: { file: echo.js, triggers: [call] }\n',
);
writeFileSync(join(dir, 'project', 'scripts', 'echo.js'), 'return Object.keys(Parameters).length;\n');
const child = spawn(
  process.execPath,
  ['--no-node-snapshot', join(root, 'bin', 'scadalink.js'), 'site', '--project', join(dir, 'project'), '--data', join(dir, 'data'), '--port', '0', ...siteArgs],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const url = await new Promise((resolve) =>
  child.stdout.on('data', (d) => {
    const m = /"url":"([^"]+)"/.exec(d.toString());
    if (m) resolve(m[1]);
  }),
);
const rssMb = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024);
const body = JSON.stringify({ blob: 'x'.repeat(size) });
const before = rssMb();
const statuses = {};
let next = 0;
await Promise.all(
  Array.from({ length: parallel }, async () => {
    while (next++ < calls) {
      const r = await fetch(`${url}/admin/api/instances/Pump1/scripts/echo/call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      await r.arrayBuffer();
    }
  }),
);
console.log(JSON.stringify({ size, calls, parallel, rssBeforeMb: before, rssAfterMb: rssMb(), statuses }));
child.kill('SIGTERM');
await new Promise((resolve) => child.once('exit', resolve));
rmSync(dir, { recursive: true, force: true });
