// The small external system `scadalink dev` starts for the demo project: an
// ERP on loopback that takes readings but fails a share of them, so that
// retried and parked operations show up. About one call in four gets a 503
// (retried later); readings of a flow that rounds to a multiple of 7 always
// get a 503, so those end Parked after their retries.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoErp {
  readonly url: string;
  readonly counts: { ok: number; failed: number };
  close(): Promise<void>;
}

export async function startDemoErp(host: string, port: number, failShare = 0.25): Promise<DemoErp> {
  const counts = { ok: 0, failed: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let flow = Number.NaN;
      try {
        flow = Number((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { flow?: unknown }).flow);
      } catch {
        // not JSON: treated like any other reading
      }
      const fail = (Number.isFinite(flow) && Math.round(flow) % 7 === 0) || Math.random() < failShare;
      if (fail) counts.failed++;
      else counts.ok++;
      res.writeHead(fail ? 503 : 201, { 'content-type': 'application/json' });
      res.end(JSON.stringify(fail ? { error: 'ERP busy, try later' } : { accepted: true, key: req.headers['idempotency-key'] ?? null }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}/api`,
    counts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
