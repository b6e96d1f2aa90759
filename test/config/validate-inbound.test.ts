// `scadalink validate` also checks the Inbound API methods' scripts (issue 11 point 3).
import { describe, expect, it } from 'vitest';
import { formatProblem, validateProjectDir } from '../../src/validate/index.js';
import { writeProject } from './helpers.js';

const lines = async (dir: string): Promise<string[]> => (await validateProjectDir(dir, {})).map(formatProblem);

describe('validate: Inbound API method scripts', () => {
  it('reports a syntax error in a method script, and a shared script or own-instance call as site-only', async () => {
    const dir = writeProject(
      `
sites: { plant1: {} }
sharedScripts: { helper: { file: helper.js } }
inboundApi:
  methods:
    Broken: { script: broken.ts }
    Calls: { script: calls.js }
`,
      {
        'broken.ts': 'const x: number = ;\n',
        'calls.js': "await Scripts.Call('helper', {});\nawait Instance.GetAttribute('Flow');\nreturn await Database.Connection('central-only');\n",
        'helper.js': 'return 1;\n',
      },
    );
    expect(await lines(dir)).toEqual([
      'scripts/broken.ts:1:19: SCRIPT_COMPILE Expression expected.',
      'scripts/calls.js:1:7: SITE_ONLY_API Scripts.Call is site-only: an Inbound API method script runs at central, where there are no shared scripts',
      'scripts/calls.js:2:7: SITE_ONLY_API Instance.GetAttribute is site-only: an Inbound API method script runs at central, with no instance of its own',
      'scripts/calls.js:3:34: UNKNOWN_CONNECTION database central-only is not defined in inboundApi.databases',
    ]);
  });

  it("issue 11 point 4: a method script's Database.Connection names one of central's databases (inboundApi.databases), not the sites'", async () => {
    const dir = writeProject(
      `
sites: { plant1: {} }
databases: { SiteDb: { driver: sqlite, file: site.db } }
inboundApi:
  databases: { CentralDb: { driver: sqlite, file: central.db } }
  methods:
    M: { script: m.js }
`,
      { 'm.js': "await Database.Connection('CentralDb');\nawait Database.Connection('SiteDb');\n" },
    );
    expect(await lines(dir)).toEqual(['scripts/m.js:2:27: UNKNOWN_CONNECTION database SiteDb is not defined in inboundApi.databases']);
  });

  it('a config error in a method is placed at its line in scadalink.yaml', async () => {
    const dir = writeProject(
      `
sites: { plant1: {} }
inboundApi:
  methods:
    M:
      script: m.js
      parameters:
        batch: { type: Objekt }
`,
      { 'm.js': 'return 1;\n' },
    );
    expect(await lines(dir)).toEqual([
      'scadalink.yaml:8:18: CONFIG_INVALID inboundApi.methods.M.parameters.batch.type: must be one of Boolean, Integer, Float, String, Object, List',
    ]);
  });
});
