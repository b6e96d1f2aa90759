// Loads a project directory (DESIGN §8): parse YAML, substitute `${ENV}`,
// validate the shape, then resolve references and script files. Every phase
// collects all of its issues; a later phase runs only on a valid earlier one,
// so one mistake is not reported again as a cascade of follow-on errors.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Document, LineCounter, isScalar, parseDocument, visit } from 'yaml';
import { ConfigError } from '../commons/index.js';
import { substituteEnv } from './env.js';
import type { Issue } from './issues.js';
import { formatPath, fromZod, issueMessage } from './issues.js';
import { resolveProject, type ScriptReader } from './resolve.js';
import { registerProjectSecrets } from './secrets.js';
import { ProjectSchema } from './schema.js';
import type { ProjectConfig } from './types.js';

export const PROJECT_FILE = 'scadalink.yaml';
export const SCRIPTS_DIR = 'scripts';

function fail(issues: readonly Issue[]): never {
  throw new ConfigError(issues);
}

/** Aliases one document may expand: enough for shared settings, far too few for a "billion laughs". */
export const MAX_YAML_ALIASES = 1000;

function yamlIssue(message: string, pos: { line: number; col: number } | undefined): Issue {
  return { path: PROJECT_FILE, message: pos === undefined ? message : `line ${pos.line}, column ${pos.col}: ${message}` };
}

/**
 * Duplicate keys in every mapping, in one pass with a set per mapping. The yaml
 * package's own check compares each key with all before it, which takes
 * minutes for a mapping of 100,000 entries.
 */
function duplicateKeys(doc: Document, lines: LineCounter): Issue[] {
  const issues: Issue[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = pair.key.value;
        if (key === MERGE_KEY) continue; // merge keys (`<<: *a`) may repeat
        if (seen.has(key)) {
          const at = pair.key.range?.[0];
          issues.push(yamlIssue('Map keys must be unique', at === undefined ? undefined : lines.linePos(at)));
        }
        seen.add(key);
      }
    },
  });
  return issues;
}

const MERGE_KEY = '<<';

/** Maps become objects with every key an own property, `__proto__` included (never the prototype). */
function plain(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]));
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

function parseYaml(text: string): unknown {
  // `merge` lets users share settings with YAML anchors (`<<: *defaults`).
  // Duplicate keys are errors (they catch copy-paste slips), checked below.
  const lines = new LineCounter();
  const doc = parseDocument(text, { merge: true, prettyErrors: true, uniqueKeys: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    fail(doc.errors.map((e) => {
      // Drop yaml's own " at line …" suffix and source excerpt; the position is given first.
      return yamlIssue(e.message.split(' at line ')[0] ?? 'syntax error', e.linePos?.[0]);
    }));
  }
  const duplicates = duplicateKeys(doc, lines);
  if (duplicates.length > 0) fail(duplicates);
  if (doc.contents === null) fail([{ path: PROJECT_FILE, message: 'the file is empty: a project defines at least its sites' }]);
  let tree: unknown;
  try {
    tree = doc.toJS({ mapAsMap: true, maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    if (!err.message.startsWith('Excessive alias')) fail([{ path: PROJECT_FILE, message: err.message }]);
    fail([{ path: PROJECT_FILE, message: `aliases expand to too many nodes (at most ${MAX_YAML_ALIASES} alias uses): refused as a possible "billion laughs" attack` }]);
  }
  return plain(tree) ?? {};
}

/** Every `__proto__` key in the tree, as an issue at its own path. */
function reservedKeys(node: unknown, path: readonly (string | number)[]): Issue[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => reservedKeys(item, [...path, i]));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => [
    ...(key === '__proto__' ? [{ path: formatPath([...path, key]), message: 'reserved name: choose another' }] : []),
    ...reservedKeys(value, [...path, key]),
  ]);
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
  return parseTree(parseYaml(yamlText), dir, env, readScript, dataDir);
}

/**
 * Central's part of a project (issue 11): only `inboundApi`, its `${ENV}`
 * references resolved from central's environment, relative SQLite files
 * against central's data directory `dataDir`. The rest (instances, the sites'
 * databases and secrets) is the sites' to resolve, so it is not read here.
 */
export function parseCentralPart(yamlText: string, dir: string, env: NodeJS.ProcessEnv, readScript: ScriptReader | undefined, dataDir: string): ProjectConfig {
  const tree = parseYaml(yamlText);
  const inbound = tree !== null && typeof tree === 'object' && Object.hasOwn(tree, 'inboundApi') ? (tree as { inboundApi: unknown }).inboundApi : undefined;
  return parseTree(inbound === undefined ? {} : { inboundApi: inbound }, dir, env, readScript, dataDir);
}

function parseTree(tree: unknown, dir: string, env: NodeJS.ProcessEnv, readScript: ScriptReader | undefined, dataDir: string): ProjectConfig {
  const absDir = resolve(dir);
  const { value, issues: envIssues, fromEnv, secretsAt } = substituteEnv(tree, env);
  // An unset variable already explains why its field is invalid; drop the echoes.
  const report = (later: readonly Issue[]): never =>
    fail([...envIssues, ...later.filter((i) => !envIssues.some((e) => i.path === e.path || i.path.startsWith(`${e.path}.`)))]);

  // The schema would drop a `__proto__` key without a word (zod strips it); it is reported under its own path.
  const reserved = reservedKeys(value, []);
  const parsed = ProjectSchema.safeParse(value, { error: issueMessage });
  if (!parsed.success) return report([...reserved, ...fromZod(parsed.error).filter((i) => !reserved.some((r) => r.path === i.path))]);
  if (reserved.length > 0) return report(reserved);
  const issues: Issue[] = [];
  const reader = readScript ?? fileReader(absDir);
  const project = resolveProject(parsed.data, { dir: absDir, dataDir: resolve(dataDir), readScript: reader, fromEnv, secretsAt, issues });
  if (issues.length > 0 || envIssues.length > 0) report(issues);
  registerProjectSecrets(project, secretsAt);
  return project;
}

/**
 * Each instance's site in a project file that was validated when it was
 * recorded (central's view of a deployed revision: Route.To, issue 11 point
 * 5), read without the scripts and without the sites' environment, which
 * central need not have: `${ENV}` resolves from `env` where it can.
 */
export function instanceSites(yamlText: string, env: NodeJS.ProcessEnv = process.env): Map<string, string> {
  const { value } = substituteEnv(parseYaml(yamlText), env);
  const instances = (value as { instances?: unknown } | null)?.instances;
  const sites = new Map<string, string>();
  if (instances === null || typeof instances !== 'object') return sites;
  for (const [code, def] of Object.entries(instances)) {
    const site = (def as { site?: unknown } | null)?.site;
    if (typeof site === 'string') sites.set(code, site);
  }
  return sites;
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
