// DESIGN §11: the edges between components that must never exist are enforced
// by lint. Each case lints a deliberately wrong import, as the text of a real
// file of the offending component, with the project's own ESLint config.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// Only the rule under test runs, without type information: the zones are the project's own config.
const eslint = new ESLint({
  cwd: process.cwd(),
  ruleFilter: ({ ruleId }) => ruleId === 'import/no-restricted-paths',
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
});

async function problems(filePath: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'import/no-restricted-paths').map((m) => m.message);
}

const cases: [string, string, string, RegExp][] = [
  ['site ↛ central', 'src/site/index.ts', "export * from '../central/index.js';\n", /site ↛ central/],
  ['central ↛ site', 'src/central/index.ts', "export * from '../site/index.js';\n", /central ↛ site/],
  ['scripts ↛ site', 'src/scripts/index.ts', "export * from '../site/index.js';\n", /scripts ↛ site, central/],
  ['scripts ↛ central', 'src/scripts/index.ts', "export * from '../central/index.js';\n", /scripts ↛ site, central/],
  ['transport ↛ central', 'src/transport/index.ts', "export * from '../central/index.js';\n", /transport ↛ site, central/],
  ['integrations ↛ site', 'src/integrations/index.ts', "export * from '../site/index.js';\n", /integrations ↛ site, central/],
  ['commons ↛ config', 'src/commons/index.ts', "export * from '../config/index.js';\n", /commons ↛ any other component/],
  ['nothing ↛ cli', 'src/site/index.ts', "export * from '../cli/program.js';\n", /nothing ↛ cli/],
];

describe('lint enforces the forbidden edges of DESIGN §11', () => {
  it.each(cases)('a deliberately wrong import (%s) in %s is a lint error', async (_edge, file, text, message) => {
    const found = await problems(file, text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it('an allowed edge (site → scripts) is not reported', async () => {
    expect(await problems('src/site/index.ts', "export * from '../scripts/index.js';\n")).toEqual([]);
  });
});
