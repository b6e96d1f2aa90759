// Issue 9, point 3: the site's link tells the truth. A refused site (wrong
// secret, a certificate that does not name the address dialled) logs every
// failure at warn with its reason, rate-limited per reason with a count of the
// lines left out, never calls its link open, and reports `refused` with the
// last error; an accepted site reports `connected` and its last contact.
// Real gRPC on loopback, a real central database, openssl certificates.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/commons/index.js';
import { SqliteCentralRepository, siteSecrets } from '../../src/central/index.js';
import { SiteLinkClient, SiteLinkServer } from '../../src/transport/index.js';
import { linkErrorCode } from '../../src/transport/link-status.js';
import { tempDir } from '../support/index.js';

const SITE = 'plant-a';
const SECRET = 'plant-a-secret-1234';
const quiet = pino({ level: 'silent' });

interface Line {
  level: number;
  msg: string;
  code?: string;
  reason?: string;
  suppressed?: number;
}

const until = async (check: () => boolean, what: string, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('issue 9 point 3: truthful link status', () => {
  let tmp: ReturnType<typeof tempDir>;
  let repo: SqliteCentralRepository;
  let server: SiteLinkServer;
  let port: number;
  let lines: Line[];
  const clients: SiteLinkClient[] = [];

  const startServer = async (tls?: { cert: Buffer; key: Buffer }): Promise<void> => {
    server = new SiteLinkServer({ logger: quiet, tls, secrets: siteSecrets(repo), ingest: (site, events) => repo.ingest(site, events), throttle: { baseMs: 1, maxGapMs: 5 } });
    port = await server.listen('127.0.0.1', 0);
  };

  const client = (overrides: Partial<ConstructorParameters<typeof SiteLinkClient>[0]> = {}): SiteLinkClient => {
    const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Line) });
    const c = new SiteLinkClient({
      address: `127.0.0.1:${port}`,
      site: SITE,
      secret: SECRET,
      node: `${SITE}@test`,
      version: '0.1.0',
      logger,
      minBackoffMs: 20,
      maxBackoffMs: 40,
      logEveryMs: 300,
      onCommand: () => Promise.resolve({ ok: true }),
      ...overrides,
    });
    clients.push(c);
    return c;
  };

  const certificate = (name: string, subjectAltName: string): { cert: Buffer; key: Buffer } => {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=central',
      '-addext', `subjectAltName=${subjectAltName}`,
      '-keyout', join(tmp.dir, `${name}-key.pem`), '-out', join(tmp.dir, `${name}-cert.pem`),
    ], { stdio: 'ignore' });
    return { cert: readFileSync(join(tmp.dir, `${name}-cert.pem`)), key: readFileSync(join(tmp.dir, `${name}-key.pem`)) };
  };

  beforeEach(async () => {
    tmp = tempDir();
    lines = [];
    repo = new SqliteCentralRepository(join(tmp.dir, 'central.db'));
    await repo.putSite(SITE, await hashSecret(SECRET));
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop();
    await server.close();
    await repo.close();
    tmp.cleanup();
  });

  it('wrong secret: every failure is a rate-limited warn with its reason, the link is never called open, and the status is refused with the last error', async () => {
    await startServer();
    const c = client({ secret: 'not-the-secret-at-all' });
    let opened = 0;
    c.events.on('connected', () => opened++);
    c.start();
    // Several windows of 300 ms: the first failure is logged at once, later ones once per window with the count left out.
    await until(() => lines.some((l) => (l.suppressed ?? 0) > 0), 'a warn line counting suppressed failures');
    const warns = lines.filter((l) => l.msg === 'central refused the link');
    expect(warns.length).toBeGreaterThanOrEqual(2);
    for (const w of warns) {
      expect(w.level).toBe(40);
      expect(['CREDENTIALS_REFUSED', 'AUTH_THROTTLED']).toContain(w.code);
      expect(w.reason).toBeTruthy();
    }
    expect(warns[0]).toMatchObject({ code: 'CREDENTIALS_REFUSED', reason: 'unknown site or wrong secret' });
    const status = c.status();
    expect(opened).toBe(0);
    expect(c.connected).toBe(false);
    expect(status.state).toBe('refused');
    expect(status.lastError?.code).toMatch(/^(CREDENTIALS_REFUSED|AUTH_THROTTLED)$/);
    expect(status.lastContactUtc).toBeNull();
    expect(status.failures.CREDENTIALS_REFUSED).toBeGreaterThanOrEqual(1);
    // Failures outnumber lines: the rest were counted, not printed.
    const total = Object.values(status.failures).reduce((a, b) => a + (b ?? 0), 0);
    expect(total).toBeGreaterThan(warns.length);
    expect(JSON.stringify(lines)).not.toContain('not-the-secret-at-all');
    expect(JSON.stringify(status)).not.toContain('not-the-secret-at-all');
  });

  it('disabled site: its right secret is refused with SITE_DISABLED, logged at warn, shown as refused, never called open', async () => {
    await repo.setSiteDisabled(SITE, true);
    await startServer();
    const c = client();
    let opened = 0;
    c.events.on('connected', () => opened++);
    c.start();
    await until(() => c.status().lastError !== null, 'the first failure');
    expect(c.status()).toMatchObject({ state: 'refused', lastError: { code: 'SITE_DISABLED' }, lastContactUtc: null });
    expect(lines.find((l) => l.msg === 'central refused the link')).toMatchObject({ level: 40, code: 'SITE_DISABLED' });
    expect(opened).toBe(0);
  });

  it('TLS name mismatch: a certificate naming only a DNS name, dialled at 127.0.0.1, is refused with TLS_NAME_MISMATCH and never called open', async () => {
    const { cert, key } = certificate('dns-only', 'DNS:central.plant.local');
    await startServer({ cert, key });
    const c = client({ tls: { ca: cert } });
    let opened = 0;
    c.events.on('connected', () => opened++);
    c.start();
    await until(() => c.status().lastError !== null, 'the first failure');
    const status = c.status();
    expect(status).toMatchObject({ state: 'refused', lastError: { code: 'TLS_NAME_MISMATCH' }, lastContactUtc: null });
    expect(status.lastError!.message).toMatch(/127\.0\.0\.1/);
    expect(lines.find((l) => l.msg === 'central refused the link')).toMatchObject({ level: 40, code: 'TLS_NAME_MISMATCH' });
    expect(opened).toBe(0);
  });

  it('accepted: the link is connected only once central accepted it, with the last contact set', async () => {
    const { cert, key } = certificate('both', 'DNS:central.plant.local,IP:127.0.0.1');
    await startServer({ cert, key });
    const c = client({ tls: { ca: cert } });
    expect(c.status().state).toBe('connecting');
    const before = Date.now();
    c.start();
    await once(c.events, 'connected');
    const status = c.status();
    expect(status.state).toBe('connected');
    expect(status.lastError).toBeNull();
    expect(Date.parse(status.lastContactUtc!)).toBeGreaterThanOrEqual(before - 1);
    expect(c.connected).toBe(true);
    expect(server.session(SITE)).toBeDefined();
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    // Central goes away: the status says so.
    await server.close();
    await until(() => c.status().state === 'disconnected', 'the disconnected state');
    expect(c.status().lastError?.code).toMatch(/^(CENTRAL_UNREACHABLE|LINK_CLOSED|LINK_FAILED)$/);
  });
});

describe('issue 9 point 3: link failure codes', () => {
  it('a disabled site, a throttled one, an unreachable central and TLS failures each get their own code', () => {
    expect(linkErrorCode(grpc.status.PERMISSION_DENIED, 'SITE_DISABLED: site plant1 is disabled at central')).toBe('SITE_DISABLED');
    expect(linkErrorCode(grpc.status.PERMISSION_DENIED, 'the batch claims site "x"')).toBe('PERMISSION_DENIED');
    expect(linkErrorCode(grpc.status.UNAUTHENTICATED, 'unknown site or wrong secret')).toBe('CREDENTIALS_REFUSED');
    expect(linkErrorCode(grpc.status.RESOURCE_EXHAUSTED, 'too many failed authentications')).toBe('AUTH_THROTTLED');
    expect(linkErrorCode(grpc.status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:7443')).toBe('CENTRAL_UNREACHABLE');
    expect(linkErrorCode(grpc.status.UNAVAILABLE, "Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: ")).toBe('TLS_NAME_MISMATCH');
    expect(linkErrorCode(grpc.status.UNAVAILABLE, 'No connection established. Last error: self-signed certificate')).toBe('TLS_UNTRUSTED');
    expect(linkErrorCode(grpc.status.ABORTED, 'replaced by a newer connection')).toBe('REPLACED');
  });
});
