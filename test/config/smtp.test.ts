// SMTP settings and notification lists in the project file (notification issue, point 1).
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/index.js';
import { issuesOf, writeProject } from './helpers.js';

const base = 'sites: { plant1: {} }\nnotificationLists:\n  operators: [a@plant.example, b@plant.example]\n';

describe('smtp settings', () => {
  it('fills the defaults: StartTLS on 587, no auth, 30 s timeout, 5 connections, the retry defaults', () => {
    const p = loadProject(writeProject(`${base}smtp:\n  host: 127.0.0.1\n  fromAddress: plant1@plant.example\n`));
    expect(p.smtp).toEqual({
      host: '127.0.0.1',
      port: 587,
      tls: 'StartTLS',
      auth: { type: 'None' },
      fromAddress: 'plant1@plant.example',
      caFile: undefined,
      connectionTimeoutMs: 30_000,
      maxConnections: 5,
      retry: { maxRetries: 10, retryIntervalMs: 60_000 },
    });
    expect(p.notificationLists.operators).toEqual(['a@plant.example', 'b@plant.example']);
  });

  it('takes the port from the TLS mode, in any letter case, and Basic auth', () => {
    const p = loadProject(
      writeProject(`${base}smtp:\n  host: mail\n  tls: ssl\n  fromAddress: x@y.z\n  auth: { type: basic, username: u, password: p }\n  maxRetries: 3\n  retryInterval: 5s\n`),
    );
    expect(p.smtp).toMatchObject({ port: 465, tls: 'SSL', auth: { type: 'Basic', username: 'u', password: 'p' }, retry: { maxRetries: 3, retryIntervalMs: 5000 } });
  });

  it("OAuth2 defaults to Microsoft 365's token endpoint for the tenant and the Exchange Online scope", () => {
    const p = loadProject(
      writeProject(
        `${base}smtp:\n  host: smtp.office365.com\n  fromAddress: x@y.z\n  auth:\n    type: OAuth2\n    tenantId: contoso\n    clientId: app\n    clientSecret: \${SMTP_SECRET}\n`,
      ),
      { SMTP_SECRET: 's3cret' },
    );
    expect(p.smtp?.auth).toEqual({
      type: 'OAuth2',
      tenantId: 'contoso',
      clientId: 'app',
      clientSecret: 's3cret',
      tokenEndpoint: 'https://login.microsoftonline.com/contoso/oauth2/v2.0/token',
      scope: 'https://outlook.office365.com/.default',
    });
  });

  it('names the path of each bad field, and never echoes the secret', () => {
    const issues = issuesOf(() =>
      loadProject(
        writeProject(
          `${base}smtp:\n  host: mail\n  tls: tls13\n  fromAddress: nobody\n  maxConnections: 0\n  auth: { type: OAuth2, tenantId: t, clientId: c, clientSecret: "\${SMTP_SECRET}", tokenEndpoint: "ftp://x" }\n`,
        ),
        { SMTP_SECRET: 'do-not-echo' },
      ),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        'smtp.tls: must be one of None, StartTLS, SSL',
        'smtp.fromAddress: invalid e-mail address',
        expect.stringMatching(/^smtp\.maxConnections: /),
        'smtp.auth.tokenEndpoint: must be an http:// or https:// URL',
      ]),
    );
    expect(issues.join('\n')).not.toContain('do-not-echo');
  });

  it('refuses a notification list with no recipients or a bad address', () => {
    const issues = issuesOf(() => loadProject(writeProject('sites: { plant1: {} }\nnotificationLists:\n  empty: []\n  bad: [not-an-address]\n')));
    expect(issues).toEqual(expect.arrayContaining([expect.stringMatching(/^notificationLists\.empty: /), 'notificationLists.bad[0]: invalid e-mail address']));
  });
});
