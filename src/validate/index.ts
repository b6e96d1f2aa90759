// Public surface of project validation (issue 9): the checks behind
// `scadalink validate`, central's recording of a revision and a site's switch
// to a deployed one. A problem names its file, line and column.

import { ConfigError } from '../commons/index.js';
import { ISSUE_ENV_UNSET, PROJECT_FILE, type ProjectBundle, type ProjectConfig, parseProjectBundle, readProjectBundle } from '../config/index.js';
import { configProblems } from './locate.js';
import { type Problem, formatProblem } from './problem.js';
import { checkScripts } from './scripts.js';

export { type Problem, formatProblem } from './problem.js';
export { checkScripts } from './scripts.js';

/** Stands in for an unset `${ENV}` so a project central cannot fully resolve still has its scripts checked. */
const PLACEHOLDER = 'unset-variable';

function withPlaceholders(bundle: ProjectBundle, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const filled: NodeJS.ProcessEnv = { ...env };
  for (const [, name] of (bundle.files[PROJECT_FILE] ?? '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) {
    if (name !== undefined && filled[name] === undefined) filled[name] = PLACEHOLDER;
  }
  return filled;
}

/**
 * Every problem of a bundle: the configuration's, then (once it loads) every
 * script's. Unset `${ENV}` references are not problems here: the sites resolve
 * them from their own environments, as central does. When a placeholder for
 * them does not make the project load (an unset URL, say), its scripts are left
 * to the site, which checks them again with its own environment.
 */
export async function validateBundle(bundle: ProjectBundle, dir: string, env: NodeJS.ProcessEnv = process.env): Promise<Problem[]> {
  let project: ProjectConfig | undefined;
  try {
    project = parseProjectBundle(bundle, dir, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const real = err.issues.filter((i) => i.code !== ISSUE_ENV_UNSET);
    if (real.length > 0) return configProblems(real, bundle.files[PROJECT_FILE] ?? '');
    try {
      project = parseProjectBundle(bundle, dir, withPlaceholders(bundle, env));
    } catch (again) {
      if (!(again instanceof ConfigError)) throw again;
      return [];
    }
  }
  return checkScripts(project);
}

/** Reads and validates a project directory; a project that cannot be read is one problem. */
export async function validateProjectDir(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<Problem[]> {
  let bundle: ProjectBundle;
  try {
    bundle = readProjectBundle(dir);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return configProblems(err.issues, '');
  }
  return validateBundle(bundle, dir, env);
}

/** The error for a project with problems: CONFIG_INVALID, one `file:line:col: CODE message` issue each. */
export function problemsError(problems: readonly Problem[]): ConfigError {
  return new ConfigError(problems.map((p) => ({ path: `${p.file}:${p.line}:${p.column}`, message: `${p.code} ${p.message}`, code: p.code })));
}

/** Throws problemsError when the project's scripts have problems (a site, before it switches to a revision). */
export async function assertScriptsValid(project: ProjectConfig): Promise<void> {
  const problems = await checkScripts(project);
  if (problems.length > 0) throw problemsError(problems);
}

/** `file:line:col: CODE message` lines. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map(formatProblem).join('\n');
}
