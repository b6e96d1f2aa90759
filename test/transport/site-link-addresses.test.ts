// Issue 11, point 6: a site given several central addresses dials them in
// order, and after a broken stream the next one, round the list; its link
// status names the address it is on. Real gRPC servers on loopback.
import { once } from 'node:events';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/commons/index.js';
import { SqliteCentralRepository, siteSecrets } from '../../src/central/index.js';
import { SiteLinkClient, SiteLinkServer, type SiteSession } from '../../src/transport/index.js';
import { closedPort } from '../support/net.js';
import { tempDir } from '../support/index.js';

const logger = pino({ level: 'silent' });
const SITE = 'plant-a';
const SECRET = 'plant-a-secret-1234';

describe('issue 11 point 6: the site link with several central addresses', () => {
  let tmp: ReturnType<typeof tempDir>;
  let repo: SqliteCentralRepository;
  const servers: SiteLinkServer[] = [];
  let client: SiteLinkClient | undefined;

  const central = async (): Promise<{ server: SiteLinkServer; address: string }> => {
    const server = new SiteLinkServer({ logger, secrets: siteSecrets(repo), ingest: (site, events) => repo.ingest(site, events) });
    servers.push(server);
    return { server, address: `127.0.0.1:${await server.listen('127.0.0.1', 0)}` };
  };
  const dial = (address: string[]): SiteLinkClient =>
    (client = new SiteLinkClient({
      address,
      site: SITE,
      secret: SECRET,
      node: `${SITE}@test`,
      version: '0.1.0',
      logger,
      minBackoffMs: 20,
      maxBackoffMs: 100,
      onCommand: () => Promise.resolve({ ok: true }),
    }));

  beforeEach(async () => {
    tmp = tempDir();
    repo = new SqliteCentralRepository(join(tmp.dir, 'central.db'));
    await repo.putSite(SITE, await hashSecret(SECRET));
  });
  afterEach(async () => {
    await client?.stop();
    for (const s of servers.splice(0)) await s.close();
    await repo.close();
    tmp.cleanup();
  });

  it('issue 11 point 6: an address nobody answers is passed over for the next; a node that dies is left for the next, round the list', async () => {
    const dead = `127.0.0.1:${await closedPort()}`;
    const a = await central();
    const b = await central();
    const link = dial([dead, a.address, b.address]);
    const onA = once(a.server.events, 'session') as Promise<[SiteSession]>;
    const connectedA = once(link.events, 'connected');
    link.start();
    await onA;
    await connectedA;
    expect(link.status()).toMatchObject({ central: a.address, state: 'connected', lastError: { code: 'CENTRAL_UNREACHABLE' } });

    // A stops: the stream breaks and the site moves on to B.
    const onB = once(b.server.events, 'session') as Promise<[SiteSession]>;
    const connectedB = once(link.events, 'connected');
    await a.server.close();
    await onB;
    await connectedB;
    expect(link.status()).toMatchObject({ central: b.address, state: 'connected' });
    // Commands reach the site on B.
    expect(await b.server.command(SITE, { retryParked: { trackedOperationId: '0190f000-0000-7000-8000-00000000abcd', operator: 'op' } })).toMatchObject({ ok: true });
  });

  it('issue 11 point 6: a list of one address dials it as before, and an empty list is refused', async () => {
    const a = await central();
    const link = dial([a.address]);
    const connected = once(link.events, 'connected');
    link.start();
    await connected;
    expect(link.status().central).toBe(a.address);
    expect(() => dial([])).toThrow('at least one central address');
  });
});
