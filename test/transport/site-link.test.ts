// The site link over real gRPC on loopback (central issue, point 2): a real
// central database behind the server, a real client, credentials checked
// against the stored scrypt hash, TLS with a self-signed certificate made by
// openssl, and a central that goes away and comes back.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret, newTrackedOperationId } from '../../src/commons/index.js';
import { SqliteCentralRepository, siteSecrets } from '../../src/central/index.js';
import { SiteLinkClient, SiteLinkServer, type SiteSession } from '../../src/transport/index.js';
import { SECRET_HEADER, SITE_HEADER, siteLinkPackage } from '../../src/transport/proto.js';
import { auditEventMsg } from '../../src/transport/convert.js';
import { failTwiceThenDeliver } from '../central/db/events.js';
import { tempDir } from '../support/index.js';

const logger = pino({ level: 'silent' });
const SITE = 'plant-a';
const SECRET = 'plant-a-secret-1234';

describe('site link (gRPC)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let repo: SqliteCentralRepository;
  let server: SiteLinkServer;
  let port: number;
  const clients: SiteLinkClient[] = [];

  function startServer(tls?: { cert: Buffer; key: Buffer }, atPort = 0): Promise<number> {
    server = new SiteLinkServer({
      logger,
      tls,
      secrets: siteSecrets(repo),
      ingest: (site, events) => repo.ingest(site, events),
      commandTimeoutMs: 2_000,
    });
    return server.listen('127.0.0.1', atPort);
  }

  function client(overrides: Partial<ConstructorParameters<typeof SiteLinkClient>[0]> = {}): SiteLinkClient {
    const c = new SiteLinkClient({
      address: `127.0.0.1:${port}`,
      site: SITE,
      secret: SECRET,
      node: `${SITE}@test`,
      version: '0.1.0',
      logger,
      minBackoffMs: 20,
      maxBackoffMs: 100,
      onCommand: (cmd) =>
        Promise.resolve(
          cmd.retryParked ? { ok: true } : { ok: false, errorCode: 'UNKNOWN_COMMAND', errorMessage: 'not handled here' },
        ),
      ...overrides,
    });
    clients.push(c);
    return c;
  }

  /** The next site session to open on the current server. */
  const nextSession = async (): Promise<SiteSession> => ((await once(server.events, 'session')) as [SiteSession])[0];

  beforeEach(async () => {
    tmp = tempDir();
    repo = new SqliteCentralRepository(join(tmp.dir, 'central.db'));
    await repo.putSite(SITE, await hashSecret(SECRET));
    port = await startServer();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop();
    await server.close();
    await repo.close();
    tmp.cleanup();
  });

  it('IngestCachedTelemetry stores the batch under the authenticated site and answers the accepted ids', async () => {
    const id = newTrackedOperationId();
    const events = failTwiceThenDeliver(id);
    const answer = await client().ingestCachedTelemetry(events);
    expect(answer).toEqual({ accepted: events.map((e) => e.eventId), rejected: [] });
    expect(await repo.siteCall(id)).toMatchObject({ status: 'Delivered', sourceSite: SITE, version: 5 });
    expect((await repo.auditOf(id)).map((a) => a.status)).toEqual(['Submitted', 'Forwarded', 'Attempted', 'Attempted', 'Delivered']);
  });

  it('G4: the same packet delivered twice leaves exactly 1 row per event in AuditLog and 1 SiteCalls row', async () => {
    const id = newTrackedOperationId();
    const events = failTwiceThenDeliver(id);
    const c = client();
    await c.ingestCachedTelemetry(events);
    const again = await c.ingestCachedTelemetry(events);
    expect(again.accepted).toEqual(events.map((e) => e.eventId));
    expect(await repo.auditOf(id)).toHaveLength(5);
    const rows = repo.db.prepare('SELECT COUNT(*) AS n FROM SiteCalls WHERE TrackedOperationId = ?').get(id) as { n: number };
    expect(rows.n).toBe(1);
  });

  it('answers a rejected event with its reason', async () => {
    const [good] = failTwiceThenDeliver();
    const bad = { ...good!, eventId: newTrackedOperationId(), kind: 'Nonsense' } as unknown as typeof good;
    const answer = await client().ingestCachedTelemetry([good!, bad!]);
    expect(answer.accepted).toEqual([good!.eventId]);
    expect(answer.rejected).toEqual([{ eventId: bad!.eventId, reason: 'kind: unknown kind "Nonsense"' }]);
  });

  it('refuses a wrong secret (UNAUTHENTICATED) and stores nothing', async () => {
    const id = newTrackedOperationId();
    const err = await client({ secret: 'wrong' }).ingestCachedTelemetry(failTwiceThenDeliver(id)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CENTRAL_UNAVAILABLE', details: { grpcCode: grpc.status.UNAUTHENTICATED } });
    expect(await repo.siteCall(id)).toBeUndefined();
  });

  it('refuses a batch that claims another site (PERMISSION_DENIED)', async () => {
    const Ctor = siteLinkPackage().scadalink.v1.SiteLink;
    const raw = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set(SITE_HEADER, SITE);
    md.set(SECRET_HEADER, SECRET);
    const id = newTrackedOperationId();
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      raw.IngestCachedTelemetry({ site: 'plant-b', events: failTwiceThenDeliver(id).map(auditEventMsg) }, md, (e) => resolve(e)),
    );
    raw.close();
    expect(err?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(await repo.siteCall(id)).toBeUndefined();
  });

  it('relays a command on the site stream and returns the correlated reply', async () => {
    client().start();
    const session = await nextSession();
    expect(session).toMatchObject({ site: SITE, node: `${SITE}@test`, version: '0.1.0' });
    const id = newTrackedOperationId();
    expect(await server.command(SITE, { retryParked: { trackedOperationId: id, operator: 'ops' } })).toMatchObject({ ok: true });
    expect(await server.command(SITE, { discardParked: { trackedOperationId: id, operator: 'ops' } })).toMatchObject({
      ok: false,
      errorCode: 'UNKNOWN_COMMAND',
    });
  });

  it('fails a command to a site that is not connected at once with SITE_UNREACHABLE', async () => {
    await expect(server.command('plant-z', { retryParked: { trackedOperationId: newTrackedOperationId(), operator: 'ops' } })).rejects.toMatchObject({
      code: 'SITE_UNREACHABLE',
    });
  });

  it('issue 11 point 5: a connected site that does not answer in time fails the command with SITE_TIMEOUT, not SITE_UNREACHABLE', async () => {
    // The site holds the command without answering until the test ends.
    let answer: (() => void) | undefined;
    client({ onCommand: () => new Promise((resolve) => (answer = () => resolve({ ok: true }))) }).start();
    await nextSession();
    const t0 = performance.now();
    await expect(server.command(SITE, { retryParked: { trackedOperationId: newTrackedOperationId(), operator: 'ops' } }, 150)).rejects.toMatchObject({
      code: 'SITE_TIMEOUT',
      message: `site ${SITE} did not answer within 150 ms`,
    });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(145);
    answer?.();
  });

  it('a site with a wrong secret never gets a session', async () => {
    const c = client({ secret: 'wrong' });
    c.start();
    const [why] = (await once(c.events, 'disconnected')) as [string];
    expect(why).toMatch(/unknown site or wrong secret/);
    expect(server.session(SITE)).toBeUndefined();
  });

  it('reconnects with backoff after central restarts, and commands work again', async () => {
    const c = client();
    c.start();
    await nextSession();
    await server.close();
    await once(c.events, 'disconnected');
    expect(server.session(SITE)).toBeUndefined();
    await startServer(undefined, port);
    const again = await nextSession();
    expect(again.site).toBe(SITE);
    expect(await server.command(SITE, { retryParked: { trackedOperationId: newTrackedOperationId(), operator: 'ops' } })).toMatchObject({ ok: true });
  });

  it('speaks TLS with a self-signed certificate the site trusts, and refuses a site that does not trust it', async () => {
    await server.close();
    const dir = tmp.dir;
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'));
    port = await startServer({ cert, key: readFileSync(join(dir, 'key.pem')) });
    const id = newTrackedOperationId();
    const trusted = await client({ tls: { ca: cert } }).ingestCachedTelemetry(failTwiceThenDeliver(id));
    expect(trusted.accepted).toHaveLength(5);
    const err = await client({ tls: {}, callTimeoutMs: 2_000 }).ingestCachedTelemetry(failTwiceThenDeliver()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CENTRAL_UNAVAILABLE' });
    const plain = await client({ callTimeoutMs: 2_000 }).ingestCachedTelemetry(failTwiceThenDeliver()).catch((e: unknown) => e);
    expect(plain).toMatchObject({ code: 'CENTRAL_UNAVAILABLE' });
  });
});
