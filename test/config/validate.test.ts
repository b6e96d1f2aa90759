// The checks behind `scadalink validate` (issue 9, point 2), on real project
// directories: what is checked once, per instance, or not at all.
import { describe, expect, it } from 'vitest';
import { formatProblem, validateProjectDir } from '../../src/validate/index.js';
import { writeProject } from './helpers.js';

const lines = async (dir: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> => (await validateProjectDir(dir, env)).map(formatProblem);

describe('validate', () => {
  it('a file shared by two instances is compiled once: its syntax error is reported once, an attribute missing on one instance is reported for that one', async () => {
    const dir = writeProject(
      `
sites: { plant1: {} }
instances:
  Pump1: { site: plant1, attributes: { Flow: { type: number } }, scripts: { s: { file: s.js } } }
  Pump2: { site: plant1, scripts: { s: { file: s.js } } }
`,
      { 's.js': "await Instance.GetAttribute('Flow');\nreturn (;\n" },
    );
    expect(await lines(dir)).toEqual([
      'scripts/s.js:1:29: UNKNOWN_ATTRIBUTE attribute Flow is not defined on instance Pump2',
      'scripts/s.js:2:9: SCRIPT_COMPILE Expression expected.',
    ]);
  });

  it('does not check attributes in a shared script (it acts on its caller), but checks everything else there', async () => {
    const dir = writeProject(
      `
sites: { plant1: {} }
sharedScripts: { helper: { file: helper.ts } }
`,
      { 'helper.ts': "await Instance.GetAttribute('Anything');\nawait Notify.To('nobody').Send('a', 'b');\n" },
    );
    expect(await lines(dir)).toEqual(['scripts/helper.ts:2:17: UNKNOWN_NOTIFICATION_LIST notification list nobody is not defined in notificationLists']);
  });

  it('checks the scripts of a project whose ${ENV} references are unset (a placeholder stands in), as central does', async () => {
    const dir = writeProject(
      `
sites: { plant1: {} }
databases: { Hist: { driver: postgres, host: 127.0.0.1, database: h, password: "\${HIST_PW}" } }
instances:
  Pump1: { site: plant1, scripts: { s: { file: s.js } } }
`,
      { 's.js': "await Database.CachedWrite('History', 'INSERT', []);\n" },
    );
    expect(await lines(dir)).toEqual(['scripts/s.js:1:28: UNKNOWN_CONNECTION database History is not defined in databases']);
    expect(await lines(dir, { HIST_PW: 'secret-pw' })).toEqual(['scripts/s.js:1:28: UNKNOWN_CONNECTION database History is not defined in databases']);
  });

  it('reports a project that cannot be read as one problem', async () => {
    const dir = writeProject('sites: { plant1: {} }\n');
    expect(await lines(`${dir}/missing`)).toEqual([expect.stringMatching(/^scadalink\.yaml:1:1: CONFIG_INVALID file not found: .*missing\/scadalink\.yaml$/)]);
  });
});
