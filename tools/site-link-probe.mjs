// Measures how central's site link holds against wrong secrets (issue 8,
// point 6): it starts a `scadalink central` (from dist/, so build first) on a
// fresh SQLite directory with one site, then
//   tries:  for each of a known and an unknown site name, sends IngestAuditEvents
//           with a wrong secret for --seconds (sequentially and with --parallel
//           callers) and prints the answers per second and their gRPC codes;
//   flood:  sends --parallel batches of ~3.9 MB with a wrong secret at once and
//           prints central's RSS before, at its peak and after.
// Usage: node tools/site-link-probe.mjs tries|flood [--seconds 5] [--parallel 20] [--events 1000] [--rounds 3] [--warm] [--site NAME]
// Loopback only; it stops central when done.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import console from 'node:console';
import process from 'node:process';
import { clearInterval, setInterval, setTimeout } from 'node:timers';
import { URL, fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'scadalink.js');
const args = process.argv.slice(2);
const mode = args[0] ?? 'tries';
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(args[i + 1]);
};
const seconds = opt('seconds', 5);
const parallel = opt('parallel', mode === 'flood' ? 20 : 1);
const batchEvents = opt('events', 1_000);

const def = protoLoader.loadSync(join(root, 'proto', 'scadalink', 'v1', 'site_link.proto'), { keepCase: false, longs: Number, enums: String, defaults: true, arrays: true, oneofs: true });
const SiteLink = grpc.loadPackageDefinition(def).scadalink.v1.SiteLink;

const dir = mkdtempSync(join(tmpdir(), 'sl-probe-'));
const added = spawnSync(process.execPath, [bin, 'central', 'site', 'add', '--create', 'plant1', '--data', dir], { encoding: 'utf8' });
if (added.status !== 0) throw new Error(added.stderr);
const central = spawn(process.execPath, ['--no-node-snapshot', bin, 'central', '--data', dir, '--port', '0', '--grpc-port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const grpcPort = await new Promise((resolve, reject) => {
  let buf = '';
  central.stdout.on('data', (c) => {
    buf += c.toString();
    const m = /"grpcPort":(\d+)/.exec(buf);
    if (m) resolve(Number(m[1]));
  });
  central.once('exit', () => reject(new Error('central exited')));
});
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${central.pid}/status`, 'utf8'))[1]) / 1024;

function call(client, site, request) {
  const md = new grpc.Metadata();
  md.set('x-scadalink-site', site);
  md.set('x-scadalink-secret', 'wrong-secret');
  return new Promise((resolve) => {
    client.IngestAuditEvents(request, md, { deadline: Date.now() + 60_000 }, (err) => resolve(err ? grpc.status[err.code] : 'OK'));
  });
}

try {
  if (mode === 'tries') {
    // --site NAME measures one name only (run once per name for a central that has seen no other failures).
    const only = args.indexOf('--site');
    for (const site of only === -1 ? ['plant1', 'no-such-site'] : [args[only + 1]]) {
      const client = new SiteLink(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
      const codes = {};
      const end = Date.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          while (Date.now() < end) {
            const code = await call(client, site, { site, events: [] });
            codes[code] = (codes[code] ?? 0) + 1;
          }
        }),
      );
      const total = Object.values(codes).reduce((a, b) => a + b, 0);
      console.log(JSON.stringify({ site, parallel, seconds, triesPerSecond: Math.round((total / seconds) * 10) / 10, codes }));
      client.close();
    }
  } else {
    const big = 'x'.repeat(3_900);
    const events = Array.from({ length: batchEvents }, (_, i) => ({ eventId: `e${i}`, kind: 'ApiCall', status: 'Delivered', channel: 'ApiCall', target: big, occurredAtUtc: new Date().toISOString() }));
    const full = { site: 'plant1', events };
    await new Promise((r) => setTimeout(r, 1_000));
    const start = rssMb();
    // --warm: a first round of empty batches, so the figures of the rounds after it show what the bodies cost.
    const warm = args.includes('--warm');
    for (let round = warm ? 0 : 1; round <= opt('rounds', 3); round++) {
      const request = round === 0 ? { site: 'plant1', events: [] } : full;
      const before = rssMb();
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 20);
      const clients = Array.from({ length: parallel }, () => new SiteLink(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1 }));
      const t0 = Date.now();
      const codes = await Promise.all(clients.map((c) => call(c, 'plant1', request)));
      const ms = Date.now() - t0;
      await new Promise((r) => setTimeout(r, 1_000));
      clearInterval(sampler);
      console.log(JSON.stringify({ round, parallel, batchMb: round === 0 ? 0 : Math.round((batchEvents * 3_950) / 1e5) / 10, rssStartMb: Math.round(start), rssBeforeMb: Math.round(before), rssPeakMb: Math.round(peak), growthMb: Math.round(peak - before), rssAfterMb: Math.round(rssMb()), answeredInMs: ms, codes: [...new Set(codes)] }));
      for (const c of clients) c.close();
    }
  }
} finally {
  central.kill('SIGTERM');
  await new Promise((r) => central.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
