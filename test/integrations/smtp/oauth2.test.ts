// Seed WP-10 / CD-NS-6: OAuth2 client credentials against a real token
// endpoint and a real SMTP server speaking XOAUTH2: fetch, cache, refresh
// before expiry, and one retry with a fresh token when the server refuses one.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../../src/commons/index.js';
import {
  OAuth2TokenProvider,
  SmtpErrorCode,
  SmtpNotifier,
} from '../../../src/integrations/index.js';
import { MICROSOFT_365_SMTP_SCOPE, type SmtpConfig } from '../../../src/config/index.js';
import { closedPort } from '../../support/net.js';
import { FROM, basicSettings, expectNoSecret, message, selfSignedCert, sendFailure, type SelfSigned } from './fixtures.js';
import { startSmtpServer, type TestSmtpServer } from './server.js';
import { CLIENT, startTokenServer, type TokenServer } from './token-server.js';

const SCOPE = MICROSOFT_365_SMTP_SCOPE;

let tokens: TokenServer;
let cert: SelfSigned;
let now: number;
const clock = (): number => now;

beforeAll(async () => {
  cert = selfSignedCert();
  tokens = await startTokenServer();
});

afterAll(async () => {
  await tokens.close();
  cert.cleanup();
});

beforeEach(() => {
  now = 1_700_000_000_000;
  tokens.requests.length = 0;
  tokens.setExpiresIn(3600);
  tokens.failWith(undefined);
});

function provider(endpoint = tokens.url): OAuth2TokenProvider {
  return new OAuth2TokenProvider({ ...CLIENT, tokenEndpoint: endpoint, scope: SCOPE }, { now: clock });
}

async function tokenFailure(p: OAuth2TokenProvider): Promise<DeliveryError> {
  const err: unknown = await p.getToken().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  return err as DeliveryError;
}

describe('OAuth2TokenProvider', () => {
  it('posts the client-credentials form and caches the token until 60 s before it expires', async () => {
    const p = provider();

    const first = await p.getToken();
    expect(await p.getToken()).toBe(first);
    expect(tokens.requests).toHaveLength(1);
    expect(tokens.requests[0]).toEqual({
      path: `/${CLIENT.tenantId}/oauth2/v2.0/token`,
      contentType: 'application/x-www-form-urlencoded',
      form: { grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, scope: SCOPE },
    });

    now += 3_540_000 - 1;
    expect(await p.getToken()).toBe(first);
    now += 1;
    const second = await p.getToken();
    expect(second).not.toBe(first);
    expect(tokens.requests).toHaveLength(2);
  });

  it('caches a token shorter-lived than twice the margin for half its life', async () => {
    tokens.setExpiresIn(10);
    const p = provider();
    const first = await p.getToken();
    now += 4_999;
    expect(await p.getToken()).toBe(first);
    now += 1;
    expect(await p.getToken()).not.toBe(first);
  });

  it('shares one request among concurrent callers, and invalidate() forces a new one', async () => {
    const p = provider();
    const all = await Promise.all(Array.from({ length: 5 }, () => p.getToken()));
    expect(new Set(all).size).toBe(1);
    expect(tokens.requests).toHaveLength(1);

    p.invalidate();
    expect(await p.getToken()).not.toBe(all[0]);
    expect(tokens.requests).toHaveLength(2);
  });

  it('classifies endpoint failures and never carries the client secret', async () => {
    tokens.failWith(401, { error: 'invalid_client', error_description: `AADSTS7000215: Invalid client secret provided: ${CLIENT.clientSecret}` });
    const denied = await tokenFailure(provider());
    expect([denied.code, denied.classification, denied.httpStatus]).toEqual([SmtpErrorCode.OAuth2Token, 'permanent', 401]);
    expect(denied.message).toContain('invalid_client');
    expectNoSecret(denied, [CLIENT.clientSecret, encodeURIComponent(CLIENT.clientSecret)]);

    tokens.failWith(503, { error: 'temporarily_unavailable' });
    const down = await tokenFailure(provider());
    expect([down.classification, down.httpStatus]).toEqual(['transient', 503]);

    tokens.failWith(200, { token_type: 'Bearer' });
    expect((await tokenFailure(provider())).classification).toBe('transient');

    const refused = await tokenFailure(provider(`http://127.0.0.1:${await closedPort()}/t/oauth2/v2.0/token`));
    expect(refused.classification).toBe('transient');
    expect(refused.message).toContain('ECONNREFUSED');
    expectNoSecret(refused, [CLIENT.clientSecret]);
  });
});

describe('SmtpNotifier with OAuth2 (XOAUTH2)', () => {
  let server: TestSmtpServer;
  const revoked = new Set<string>();
  const notifiers: SmtpNotifier[] = [];

  beforeEach(async () => {
    revoked.clear();
    server = await startSmtpServer({
      cert,
      authMethods: ['XOAUTH2'],
      auth: (a) => (a.accessToken !== undefined && tokens.issued.includes(a.accessToken) && !revoked.has(a.accessToken) ? true : 535),
    });
  });

  afterEach(async () => {
    await Promise.all(notifiers.splice(0).map((n) => n.close()));
    await server.close();
  });

  function settings(): SmtpConfig {
    return basicSettings(server.port, {
      tls: 'StartTLS',
      caFile: cert.file,
      auth: { type: 'OAuth2', ...CLIENT, tokenEndpoint: tokens.url, scope: SCOPE },
    });
  }

  function notifier(p?: OAuth2TokenProvider): SmtpNotifier {
    const n = new SmtpNotifier(settings(), p === undefined ? {} : { tokenProvider: p });
    notifiers.push(n);
    return n;
  }

  it('authenticates as the from address with a fetched token (the default provider, the project scope)', async () => {
    await notifier().send(message());

    expect(tokens.requests.map((r) => r.form['scope'])).toEqual([SCOPE]);
    const token = tokens.issued.at(-1);
    expect(server.auths).toEqual([{ method: 'XOAUTH2', username: FROM, password: undefined, accessToken: token, secure: true, accepted: true }]);
    expect(server.mails.map((m) => m.user)).toEqual([FROM]);
  });

  it('caches the token across connections and refreshes it once expired', async () => {
    const p = provider();
    const a = notifier(p);
    await a.send(message(1));
    await a.send(message(2));
    await a.close();
    // A new connection (another notifier sharing the provider) still uses the cached token.
    await notifier(p).send(message(3));
    expect(tokens.requests).toHaveLength(1);
    const [first] = tokens.issued.slice(-1);
    expect(server.auths.map((x) => x.accessToken)).toEqual([first, first]);

    now += 3_600_000;
    await notifier(p).send(message(4));

    expect(tokens.requests).toHaveLength(2);
    const fresh = tokens.issued.at(-1);
    expect(fresh).not.toBe(first);
    expect(server.auths.map((x) => [x.accessToken, x.accepted])).toEqual([[first, true], [first, true], [fresh, true]]);
    expect(server.mails).toHaveLength(4);
  });

  it('a cached token the server refuses with 535 is invalidated and the send retried once with a fresh one', async () => {
    const p = provider();
    const a = notifier(p);
    await a.send(message(1));
    await a.close();
    const stale = tokens.issued.at(-1)!;
    revoked.add(stale);

    await notifier(p).send(message(2));

    const fresh = tokens.issued.at(-1);
    expect(fresh).not.toBe(stale);
    expect(tokens.requests).toHaveLength(2);
    expect(server.auths.map((x) => [x.accessToken, x.accepted])).toEqual([[stale, true], [stale, false], [fresh, true]]);
    expect(server.mails).toHaveLength(2);
  });

  it('a token refused again after the one retry is a permanent SMTP_AUTH that names no secret', async () => {
    server.setAuth(() => 535);

    const err = await sendFailure(notifier(provider()));

    expect([err.code, err.classification]).toEqual([SmtpErrorCode.Auth, 'permanent']);
    expect(err.details).toMatchObject({ smtpCode: 535, host: '127.0.0.1', port: server.port });
    expect(server.auths).toHaveLength(2);
    expect(tokens.requests).toHaveLength(2);
    expectNoSecret(err, [CLIENT.clientSecret, ...tokens.issued.slice(-2)]);
  });

  it('a failing token endpoint surfaces its own classification and sends no AUTH', async () => {
    tokens.failWith(401, { error: 'invalid_client', error_description: `bad secret ${CLIENT.clientSecret}` });
    const denied = await sendFailure(notifier());
    expect([denied.code, denied.classification]).toEqual([SmtpErrorCode.OAuth2Token, 'permanent']);
    expectNoSecret(denied, [CLIENT.clientSecret]);

    tokens.failWith(503, { error: 'temporarily_unavailable' });
    const down = await sendFailure(notifier());
    expect([down.code, down.classification]).toEqual([SmtpErrorCode.OAuth2Token, 'transient']);

    expect(server.auths).toHaveLength(0);
    expect(server.mails).toHaveLength(0);
  });
});
