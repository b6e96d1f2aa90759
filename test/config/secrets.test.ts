// Issue 8 point 1: which configured values are secrets, and the redactor that
// takes them out of text and errors in every form a request carries them in.
import { describe, expect, it } from 'vitest';
import { DeliveryError, OperationFailedError, createRedactor } from '../../src/commons/index.js';
import { parseProject, projectSecrets } from '../../src/config/index.js';

const PROJECT = `
sites: { plant1: {} }
externalSystems:
  ERP:
    baseUrl: "http://127.0.0.1:1/api?token=\${ERP_TOKEN}&region=\${REGION}"
    auth: { type: basic, username: svc, password: "\${ERP_PASSWORD}" }
    methods: { get: { verb: GET, path: /x } }
  MES:
    baseUrl: "http://127.0.0.1:2/"
    auth: { type: apiKey, header: X-Key, key: literal-key-in-file }
    methods: { get: { verb: GET, path: /x } }
databases:
  Plant: { driver: postgres, host: 127.0.0.1, database: plant, user: u, password: "\${DB_PASSWORD}" }
smtp: { host: 127.0.0.1, port: 25, tls: None, fromAddress: a@example.test, auth: { type: Basic, username: mailer, password: "\${SMTP_PASSWORD}" } }
`;

const ENV = { ERP_TOKEN: 'tok/en+1 2', REGION: 'eu', ERP_PASSWORD: 'pw:erp', DB_PASSWORD: 'db-secret', SMTP_PASSWORD: 'smtp-pass' };
const b64 = (t: string): string => Buffer.from(t).toString('base64');

describe('issue 8: configured secrets', () => {
  it('issue 8: every ${ENV} value (4+ characters) and every credential is a secret, with its Basic-auth encodings', () => {
    const project = parseProject(PROJECT, '/tmp/p', ENV);
    const secrets = projectSecrets(project);
    for (const s of ['tok/en+1 2', 'pw:erp', b64('svc:pw:erp'), 'literal-key-in-file', 'db-secret', 'smtp-pass', b64('smtp-pass'), b64('\0mailer\0smtp-pass')]) {
      expect(secrets, s).toContain(s);
    }
    // Too short to be a secret, and redacting it would garble messages.
    expect(secrets).not.toContain('eu');
    // Each system carries its own, for the gateway to redact before it truncates a body.
    expect(project.externalSystems.ERP!.secrets).toEqual(expect.arrayContaining(['tok/en+1 2', 'pw:erp', b64('svc:pw:erp')]));
    expect(project.externalSystems.ERP!.secrets).not.toContain('db-secret');
    expect(project.externalSystems.MES!.secrets).toEqual(['literal-key-in-file']);
  });

  it('issue 8: a ${NAME:-default} that fell back to its default is not a secret (it is in the file)', () => {
    const project = parseProject(PROJECT.replace('${REGION}', '${UNSET_REGION:-default-region}'), '/tmp/p', ENV);
    expect(projectSecrets(project)).not.toContain('default-region');
  });
});

describe('issue 8: redactor', () => {
  const secret = 'Zq9/x+1 2"|ü';
  const r = createRedactor([secret, undefined, '']);

  it('issue 8: removes the raw, URL-, form-, URL-parser- and JSON-encoded forms of a secret', () => {
    const url = new URL(`http://h/p?token=${secret}`);
    const forms = [
      secret,
      encodeURIComponent(secret),
      encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
      new URLSearchParams({ t: secret }).toString().slice(2),
      url.search,
      url.href,
      JSON.stringify({ secret }),
    ];
    for (const text of forms) {
      const out = r.text(`before ${text} after`);
      expect(out, text).toContain('***');
      expect(out, text).not.toContain('Zq9');
    }
    expect(r.text('nothing to hide')).toBe('nothing to hide');
  });

  it('issue 8: redacts an error into a copy of the same class: message, stack, details and cause', () => {
    const cause = new Error(`socket said ${secret}`);
    const inner = new DeliveryError('HTTP_STATUS', `ERP.get: HTTP 404: /p?token=${encodeURIComponent(secret)}`, 'permanent', {
      cause,
      httpStatus: 404,
      details: Object.freeze({ system: 'ERP', body: secret }),
    });
    const err = new OperationFailedError('0190b7a4-1c2d-7e3f-8a4b-5c6d7e8f9a0b', inner);
    const out = r.error(err);
    expect(out).toBeInstanceOf(OperationFailedError);
    expect(out).not.toBe(err);
    expect(out.transient).toBe(false);
    expect(out.code).toBe('HTTP_STATUS');
    expect(out.trackedOperationId).toBe(err.trackedOperationId);
    const all = JSON.stringify([out.message, out.stack, out.details, (out.cause as Error).message, (out.cause as Error).stack, ((out.cause as Error).cause as Error).message]);
    expect(all).not.toContain('Zq9');
    expect(all).toContain('***');
    // The original is left alone, and an error without a secret is returned as it is.
    expect(err.message).toContain(encodeURIComponent(secret));
    const clean = new DeliveryError('X', 'clean', 'transient');
    expect(r.error(clean)).toBe(clean);
  });
});
