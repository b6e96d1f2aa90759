// Issue 8, point 6, with a real central process: 20 parallel telemetry
// batches of ~3.9 MB with a wrong secret are refused before their bodies are
// buffered (central authenticates on the call's metadata), so central's RSS
// stays about flat; before, such a flood grew it by about 190 MB per round.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/index.js';
import { SiteProcess, runCli } from '../support/process.js';
import { ingest } from '../transport/raw-site.js';

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

describe('issue 8: a flood of big batches with a wrong secret', () => {
  let tmp: ReturnType<typeof tempDir>;
  let central: SiteProcess;

  beforeAll(async () => {
    tmp = tempDir();
    expect(runCli(['central', 'site', 'add', '--create', 'plant1', '--data', tmp.dir]).status).toBe(0);
    central = await SiteProcess.central(['--data', tmp.dir, '--port', '0', '--grpc-port', '0']);
  });
  afterAll(async () => {
    await central.terminate();
    tmp.cleanup();
  });

  it('issue 8 point 6: 20 parallel 3.9 MB batches with a wrong secret are all refused and grow central\'s RSS by less than 80 MB', async () => {
    const address = `127.0.0.1:${central.grpcPort}`;
    const flood = (events: number) => {
      const target = 'x'.repeat(3_900);
      const batch = Array.from({ length: events }, (_, i) => ({ eventId: `e${i}`, kind: 'ApiCall', status: 'Delivered', channel: 'ApiCall', target, occurredAtUtc: new Date().toISOString() }));
      return Promise.all(Array.from({ length: 20 }, () => ingest(address, 'plant1', 'wrong-secret', { site: 'plant1', events: batch })));
    };
    // The same flood with empty batches first: connections, scrypt's memory and the throttle's state are not what is measured.
    await flood(0);
    const pid = central.child.pid!;
    const before = rssMb(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 20);
    const answers = await flood(1_000);
    clearInterval(sampler);
    expect(answers.every((e) => e?.code === grpc.status.UNAUTHENTICATED || e?.code === grpc.status.RESOURCE_EXHAUSTED)).toBe(true);
    console.log(JSON.stringify({ rssBeforeMb: Math.round(before), rssPeakMb: Math.round(peak) }));
    expect(peak - before).toBeLessThan(80);
    expect(central.alive).toBe(true);
  }, 150_000);
});
