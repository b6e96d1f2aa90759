// Central's databases for Inbound API scripts (`inboundApi.databases`, issue 11
// point 4) and central's part of a project (parseCentralBundle): validated like
// the sites' databases, with errors naming the path; `${ENV}` in central's part
// comes from central's environment, while the rest of the project is not read.
import { describe, expect, it } from 'vitest';
import { loadProject, parseCentralBundle, readProjectBundle } from '../../src/config/index.js';
import { issuesOf, writeProject } from './helpers.js';

const YAML = `
sites: { plant1: {} }
instances:
  Pump1:
    site: plant1
databases:
  SiteDb: { driver: postgres, host: db, database: x, user: u, password: '\${SITE_ONLY_SECRET}' }
inboundApi:
  databases:
    local: { driver: sqlite, file: central.db }
    erp: { driver: postgres, host: 127.0.0.1, database: erp, user: api, password: '\${CENTRAL_DB_PASSWORD}' }
  methods:
    Ping: { script: ping.js }
`;

describe('inboundApi.databases (issue 11 point 4)', () => {
  it('resolves like the sites\' databases; a relative SQLite file lies under the given data directory', () => {
    const dir = writeProject(YAML, { 'ping.js': 'return 1;' });
    const project = loadProject(dir, { CENTRAL_DB_PASSWORD: 'pw-central-123', SITE_ONLY_SECRET: 'pw-site-12345' }, '/var/lib/central');
    expect(project.inboundApi.databases.local).toMatchObject({ name: 'local', driver: 'sqlite', file: '/var/lib/central/central.db', poolSize: 5 });
    expect(project.inboundApi.databases.erp).toMatchObject({ driver: 'postgres', host: '127.0.0.1', password: 'pw-central-123' });
    expect(Object.keys(project.databases)).toEqual(['SiteDb']);
  });

  it('names the path of a bad field', () => {
    const dir = writeProject('inboundApi:\n  databases:\n    erp: { driver: postgres, database: erp }\n    lite: { driver: sqlite }\n');
    expect(issuesOf(() => loadProject(dir, {}))).toEqual(
      expect.arrayContaining(['inboundApi.databases.erp.host: required for driver postgres', 'inboundApi.databases.lite.file: required for driver sqlite']),
    );
  });

  it('central\'s part resolves only inboundApi: a variable only the sites define is not needed, one of central\'s databases is', () => {
    const dir = writeProject(YAML, { 'ping.js': 'return 1;' });
    const bundle = readProjectBundle(dir);
    const central = parseCentralBundle(bundle, '/data/central', { CENTRAL_DB_PASSWORD: 'pw-central-123' });
    expect(Object.keys(central.inboundApi.methods)).toEqual(['Ping']);
    expect(central.inboundApi.databases.local?.file).toBe('/data/central/central.db');
    expect(central.instances).toEqual({});
    expect(issuesOf(() => parseCentralBundle(bundle, '/data/central', { SITE_ONLY_SECRET: 'pw-site-12345' }))).toEqual([
      expect.stringMatching(/^inboundApi\.databases\.erp\.password: .*CENTRAL_DB_PASSWORD/),
    ]);
  });
});
