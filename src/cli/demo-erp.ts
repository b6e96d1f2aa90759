// The small external system `scadalink dev` starts for the demo project: an
// ERP on loopback that takes readings but fails some of them, on a schedule
// fixed from its start so that every kind of outcome shows up within minutes:
// - an outage: from `outageAfterMs` after the start, for `outageMs`, and again
//   every `outageEveryMs`, every call gets a 503. With the demo's retry
//   settings (3 retries 20 s apart) the readings of the outage's first minute
//   run out of retries and are parked; a retry after the outage delivers them;
// - between outages, every `transientEvery`-th call gets a 503, but never two
//   attempts in a row of one operation (its Idempotency-Key): its next attempt
//   is delivered.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoErpSchedule {
  readonly outageAfterMs: number;
  readonly outageMs: number;
  readonly outageEveryMs: number;
  readonly transientEvery: number;
}

export const DEMO_ERP_SCHEDULE: DemoErpSchedule = { outageAfterMs: 30_000, outageMs: 120_000, outageEveryMs: 300_000, transientEvery: 4 };

export interface DemoErp {
  readonly url: string;
  readonly counts: { ok: number; failed: number };
  close(): Promise<void>;
}

export interface DemoErpOptions {
  readonly schedule?: DemoErpSchedule;
  /** Told when an outage starts (`down`) and ends (`up`), with the time of the change that follows. */
  readonly onOutage?: (state: 'down' | 'up', until: Date) => void;
}

/** Whether `elapsedMs` after the start falls in an outage. */
export function inOutage(schedule: DemoErpSchedule, elapsedMs: number): boolean {
  if (elapsedMs < schedule.outageAfterMs) return false;
  return (elapsedMs - schedule.outageAfterMs) % schedule.outageEveryMs < schedule.outageMs;
}

export async function startDemoErp(host: string, port: number, options: DemoErpOptions = {}): Promise<DemoErp> {
  const schedule = options.schedule ?? DEMO_ERP_SCHEDULE;
  let started = Date.now();
  const counts = { ok: 0, failed: 0 };
  /** Keys whose last attempt got a transient 503: their next one is accepted. */
  const refusedOnce = new Set<string>();
  let calls = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      calls++;
      let fail = inOutage(schedule, Date.now() - started);
      if (!fail && calls % schedule.transientEvery === 0 && !refusedOnce.has(key)) {
        fail = true;
        if (key !== '') refusedOnce.add(key);
      } else if (!fail) {
        refusedOnce.delete(key);
      }
      if (fail) counts.failed++;
      else counts.ok++;
      res.writeHead(fail ? 503 : 201, { 'content-type': 'application/json' });
      res.end(JSON.stringify(fail ? { error: 'ERP busy, try later' } : { accepted: true, key: key === '' ? null : key }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  // The schedule counts from the moment the ERP listens.
  started = Date.now();
  const timers = options.onOutage === undefined ? [] : outageTimers(schedule, options.onOutage);
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}/api`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
      }),
  };
}

/** Calls `onOutage` at every start and end of an outage. */
function outageTimers(schedule: DemoErpSchedule, onOutage: NonNullable<DemoErpOptions['onOutage']>): NodeJS.Timeout[] {
  const timers: NodeJS.Timeout[] = [];
  const at = (offsetMs: number, state: 'down' | 'up', nextMs: number): void => {
    const first = setTimeout(() => {
      onOutage(state, new Date(Date.now() + nextMs));
      const every = setInterval(() => onOutage(state, new Date(Date.now() + nextMs)), schedule.outageEveryMs);
      every.unref();
      timers.push(every);
    }, offsetMs);
    first.unref();
    timers.push(first);
  };
  at(schedule.outageAfterMs, 'down', schedule.outageMs);
  at(schedule.outageAfterMs + schedule.outageMs, 'up', schedule.outageEveryMs - schedule.outageMs);
  return timers;
}
