// Issue 8, points 5 and 6, on an in-process central site link with a real
// SQLite database and raw gRPC clients built from proto/: one registered
// session per site, rotation taking effect at once, failed authentications
// costing the same for known and unknown sites, and big bodies refused.
import { once } from 'node:events';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret, newTrackedOperationId } from '../../src/commons/index.js';
import { SqliteCentralRepository, siteSecrets } from '../../src/central/index.js';
import { MAX_SITE_MESSAGE_BYTES, SiteLinkServer, type SiteSession } from '../../src/transport/index.js';
import { tempDir } from '../support/index.js';
import { RawSite, ingest } from './raw-site.js';

const logger = pino({ level: 'silent' });
const SITE = 'plant1';
const SECRET = 'plant1-secret-0123456789';

describe('issue 8: site link sessions and credentials', () => {
  let tmp: ReturnType<typeof tempDir>;
  let repo: SqliteCentralRepository;
  let server: SiteLinkServer;
  let address: string;
  const raws: RawSite[] = [];

  const raw = (node: string, secret = SECRET): RawSite => {
    const r = new RawSite(address, SITE, secret, node);
    raws.push(r);
    return r;
  };
  const nextSession = async (): Promise<SiteSession> => ((await once(server.events, 'session')) as [SiteSession])[0];
  const retry = () => server.command(SITE, { retryParked: { trackedOperationId: newTrackedOperationId(), operator: 'ops' } });

  beforeEach(async () => {
    tmp = tempDir();
    repo = new SqliteCentralRepository(join(tmp.dir, 'central.db'));
    await repo.putSite(SITE, await hashSecret(SECRET));
    server = new SiteLinkServer({ logger, secrets: siteSecrets(repo), ingest: (site, events) => repo.ingest(site, events), commandTimeoutMs: 2_000 });
    address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
  });
  afterEach(async () => {
    for (const r of raws.splice(0)) r.close();
    await server.close();
    await repo.close();
    tmp.cleanup();
  });

  it('issue 8 point 5: a newer Hello takes the site; the older stream ends ABORTED naming the new node, and commands go to the newer only', async () => {
    const first = raw('node-a');
    await nextSession();
    expect(server.session(SITE)?.node).toBe('node-a');
    const second = raw('node-b');
    await nextSession();
    expect(await first.ended).toEqual({ code: grpc.status.ABORTED, details: `replaced by a newer connection of site ${SITE} from node node-b` });
    expect(server.session(SITE)?.node).toBe('node-b');
    expect(server.sites()).toEqual([SITE]);
    expect(await retry()).toMatchObject({ ok: false, errorMessage: 'answered by node-b' });
    expect(first.commands).toHaveLength(0);
    expect(second.commands).toHaveLength(1);
  });

  it('issue 8 point 5: a replaced stream that closes later does not unlist the session that replaced it', async () => {
    const first = raw('node-a');
    await nextSession();
    raw('node-b');
    await nextSession();
    await first.ended;
    first.close();
    // The old stream's cancellation reaches central after its replacement; give it a command round trip to land.
    expect(await retry()).toMatchObject({ errorMessage: 'answered by node-b' });
    expect(server.session(SITE)?.node).toBe('node-b');
  });

  it('issue 8 point 5: a second Hello on one stream ends that stream (INVALID_ARGUMENT) and leaves no session to command', async () => {
    const only = raw('node-a');
    await nextSession();
    only.hello(SITE);
    expect(await only.ended).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    expect(server.session(SITE)).toBeUndefined();
    await expect(retry()).rejects.toMatchObject({ code: 'SITE_UNREACHABLE' });
  });

  it('issue 8 point 6: after a rotation the old secret is refused on the next call and its open stream ends UNAUTHENTICATED within 1 s', async () => {
    const stale = raw('node-a');
    await nextSession();
    expect(await ingest(address, SITE, SECRET)).toBeNull();
    const rotated = Date.now();
    await repo.putSite(SITE, await hashSecret('the-new-secret-0123456789'));
    expect(await ingest(address, SITE, SECRET)).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    expect(await stale.ended).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    expect(Date.now() - rotated).toBeLessThan(1_000);
    expect(server.session(SITE)).toBeUndefined();
    expect(await ingest(address, SITE, 'the-new-secret-0123456789')).toBeNull();
  });

  it('issue 8 point 6: a wrong secret costs an unknown site name as much as a known one (scrypt against a dummy hash)', async () => {
    // Each name on a fresh server, so neither inherits the other's failures.
    const firstTry = async (site: string): Promise<number> => {
      const t0 = performance.now();
      expect(await ingest(address, site, 'wrong-secret')).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      return performance.now() - t0;
    };
    const known = await firstTry(SITE);
    await server.close();
    server = new SiteLinkServer({ logger, secrets: siteSecrets(repo), ingest: (site, events) => repo.ingest(site, events) });
    address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
    await firstTry('warm-up-name'); // makes the dummy hash once, outside the measurement
    await server.close();
    server = new SiteLinkServer({ logger, secrets: siteSecrets(repo), ingest: (site, events) => repo.ingest(site, events) });
    address = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
    const unknown = await firstTry('no-such-site');
    expect(unknown).toBeGreaterThan(known * 0.5);
  });

  it('issue 8 point 6: a burst of 20 wrong secrets is serialised from its first attempt: it takes seconds, some are refused unchecked, and a secret already verified is not slowed', async () => {
    expect(await ingest(address, SITE, SECRET)).toBeNull();
    const t0 = Date.now();
    const codes = await Promise.all(Array.from({ length: 20 }, () => ingest(address, 'no-such-site', 'wrong').then((e) => e?.code)));
    expect(Date.now() - t0).toBeGreaterThan(2_000);
    const checked = codes.filter((c) => c === grpc.status.UNAUTHENTICATED).length;
    const refused = codes.filter((c) => c === grpc.status.RESOURCE_EXHAUSTED).length;
    expect(checked + refused).toBe(20);
    expect(refused).toBeGreaterThan(0);
    // A secret central has already verified against the stored hash is not slowed.
    const t1 = Date.now();
    expect(await ingest(address, SITE, SECRET)).toBeNull();
    expect(Date.now() - t1).toBeLessThan(1_000);
  }, 30_000);

  it(`issue 8 point 6: a message over ${MAX_SITE_MESSAGE_BYTES} bytes is refused RESOURCE_EXHAUSTED and never reaches ingest`, async () => {
    const big = 'x'.repeat(4_000);
    const events = Array.from({ length: 1_100 }, (_, i) => ({ eventId: `e${i}`, kind: 'ApiCall', status: 'Delivered', channel: 'ApiCall', target: big, occurredAtUtc: new Date().toISOString() }));
    const err = await ingest(address, SITE, SECRET, { site: SITE, events });
    expect(err).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
    const n = repo.db.prepare('SELECT COUNT(*) AS n FROM AuditLog').get() as { n: number };
    expect(n.n).toBe(0);
  });
});
