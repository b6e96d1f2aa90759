import { describe, expect, it } from 'vitest';
import type { ConfigError } from '../../src/commons/index.js';
import { loadProject } from '../../src/config/index.js';
import { issuesOf, writeProject } from './helpers.js';

const load = (yaml: string, scripts: Record<string, string> = {}) => () => loadProject(writeProject(yaml, scripts), {});

describe('shape errors name the dotted path', () => {
  it('reports a missing required field', () => {
    expect(issuesOf(load(`
externalSystems:
  ERP:
    baseUrl: http://127.0.0.1:9000/api
    methods:
      postOrder: { verb: POST }
`))).toEqual(['externalSystems.ERP.methods.postOrder.path: required']);
  });

  it('reports unknown keys at every level, one issue per key', () => {
    expect(issuesOf(load(`
sites: { s: { descripton: x } }
instances:
  I: { site: s, attributes: { A: { type: number, intial: 0 } } }
externalSystem: {}
`))).toEqual([
      'sites.s.descripton: unknown key',
      'instances.I.attributes.A.intial: unknown key',
      'externalSystem: unknown key',
    ]);
  });

  it('collects every issue, not just the first, with readable messages', () => {
    const issues = issuesOf(load(`
sites: { s: {} }
instances:
  I:
    site: s
    attributes:
      A: { type: number, initial: "high" }
      B: { type: float }
    scripts:
      x: { file: x.js, memoryMb: 2, triggers: [ { interval: 1s }, bogus, { every: 5s } ] }
externalSystems:
  E:
    baseUrl: ftp://files
    auth: { type: oauth }
    maxRetries: -1
    maxConcurrency: 1.5
    methods: { m: { verb: FETCH, path: orders, parameters: { p: { type: string, required: maybe } } } }
notificationLists: { L: [], M: [not-an-address] }
"bad name": {}
`, { 'x.js': '' }));
    expect(issues).toEqual(expect.arrayContaining([
      'instances.I.attributes.A.initial: expected number',
      'instances.I.attributes.B.type: must be one of: number, string, boolean',
      'instances.I.scripts.x.memoryMb: must be at least 8',
      'instances.I.scripts.x.triggers[1]: expected `call` or one of { interval }, { attributeChange }, { alarm }',
      'instances.I.scripts.x.triggers[2]: expected `call` or one of { interval }, { attributeChange }, { alarm }',
      'externalSystems.E.baseUrl: must be an http:// or https:// URL',
      'externalSystems.E.auth.type: must be one of: none, apiKey, basic',
      'externalSystems.E.maxRetries: must be at least 0',
      'externalSystems.E.maxConcurrency: expected integer, got number',
      'externalSystems.E.methods.m.verb: must be one of: GET, POST, PUT, PATCH, DELETE',
      'externalSystems.E.methods.m.path: must start with /',
      'externalSystems.E.methods.m.parameters.p.required: expected boolean, got string',
      'notificationLists.L: must have at least 1 item(s)',
      'notificationLists.M[0]: invalid e-mail address',
      'bad name: unknown key',
    ]));
    expect(issues).toHaveLength(15);
  });

  it('rejects invalid names and a path placeholder that is not a parameter', () => {
    expect(issuesOf(load(`
sites: { "1st": {} }
externalSystems:
  E: { baseUrl: "http://e", methods: { get: { verb: GET, path: "/a/{id}/{missing}", parameters: { id: { type: string } } } } }
`))).toEqual([
      'sites.1st: invalid name: use letters, digits, _ and -, starting with a letter',
      'externalSystems.E.methods.get.path: placeholder {missing} is not a declared parameter',
    ]);
  });

  it('requires auth fields per type', () => {
    expect(issuesOf(load(`
externalSystems:
  A: { baseUrl: "http://a", auth: { type: apiKey, key: k } }
  B: { baseUrl: "http://b", auth: { type: basic, password: p, header: X } }
`))).toEqual([
      'externalSystems.A.auth.header: required',
      'externalSystems.B.auth.username: required',
      'externalSystems.B.auth.header: unknown key',
    ]);
  });

  it('rejects a file that is not a mapping, and an empty file (central and site alike); `{}` is an empty project', () => {
    expect(issuesOf(load('- just\n- a list\n'))).toEqual(['(root): expected mapping, got list']);
    const empty = 'scadalink.yaml: the file is empty: a project defines at least its sites';
    expect(issuesOf(load(''))).toEqual([empty]);
    expect(issuesOf(load('# nothing yet\n'))).toEqual([empty]);
    expect(load('{}\n')().instances).toEqual({});
  });
});

describe('database driver requirements', () => {
  it('needs file for sqlite and host and database for postgres and mysql', () => {
    expect(issuesOf(load(`
databases:
  L: { driver: sqlite, host: h }
  P: { driver: postgres, file: x.db }
  M: { driver: mysql, host: h, port: 70000 }
  X: { driver: oracle }
`))).toEqual([
      'databases.L.file: required for driver sqlite',
      'databases.L.host: not used for driver sqlite',
      'databases.P.file: not used for driver postgres',
      'databases.P.host: required for driver postgres',
      'databases.P.database: required for driver postgres',
      'databases.M.port: must be at most 65535',
      'databases.M.database: required for driver mysql',
      'databases.X.driver: must be one of: postgres, mysql, sqlite',
    ]);
  });
});

describe('cross-references', () => {
  const base = (instance: string) => `
sites: { plant1: {} }
instances:
  Pump1:
${instance}`;

  it('requires the instance site to be defined', () => {
    expect(issuesOf(load(base('    site: plant2\n')))).toEqual([
      'instances.Pump1.site: site plant2 is not defined in sites',
    ]);
  });

  it('requires an alarm attribute to exist and be numeric', () => {
    expect(issuesOf(load(base(`    site: plant1
    attributes: { Mode: { type: string } }
    alarms:
      A: { attribute: Missing, kind: high, limit: 1 }
      B: { attribute: Mode, kind: low, limit: 1 }
`)))).toEqual([
      'instances.Pump1.alarms.A.attribute: attribute Missing is not defined on this instance',
      'instances.Pump1.alarms.B.attribute: attribute Mode is not numeric (type string)',
    ]);
  });

  it('requires trigger references to name an attribute or alarm of the instance', () => {
    expect(issuesOf(load(base(`    site: plant1
    attributes: { Flow: { type: number } }
    scripts:
      s: { file: s.js, triggers: [ { attributeChange: Flwo }, { alarm: HighFlow }, { attributeChange: Flow } ] }
`), { 's.js': '' }))).toEqual([
      'instances.Pump1.scripts.s.triggers[0].attributeChange: attribute Flwo is not defined on this instance',
      'instances.Pump1.scripts.s.triggers[1].alarm: alarm HighFlow is not defined on this instance',
    ]);
  });

  it('requires script files to exist inside scripts/ with a known language', () => {
    expect(issuesOf(load(`
sites: { plant1: {} }
instances:
  Pump1:
    site: plant1
    scripts:
      report: { file: report.ts }
      outside: { file: ../secret.js }
      odd: { file: odd.py }
      dir: { file: folder }
sharedScripts:
  format: { file: shared/format.js }
`, { 'odd.py': '', 'folder/inner.js': '' }))).toEqual([
      'instances.Pump1.scripts.report.file: file not found: scripts/report.ts',
      'instances.Pump1.scripts.outside.file: must be a path inside scripts/',
      'instances.Pump1.scripts.odd.file: cannot tell the language from the extension: use .js or .ts, or set language',
      'instances.Pump1.scripts.dir.file: cannot tell the language from the extension: use .js or .ts, or set language',
      'instances.Pump1.scripts.dir.file: cannot read file: scripts/folder (EISDIR)',
      'sharedScripts.format.file: file not found: scripts/shared/format.js',
    ]);
  });
});

describe('reading the project', () => {
  it('reports a missing project file', () => {
    const { message } = (() => {
      try {
        loadProject('/definitely/not/here', {});
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('expected failure');
    })();
    expect(message).toContain('scadalink.yaml: file not found: /definitely/not/here/scadalink.yaml');
  });

  it('reports YAML syntax errors with their line', () => {
    expect(issuesOf(load('sites:\n  plant1: {}\n plant2: {}\ninstances: [unclosed\n'))).toEqual([
      'scadalink.yaml: line 3, column 1: All mapping items must start at the same column',
      expect.stringMatching(/^scadalink\.yaml: line 5, column 1: Flow sequence/),
    ]);
  });

  it('reports duplicate keys as YAML errors', () => {
    expect(issuesOf(load('sites:\n  a: {}\n  a: {}\n'))).toEqual([
      'scadalink.yaml: line 3, column 3: Map keys must be unique',
    ]);
  });

  it('carries the stable code CONFIG_INVALID', () => {
    try {
      load('nope: 1\n')();
    } catch (err) {
      expect((err as ConfigError).code).toBe('CONFIG_INVALID');
    }
    expect.assertions(1);
  });
});
