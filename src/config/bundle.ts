// A project as it travels from central to its sites (DESIGN §8): the text of
// scadalink.yaml and of every file under scripts/, keyed by relative path, and
// a digest over them. The files hold `${ENV}` references, never secrets: each
// site resolves them from its own environment when it loads the bundle.

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { ConfigError } from '../commons/index.js';
import { ISSUE_ENV_UNSET } from './issues.js';
import { PROJECT_FILE, SCRIPTS_DIR, parseCentralPart, parseProject } from './load.js';
import type { ProjectConfig } from './types.js';

/** A bundle larger than this is refused; it must fit in one site-link message. */
export const MAX_BUNDLE_BYTES = 8 * 1024 * 1024;

export interface ProjectBundle {
  /** Relative path (with `/`) → file text: `scadalink.yaml` and `scripts/...`. */
  readonly files: Readonly<Record<string, string>>;
  /** Hex SHA-256 over the sorted paths and contents. */
  readonly sha256: string;
}

/** The bundle of these files, with its digest. */
export function bundleOf(files: Readonly<Record<string, string>>): ProjectBundle {
  const hash = createHash('sha256');
  const sorted: Record<string, string> = {};
  for (const path of Object.keys(files).sort()) {
    const text = files[path]!;
    sorted[path] = text;
    // Length-prefixed, so no two different bundles hash alike.
    hash.update(`${Buffer.byteLength(path)}:${path}${Buffer.byteLength(text)}:`).update(text);
  }
  return { files: sorted, sha256: hash.digest('hex') };
}

function listFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries.flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

/**
 * Reads a project directory into a bundle: scadalink.yaml and every file under
 * scripts/. Throws ConfigError when the project file is missing or the bundle is
 * larger than MAX_BUNDLE_BYTES.
 */
export function readProjectBundle(dir: string): ProjectBundle {
  const root = resolve(dir);
  const files: Record<string, string> = {};
  try {
    files[PROJECT_FILE] = readFileSync(join(root, PROJECT_FILE), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([{ path: PROJECT_FILE, message: code === 'ENOENT' ? `file not found: ${join(root, PROJECT_FILE)}` : `cannot read (${code ?? 'error'})` }]);
  }
  for (const file of listFiles(join(root, SCRIPTS_DIR))) {
    files[relative(root, file).split(sep).join('/')] = readFileSync(file, 'utf8');
  }
  const bytes = Object.entries(files).reduce((n, [p, t]) => n + Buffer.byteLength(p) + Buffer.byteLength(t), 0);
  if (bytes > MAX_BUNDLE_BYTES) {
    throw new ConfigError([{ path: '(project)', message: `the project is ${bytes} bytes; at most ${MAX_BUNDLE_BYTES} can be deployed` }]);
  }
  return bundleOf(files);
}

/**
 * Loads a bundle as a project, resolving `${ENV}` from `env` (the site's own
 * environment). `dir` stands in for the project directory: a site passes its
 * data directory, which relative SQLite database files resolve against.
 */
export function parseProjectBundle(bundle: ProjectBundle, dir: string, env: NodeJS.ProcessEnv = process.env): ProjectConfig {
  const text = bundle.files[PROJECT_FILE];
  if (text === undefined) throw new ConfigError([{ path: PROJECT_FILE, message: 'missing from the deployed bundle' }]);
  return parseProject(text, dir, env, (rel) => bundle.files[`${SCRIPTS_DIR}/${rel.split(sep).join('/')}`]);
}

/**
 * Central's part of a bundle (`inboundApi` only; see parseCentralPart), with
 * `${ENV}` from central's environment and relative SQLite files under
 * central's `dataDir`. Throws ConfigError naming each bad path.
 */
export function parseCentralBundle(bundle: ProjectBundle, dataDir: string, env: NodeJS.ProcessEnv = process.env): ProjectConfig {
  const text = bundle.files[PROJECT_FILE];
  if (text === undefined) throw new ConfigError([{ path: PROJECT_FILE, message: 'missing from the bundle' }]);
  return parseCentralPart(text, dataDir, env, (rel) => bundle.files[`${SCRIPTS_DIR}/${rel.split(sep).join('/')}`], dataDir);
}

/**
 * Validates a bundle the way central can: every error counts except an unset
 * environment variable, which the sites resolve from their own environments
 * (central need not hold the sites' secrets). `dir` is the project directory
 * the bundle was read from.
 */
export function checkProjectForSites(bundle: ProjectBundle, dir: string, env: NodeJS.ProcessEnv = process.env): void {
  try {
    parseProjectBundle(bundle, dir, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const real = err.issues.filter((i) => i.code !== ISSUE_ENV_UNSET);
    if (real.length > 0) throw new ConfigError(real);
  }
}
