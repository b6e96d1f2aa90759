// Loads a project directory (DESIGN §8): parse YAML, substitute `${ENV}`,
// validate the shape, then resolve references and script files. Every phase
// collects all of its issues; a later phase runs only on a valid earlier one,
// so one mistake is not reported again as a cascade of follow-on errors.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from '../commons/index.js';
import { substituteEnv } from './env.js';
import type { Issue } from './issues.js';
import { fromZod, issueMessage } from './issues.js';
import { resolveProject, type ScriptReader } from './resolve.js';
import { registerProjectSecrets } from './secrets.js';
import { ProjectSchema } from './schema.js';
import type { ProjectConfig } from './types.js';

export const PROJECT_FILE = 'scadalink.yaml';
export const SCRIPTS_DIR = 'scripts';

function fail(issues: readonly Issue[]): never {
  throw new ConfigError(issues);
}

function parseYaml(text: string): unknown {
  // `merge` lets users share settings with YAML anchors (`<<: *defaults`);
  // duplicate keys are errors by default in yaml 2, which catches copy-paste slips.
  const doc = parseDocument(text, { merge: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    fail(doc.errors.map((e) => {
      const at = e.linePos?.[0];
      const where = at ? `line ${at.line}, column ${at.col}: ` : '';
      // Drop yaml's own " at line …" suffix and source excerpt; the position is given above.
      const message = e.message.split(' at line ')[0] ?? 'syntax error';
      return { path: PROJECT_FILE, message: `${where}${message}` };
    }));
  }
  return doc.toJS() ?? {};
}

function fileReader(dir: string): ScriptReader {
  return (relPath) => {
    try {
      return readFileSync(join(dir, SCRIPTS_DIR, relPath), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
}

/**
 * Validates the text of a project file for the project directory `dir` and
 * returns the resolved project; throws ConfigError listing every bad path.
 * `readScript` returns a script's text by its path relative to scripts/, or
 * undefined if there is none; it defaults to the file system under `dir`.
 * A relative SQLite `file` resolves against `dataDir`, the site's data
 * directory (by default `dir`, for callers that open no database).
 */
export function parseProject(
  yamlText: string,
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
  readScript?: ScriptReader,
  dataDir: string = dir,
): ProjectConfig {
  const absDir = resolve(dir);
  const { value, issues: envIssues, fromEnv, secretsAt } = substituteEnv(parseYaml(yamlText), env);
  // An unset variable already explains why its field is invalid; drop the echoes.
  const report = (later: readonly Issue[]): never =>
    fail([...envIssues, ...later.filter((i) => !envIssues.some((e) => i.path === e.path || i.path.startsWith(`${e.path}.`)))]);

  const parsed = ProjectSchema.safeParse(value, { error: issueMessage });
  if (!parsed.success) return report(fromZod(parsed.error));
  const issues: Issue[] = [];
  const reader = readScript ?? fileReader(absDir);
  const project = resolveProject(parsed.data, { dir: absDir, dataDir: resolve(dataDir), readScript: reader, fromEnv, secretsAt, issues });
  if (issues.length > 0 || envIssues.length > 0) report(issues);
  registerProjectSecrets(project, secretsAt);
  return project;
}

/**
 * Loads `<dir>/scadalink.yaml` and the scripts it names; throws ConfigError
 * naming every bad path. A site passes its data directory as `dataDir`.
 */
export function loadProject(dir: string, env: NodeJS.ProcessEnv = process.env, dataDir: string = dir): ProjectConfig {
  const file = join(resolve(dir), PROJECT_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    fail([{ path: PROJECT_FILE, message: code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file} (${code ?? 'error'})` }]);
  }
  return parseProject(text, dir, env, undefined, dataDir);
}
