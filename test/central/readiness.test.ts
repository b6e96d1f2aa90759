// Issue 8, point 8: central's readiness checks its database and whether its
// site link accepts connections (real loopback sockets), and caches the answer.
import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import { centralReadiness } from '../../src/central/readiness.js';
import { closedPort } from '../support/net.js';

it('issue 8 readiness is false with a "site link" reason when nothing listens on the link port, true when something does', async () => {
  const port = await closedPort();
  const refused = centralReadiness({ database: async () => undefined, link: () => ({ host: '127.0.0.1', port }) });
  const r = await refused();
  expect(r.ready).toBe(false);
  expect(r.reasons).toEqual([expect.stringMatching(/^site link: /)]);

  const server = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const listening = centralReadiness({ database: async () => undefined, link: () => ({ host: '0.0.0.0', port: (server.address() as { port: number }).port }) });
    expect(await listening()).toEqual({ ready: true, reasons: [] });
    const stopped = centralReadiness({ database: async () => undefined, link: () => undefined });
    expect((await stopped()).reasons).toEqual(['site link: not listening']);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

it('issue 8 readiness names a database that does not answer, and asks it at most once per second', async () => {
  let asked = 0;
  const server = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const ready = centralReadiness({
      database: async () => {
        asked++;
        throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      },
      link: () => ({ host: '127.0.0.1', port: (server.address() as { port: number }).port }),
    });
    const answers = await Promise.all([ready(), ready(), ready()]);
    expect(answers[0]).toEqual({ ready: false, reasons: ['database: connect ECONNREFUSED 127.0.0.1:5432'] });
    expect(asked).toBe(1);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
