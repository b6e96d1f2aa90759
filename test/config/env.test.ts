import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/commons/index.js';
import { loadProject } from '../../src/config/index.js';
import { issuesOf, writeProject } from './helpers.js';

const ERP = `
externalSystems:
  ERP:
    baseUrl: "http://\${ERP_HOST}:9000/api"
    auth: { type: apiKey, header: X-API-Key, key: "\${ERP_KEY}" }
`;

describe('${ENV_VAR} substitution', () => {
  it('substitutes variables anywhere inside string values', () => {
    const p = loadProject(writeProject(ERP), { ERP_HOST: '127.0.0.1', ERP_KEY: 's3cret' });
    expect(p.externalSystems.ERP!.baseUrl).toBe('http://127.0.0.1:9000/api');
    expect(p.externalSystems.ERP!.auth).toEqual({ type: 'apiKey', header: 'X-API-Key', key: 's3cret' });
  });

  it('lets numbers and durations come from the environment', () => {
    const p = loadProject(writeProject(`
databases:
  H: { driver: postgres, host: h, database: d, port: "\${PG_PORT}", timeout: "\${PG_TIMEOUT}" }
`), { PG_PORT: '6543', PG_TIMEOUT: '2s' });
    expect(p.databases.H).toMatchObject({ port: 6543, timeoutMs: 2_000 });
  });

  it('uses the default of ${NAME:-default} only when the variable is unset', () => {
    const yaml = `
externalSystems:
  ERP: { baseUrl: "\${ERP_URL:-http://127.0.0.1:9090/api}" }
`;
    expect(loadProject(writeProject(yaml), {}).externalSystems.ERP!.baseUrl).toBe('http://127.0.0.1:9090/api');
    expect(loadProject(writeProject(yaml), { ERP_URL: 'http://erp.plant:80/x' }).externalSystems.ERP!.baseUrl).toBe('http://erp.plant:80/x');
    // An empty variable is set: its value is used, and here refused as a URL.
    expect(issuesOf(() => loadProject(writeProject(yaml), { ERP_URL: '' }))).toContain('externalSystems.ERP.baseUrl: must not be empty');
  });

  it('names the variable and the path when it is not set, and reports all of them', () => {
    expect(issuesOf(() => loadProject(writeProject(ERP), {}))).toEqual([
      'externalSystems.ERP.baseUrl: environment variable ERP_HOST is not set',
      'externalSystems.ERP.auth.key: environment variable ERP_KEY is not set',
    ]);
  });

  it('does not repeat follow-on errors for a field whose variable is unset', () => {
    expect(issuesOf(() => loadProject(writeProject(`
sites: { s: {} }
instances: { I: { site: "\${SITE}" } }
`), {}))).toEqual(['instances.I.site: environment variable SITE is not set']);
  });

  it('reports unset variables together with other errors', () => {
    expect(issuesOf(() => loadProject(writeProject(`${ERP}    maxRetries: many\n`), { ERP_HOST: 'h' }))).toEqual([
      'externalSystems.ERP.auth.key: environment variable ERP_KEY is not set',
      'externalSystems.ERP.maxRetries: expected number, got string',
    ]);
  });

  it('never puts a resolved value into an error message', () => {
    const secret = 'hunter2-very-secret';
    const dir = writeProject(`
sites: { s: {} }
instances: { I: { site: "\${SECRET}", attributes: { A: { type: number } }, alarms: { X: { attribute: "\${SECRET}", kind: high, limit: 1 } } } }
externalSystems:
  E: { baseUrl: "\${SECRET}", auth: { type: basic, username: u, password: "\${SECRET}" }, maxRetries: "\${SECRET}" }
databases:
  D: { driver: postgres, host: h, database: d, port: "\${SECRET}", timeout: "\${SECRET}" }
`);
    let error: ConfigError | undefined;
    try {
      loadProject(dir, { SECRET: secret });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.issues.length).toBeGreaterThanOrEqual(4);
    expect(error!.message).not.toContain(secret);
    expect(JSON.stringify(error!.issues)).not.toContain(secret);
  });

  it('hides substituted values in reference errors', () => {
    expect(issuesOf(() => loadProject(writeProject(`
sites: { s: {} }
instances: { I: { site: "\${SITE}" } }
`), { SITE: 'hidden-site' }))).toEqual(['instances.I.site: site (from environment) is not defined in sites']);
  });

  it('keeps $${NAME} as a literal and rejects malformed references', () => {
    const p = loadProject(writeProject('sites: { s: { description: "costs $${PRICE}" } }\n'), {});
    expect(p.sites.s!.description).toBe('costs ${PRICE}');
    expect(issuesOf(() => loadProject(writeProject('sites: { s: { description: "${1BAD}" } }\n'), {}))).toEqual([
      'sites.s.description: invalid environment variable reference ${1BAD}',
    ]);
  });

  it('does not substitute inside keys', () => {
    expect(issuesOf(() => loadProject(writeProject('sites: { "${X}": {} }\n'), { X: 'plant' }))).toEqual([
      'sites.${X}: invalid name: use letters, digits, _ and -, starting with a letter',
    ]);
  });
});
