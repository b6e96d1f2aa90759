// `scadalink validate --project DIR` as a real process against scratch projects
// (issue 9, points 2 and 8), and the YAML edge cases refused alike by
// `site --project`, `central --project` and `validate`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/index.js';
import { runCli } from '../support/process.js';
import { writeProject } from '../support/project.js';

const PROJECT = {
  sites: { plant1: {} },
  externalSystems: { ERP: { baseUrl: 'http://127.0.0.1:9/api', auth: { type: 'apiKey', header: 'X-Key', key: '${ERP_KEY}' }, methods: { postReading: { verb: 'POST', path: '/readings' } } } },
  databases: { Historian: { driver: 'sqlite', file: 'historian.db' } },
  notificationLists: { ops: ['ops@example.com'] },
  sharedScripts: { round: { file: 'shared/round.js' } },
  instances: {
    Pump1: {
      site: 'plant1',
      attributes: { Flow: { type: 'number' } },
      scripts: { main: { file: 'main.js', triggers: ['call'] }, typed: { file: 'typed.ts', triggers: ['call'] } },
    },
  },
};

const CLEAN = {
  'main.js': [
    "const flow = await Instance.GetAttribute('Flow');",
    "await ExternalSystem.CachedCall('ERP', 'postReading', { flow });",
    "const db = await Database.Connection('Historian');",
    "await Database.CachedWrite('Historian', 'INSERT INTO t VALUES (?)', [flow]);",
    "await Notify.To('ops').Send('flow', String(flow));",
    "await Instance.SetAttribute('Flow', await Scripts.Call('round', { value: flow }));",
    // A name that is not a literal is not checked.
    "const system = Parameters.system; await ExternalSystem.Call(system, 'anything');",
    'return flow;',
  ].join('\n'),
  'typed.ts': 'const n: number = await Instance.GetAttribute(\'Flow\') as number;\nreturn n * 2;\n',
  'shared/round.js': 'return Math.round(Parameters.value);\n',
};

// Each test runs the CLI as a process (one to three times): allow for a loaded machine.
describe('scadalink validate --project DIR', { timeout: 90_000 }, () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  const project = (scripts: Record<string, string> = {}, config: object = PROJECT): string =>
    writeProject(join(tmp.dir, 'p'), config, { ...CLEAN, ...scripts });
  const validate = (dir: string, ...extra: string[]) => runCli(['validate', '--project', dir, ...extra]);

  it('a clean project exits 0 and says so (an unset ${ENV} is the sites\' to resolve)', () => {
    const dir = project();
    const r = validate(dir);
    expect(r.stdout).toBe(`${dir}: no problems\n`);
    expect(r.status).toBe(0);
    expect(JSON.parse(validate(dir, '--json').stdout)).toEqual({ ok: true, problems: [] });
  });

  it('reports every syntax error of a JavaScript script with file, line and column, and exits 1', () => {
    const r = validate(project({ 'main.js': 'const a = 1;\nreturn a +* 2;\nconst b = ;\n' }));
    expect(r.stdout.split('\n')).toEqual([
      'scripts/main.js:2:11: SCRIPT_COMPILE Expression expected.',
      'scripts/main.js:3:11: SCRIPT_COMPILE Expression expected.',
      '2 problem(s) in 1 file(s)',
      '',
    ]);
    expect(r.status).toBe(1);
  });

  it("reports V8's early errors and TypeScript syntax in a .js script", () => {
    expect(validate(project({ 'main.js': 'let a = 1;\n  let a = 2;\n' })).stdout).toContain(
      "scripts/main.js:2:7: SCRIPT_COMPILE Identifier 'a' has already been declared",
    );
    expect(validate(project({ 'main.js': 'const a: number = 1;\n' })).stdout).toContain(
      'scripts/main.js:1:10: SCRIPT_COMPILE Type annotations can only be used in TypeScript files.',
    );
  });

  it('reports a type-level syntax error in a TypeScript script', () => {
    const r = validate(project({ 'typed.ts': 'const a: number = 1;\nconst b: = 2;\nreturn a;\n' }));
    expect(r.stdout).toContain('scripts/typed.ts:2:10: SCRIPT_COMPILE Type expected.');
    expect(r.status).toBe(1);
  });

  it('reports each unknown external system, method, database, list, shared script and attribute named by literal, with its position', () => {
    const refs = [
      "await ExternalSystem.Call('CRM', 'get');",
      "await ExternalSystem.CachedCall('ERP', 'postReadings', {});",
      "const db = await Database.Connection('Histrian');",
      'await Database.CachedWrite(`Archive`, \'INSERT\', []);',
      "await Notify.To('operators').Send('a', 'b');",
      "await Scripts.Call('rounder');",
      "await Instance.SetAttribute('Flw', 1);",
      "return await Instance.GetAttribute('Level');",
    ].join('\n');
    const r = validate(project({ 'main.js': refs }));
    expect(r.stdout.split('\n')).toEqual([
      'scripts/main.js:1:27: UNKNOWN_SYSTEM external system CRM is not defined in externalSystems',
      'scripts/main.js:2:40: UNKNOWN_METHOD method postReadings is not defined on external system ERP',
      'scripts/main.js:3:38: UNKNOWN_CONNECTION database Histrian is not defined in databases',
      'scripts/main.js:4:28: UNKNOWN_CONNECTION database Archive is not defined in databases',
      'scripts/main.js:5:17: UNKNOWN_NOTIFICATION_LIST notification list operators is not defined in notificationLists',
      'scripts/main.js:6:20: UNKNOWN_SCRIPT shared script rounder is not defined in sharedScripts',
      'scripts/main.js:7:29: UNKNOWN_ATTRIBUTE attribute Flw is not defined on instance Pump1',
      'scripts/main.js:8:36: UNKNOWN_ATTRIBUTE attribute Level is not defined on instance Pump1',
      '8 problem(s) in 1 file(s)',
      '',
    ]);
    expect(r.status).toBe(1);
    const json = JSON.parse(validate(join(tmp.dir, 'p'), '--json').stdout) as { ok: boolean; problems: unknown[] };
    expect(json.ok).toBe(false);
    expect(json.problems[0]).toEqual({ file: 'scripts/main.js', line: 1, column: 27, code: 'UNKNOWN_SYSTEM', message: 'external system CRM is not defined in externalSystems' });
  });

  it('places configuration problems at their line and column in scadalink.yaml', () => {
    const dir = join(tmp.dir, 'p');
    writeProject(dir, {}, CLEAN);
    writeFileSync(join(dir, 'scadalink.yaml'), 'sites:\n  plant1: {}\ninstances:\n  Pump1:\n    site: plant2\n    colour: red\n');
    const r = validate(dir);
    expect(r.stdout.split('\n')).toEqual([
      'scadalink.yaml:6:5: CONFIG_INVALID instances.Pump1.colour: unknown key',
      '1 problem(s) in 1 file(s)',
      '',
    ]);
    expect(r.status).toBe(1);
  });

  it('checks Inbound API method scripts too: a syntax error, and Scripts.Call reported as SITE_ONLY_API', () => {
    const config = { ...PROJECT, inboundApi: { methods: { GetFlow: { script: 'api/get-flow.ts', returns: { type: 'Float' }, apiKeys: ['mes'] } } } };
    const r = validate(project({ 'api/get-flow.ts': "await Scripts.Call('round', {});\nreturn (;\n" }, config));
    expect(r.stdout.split('\n')).toEqual([
      'scripts/api/get-flow.ts:1:7: SITE_ONLY_API Scripts.Call is site-only: an Inbound API method script runs at central, where there are no shared scripts',
      'scripts/api/get-flow.ts:2:9: SCRIPT_COMPILE Expression expected.',
      '2 problem(s) in 1 file(s)',
      '',
    ]);
    expect(r.status).toBe(1);
  });

  it('usage errors exit 2', () => {
    expect(runCli(['validate']).status).toBe(2);
    expect(runCli(['validate', '--project', tmp.dir, '--bogus']).status).toBe(2);
  });
});

describe('YAML edge cases are refused by site --project, central --project and validate alike', { timeout: 90_000 }, () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  const withYaml = (yaml: string): string => {
    const dir = writeProject(join(tmp.dir, 'p'), {}, {});
    writeFileSync(join(dir, 'scadalink.yaml'), yaml);
    return dir;
  };
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n');

  it('a YAML alias bomb ("billion laughs") exits 2 naming scadalink.yaml for site and central, and is a problem for validate (exit 1)', () => {
    const dir = withYaml(`${bomb}\n`);
    const message = 'scadalink.yaml: aliases expand to too many nodes (at most 1000 alias uses): refused as a possible "billion laughs" attack';
    const site = runCli(['site', '--project', dir, '--data', join(tmp.dir, 'site'), '--port', '0']);
    expect(site.stderr).toContain(message);
    expect(site.status).toBe(2);
    const central = runCli(['central', '--project', dir, '--data', join(tmp.dir, 'central'), '--port', '0', '--grpc-port', '0']);
    expect(central.stderr).toContain(message);
    expect(central.status).toBe(2);
    const validate = runCli(['validate', '--project', dir]);
    expect(validate.stdout).toContain('scadalink.yaml:1:1: CONFIG_INVALID aliases expand to too many nodes');
    expect(validate.status).toBe(1);
  });

  it('an empty project file is refused by central as by the site: same code, same message, exit 2', () => {
    const dir = withYaml('# nothing yet\n');
    const expected = 'invalid configuration:\n  scadalink.yaml: the file is empty: a project defines at least its sites\n';
    const site = runCli(['site', '--project', dir, '--data', join(tmp.dir, 'site'), '--port', '0']);
    const central = runCli(['central', '--project', dir, '--data', join(tmp.dir, 'central'), '--port', '0', '--grpc-port', '0']);
    expect(site.stderr).toContain(expected);
    expect(central.stderr).toContain(expected);
    expect([site.status, central.status]).toEqual([2, 2]);
  });

  it('a __proto__ key is reported under its own path, for validate and the site', () => {
    const dir = withYaml('sites:\n  plant1: {}\ninstances:\n  __proto__:\n    site: plant1\n');
    const validate = runCli(['validate', '--project', dir]);
    expect(validate.stdout).toContain('scadalink.yaml:4:3: CONFIG_INVALID instances.__proto__: reserved name: choose another');
    const site = runCli(['site', '--project', dir, '--data', join(tmp.dir, 'site'), '--port', '0']);
    expect(site.stderr).toContain('instances.__proto__: reserved name: choose another');
    expect(site.status).toBe(2);
  });
});
