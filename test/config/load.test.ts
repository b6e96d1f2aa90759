import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject, parseProject, type ProjectConfig } from '../../src/config/index.js';
import { writeProject } from './helpers.js';

const FULL = `
sites:
  plant1: { description: "North plant" }
  plant2:
instances:
  Pump1:
    site: plant1
    attributes:
      Flow: { type: number, initial: 0 }
      Mode: { type: string, initial: "auto" }
      Running: { type: boolean }
    alarms:
      HighFlow: { attribute: Flow, kind: high, limit: 100, deadband: 5 }
      LowFlow: { attribute: Flow, kind: low, limit: 2 }
    scripts:
      report:
        file: report.ts
        triggers:
          - interval: 5s
          - attributeChange: Flow
          - alarm: HighFlow
          - call
        timeout: 10s
        memoryMb: 128
      plain:
        file: plain.js
sharedScripts:
  format: { file: shared/format.js }
  legacy: { file: legacy.txt, language: js, timeout: 1500, memoryMb: 32 }
externalSystems:
  ERP:
    baseUrl: http://127.0.0.1:9000/api
    auth: { type: apiKey, header: X-API-Key, key: "\${ERP_KEY}" }
    timeout: 10s
    maxRetries: 5
    retryInterval: 30s
    maxConcurrency: 3
    methods:
      postOrder: { verb: POST, path: /orders, parameters: { orderId: { type: string }, qty: { type: integer, required: false } } }
      getOrder: { verb: GET, path: "/orders/{orderId}", parameters: { orderId: { type: string } } }
  Weather:
    baseUrl: https://weather.example.com
databases:
  Historian:
    driver: postgres
    host: 127.0.0.1
    port: 5432
    database: plant
    user: postgres
    password: "\${HIST_PW}"
    poolSize: 2
    timeout: 10s
    maxRetries: 5
    retryInterval: 30s
    maxConcurrency: 2
  Local: { driver: sqlite, file: data/local.db }
  Mes: { driver: mysql, host: db.local, database: mes }
notificationLists:
  Operators: [ops@example.com, shift@example.com]
`;

const SCRIPTS = {
  'report.ts': 'export default async () => 1;\n',
  'plain.js': 'export default () => 2;\n',
  'shared/format.js': 'export const f = 1;\n',
  'legacy.txt': 'legacy();\n',
};

const ENV = { ERP_KEY: 'k-123', HIST_PW: 'pw-456' };

describe('loadProject with a full project', () => {
  const load = (): ProjectConfig => loadProject(writeProject(FULL, SCRIPTS), ENV);

  it('resolves sites and instances, with defaults', () => {
    const p = load();
    expect(p.sites).toEqual({
      plant1: { name: 'plant1', description: 'North plant' },
      plant2: { name: 'plant2', description: '' },
    });
    const pump = p.instances.Pump1!;
    expect(pump.code).toBe('Pump1');
    expect(pump.site).toBe('plant1');
    expect(pump.attributes).toEqual({
      Flow: { name: 'Flow', type: 'number', initial: 0 },
      Mode: { name: 'Mode', type: 'string', initial: 'auto' },
      Running: { name: 'Running', type: 'boolean', initial: null },
    });
    expect(pump.alarms).toEqual({
      HighFlow: { name: 'HighFlow', attribute: 'Flow', kind: 'high', limit: 100, deadband: 5 },
      LowFlow: { name: 'LowFlow', attribute: 'Flow', kind: 'low', limit: 2, deadband: 0 },
    });
  });

  it('reads script sources and resolves triggers, language and limits', () => {
    const p = load();
    expect(p.instances.Pump1!.scripts).toEqual({
      report: {
        name: 'report',
        file: 'report.ts',
        source: SCRIPTS['report.ts'],
        language: 'ts',
        triggers: [
          { type: 'interval', everyMs: 5_000 },
          { type: 'attributeChange', attribute: 'Flow' },
          { type: 'alarm', alarm: 'HighFlow' },
          { type: 'call' },
        ],
        timeoutMs: 10_000,
        memoryMb: 128,
      },
      plain: {
        name: 'plain',
        file: 'plain.js',
        source: SCRIPTS['plain.js'],
        language: 'js',
        triggers: [],
        timeoutMs: 30_000,
        memoryMb: 64,
      },
    });
    expect(p.sharedScripts).toEqual({
      format: {
        name: 'format', file: 'shared/format.js', source: SCRIPTS['shared/format.js'],
        language: 'js', timeoutMs: 30_000, memoryMb: 64,
      },
      legacy: {
        name: 'legacy', file: 'legacy.txt', source: 'legacy();\n',
        language: 'js', timeoutMs: 1_500, memoryMb: 32,
      },
    });
  });

  it('resolves external systems with substituted secrets and defaults', () => {
    const p = load();
    expect(p.externalSystems.ERP).toEqual({
      name: 'ERP',
      baseUrl: 'http://127.0.0.1:9000/api',
      auth: { type: 'apiKey', header: 'X-API-Key', key: 'k-123' },
      timeoutMs: 10_000,
      retry: { maxRetries: 5, retryIntervalMs: 30_000 },
      maxConcurrency: 3,
      methods: {
        postOrder: {
          name: 'postOrder', verb: 'POST', path: '/orders',
          parameters: [
            { name: 'orderId', type: 'string', required: true },
            { name: 'qty', type: 'integer', required: false },
          ],
        },
        getOrder: {
          name: 'getOrder', verb: 'GET', path: '/orders/{orderId}',
          parameters: [{ name: 'orderId', type: 'string', required: true }],
        },
      },
      secrets: ['k-123'],
    });
    expect(p.externalSystems.Weather).toEqual({
      name: 'Weather',
      baseUrl: 'https://weather.example.com',
      auth: { type: 'none' },
      timeoutMs: 30_000,
      retry: { maxRetries: 10, retryIntervalMs: 60_000 },
      maxConcurrency: 8,
      methods: {},
      secrets: [],
    });
  });

  it('resolves databases; a relative sqlite file against the data directory, which defaults to the project directory', () => {
    const dir = writeProject(FULL, SCRIPTS);
    expect(loadProject(dir, ENV, '/srv/site-data').databases.Local?.file).toBe(join('/srv/site-data', 'data/local.db'));
    const p = loadProject(dir, ENV);
    expect(p.dir).toBe(dir);
    expect(p.databases.Historian).toEqual({
      name: 'Historian', driver: 'postgres', host: '127.0.0.1', port: 5432, database: 'plant',
      user: 'postgres', password: 'pw-456', file: undefined, poolSize: 2, timeoutMs: 10_000,
      retry: { maxRetries: 5, retryIntervalMs: 30_000 }, maxConcurrency: 2,
    });
    expect(p.databases.Local).toEqual({
      name: 'Local', driver: 'sqlite', host: undefined, port: undefined, database: undefined,
      user: undefined, password: undefined, file: join(dir, 'data/local.db'), poolSize: 5,
      timeoutMs: 30_000, retry: { maxRetries: 10, retryIntervalMs: 60_000 }, maxConcurrency: 4,
    });
    expect(p.databases.Mes).toMatchObject({ driver: 'mysql', host: 'db.local', database: 'mes', port: undefined });
    expect(p.notificationLists).toEqual({ Operators: ['ops@example.com', 'shift@example.com'] });
  });

  it('deeply freezes the result', () => {
    const p = load();
    const frozen = [
      p, p.sites, p.instances.Pump1, p.instances.Pump1!.scripts.report,
      p.instances.Pump1!.scripts.report!.triggers, p.instances.Pump1!.scripts.report!.triggers[0],
      p.externalSystems.ERP!.auth, p.externalSystems.ERP!.methods.postOrder!.parameters,
      p.databases.Local!.retry, p.notificationLists.Operators,
    ];
    for (const value of frozen) expect(Object.isFrozen(value)).toBe(true);
    expect(() => {
      (p.instances.Pump1!.attributes.Flow as { initial: unknown }).initial = 5;
    }).toThrow(TypeError);
  });
});

describe('minimal projects', () => {
  it('accepts an empty mapping as an empty project with every section defaulted', () => {
    const dir = writeProject('{}\n');
    expect(loadProject(dir, {})).toEqual({
      dir, sites: {}, instances: {}, sharedScripts: {}, externalSystems: {}, databases: {}, notificationLists: {}, inboundApi: { databases: {}, methods: {} },
    });
  });

  it('parseProject takes the text and a script reader instead of files', () => {
    const p = parseProject(
      'sites: { s: {} }\ninstances: { I: { site: s, scripts: { a: { file: a.js, triggers: [call] } } } }\n',
      '/nowhere',
      {},
      (rel) => (rel === 'a.js' ? 'export default 1;' : undefined),
    );
    expect(p.dir).toBe('/nowhere');
    expect(p.instances.I!.scripts.a!.source).toBe('export default 1;');
  });

  it('supports YAML anchors and merge keys for shared settings', () => {
    const dir = writeProject(`
externalSystems:
  A:
    <<: &common { maxRetries: 3, retryInterval: 5s }
    baseUrl: http://a
  B: { <<: *common, baseUrl: "http://b", maxRetries: 4 }
`);
    const systems = loadProject(dir, {}).externalSystems;
    expect(systems.B!.retry).toEqual({ maxRetries: 4, retryIntervalMs: 5_000 });
    expect(loadProject(dir, {}).externalSystems.A!.retry).toEqual({ maxRetries: 3, retryIntervalMs: 5_000 });
  });
});
